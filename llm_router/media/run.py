"""Walking a media chain: the same walk as a text query (`execute.attempts.Walk`: breakers, retries of the
same model, skipping what cannot be tried) and the same recording (`execute.record.Recorder`: one usage row
per attempt with its breaker change), with a media request in place of a prompt. The result is saved with
its sidecar; a queued job that outlives the wait is kept to be resumed."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llm_router.decision import Decision, Request, budget_exhausted, is_budget_exhausted
from llm_router.errors import BudgetExceeded, ProviderError, RouterError
from llm_router.execute import Attempt, Options
from llm_router.execute.attempts import STOP, Walk
from llm_router.execute.dispatch import Failure, litellm_module
from llm_router.execute.record import Recorder
from llm_router.execute.scrub import scrub
from llm_router.media import costs, files, jobs
from llm_router.media.calls import MediaCall, MediaDispatch, Pending, Submitted
from llm_router.media.dispatch import dispatch as default_dispatch
from llm_router.media.dispatch import supports, uses_litellm
from llm_router.media.job import UNITS, MediaJob, MediaReply, MediaResult
from llm_router.privacy import stored_decision, withhold
from llm_router.providers.catalogue import PROVIDERS, configured, credentials, how_to_configure, provider_of
from llm_router.providers.catalogue import secrets as known_secrets
from llm_router.providers.table import not_configured
from llm_router.store import usage

PROMPT_META = frozenset({"revised_prompt"})  # what a provider says back that is the prompt, rewritten


class MediaPending(RouterError):
    """A queued job still running at its provider when the wait ran out; resume it by `job_id`."""

    exit_code = 1
    code = "media-pending"

    def __init__(self, job_id: str, kind: str, model: str, waited_s: float):
        command = "video" if kind == "video" else "image" if kind == "image" else "audio"
        self.job_id, self.kind, self.model = job_id, kind, model
        self.resume = f"llm-router {command} --resume {job_id}"
        super().__init__(
            f"{model} is still working on it after {waited_s:.0f}s; "
            f"the job is kept: resume it with `{self.resume}`"
        )


@dataclass(frozen=True)
class MediaSettings:
    """The policy's `media:` timing: how often a queued job is asked about, and how long it is waited for."""

    poll_s: float = 2.0
    wait_s: float = 600.0

    @classmethod
    def from_policy(cls, section: Mapping[str, Any] | None) -> MediaSettings:
        s = dict(section or {})
        return cls(float(s.get("poll_s", 2.0)), float(s.get("wait_s", 600.0)))


@dataclass
class Where:
    """Where the result and the state of long jobs go, and the prompt's digest when the prompt itself is not
    at hand (a resumed job)."""

    home: Path
    out_dir: Path
    digest: tuple[str, int] | None = None  # (sha256, chars)
    resume: Submitted | None = None
    resume_id: str | None = None


def execute_media(
    decision: Decision,
    request: Request,
    job: MediaJob,
    chain: Sequence[str],
    *,
    env: Mapping[str, str],
    options: Options,
    conn: sqlite3.Connection | None,
    where: Where,
    media: MediaSettings = MediaSettings(),
    baseline_model: str | None = None,
    dispatch: MediaDispatch = default_dispatch,
    on_progress: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> MediaResult:
    """Try each model of `chain` in order until one produces the media; save it and return where it is."""
    run = _MediaRun(decision, request, job, chain, env, options, conn, where, baseline_model, clock)
    progress = on_progress or (lambda message: None)
    while (model := run.walk.next()) is not None:
        call = MediaCall(
            model,
            job,
            credentials(model, env),
            timeout_s=options.timeout_s,
            wait_s=media.wait_s,
            poll_s=media.poll_s,
            on_progress=progress,
            on_submitted=run.keep_job,
            resume=where.resume if where.resume and where.resume.model == model else None,
            sleep=sleep,
        )
        if dispatch is default_dispatch and uses_litellm(model):
            litellm_module()  # import it before the clock starts: the latency is the provider's
        started = time.perf_counter()
        try:
            reply = dispatch(call)
        except Failure as failure:
            error = scrub(failure.message, run.secrets)
            attempt = run.record(model, failure.outcome, time.perf_counter() - started, error, None)
            progress(f"{model}: {attempt.outcome}" + (f" ({error})" if error else ""))
            verdict = run.walk.failed(model, attempt.outcome, retry_after_s=failure.retry_after_s)
            run.forget_job(model)
            if verdict.step == STOP:
                break
            if verdict.wait_s > 0:
                sleep(verdict.wait_s)
            continue
        except Pending as pending:
            # No row yet: the attempt has not ended. It is recorded when the job is resumed and finishes.
            raise MediaPending(run.job_ids[model], job.kind, model, pending.waited_s) from None
        except KeyboardInterrupt:
            if model not in run.job_ids:
                raise
            # Interrupted while a queued job runs at the provider: it is kept, and the user told its id.
            waited = time.perf_counter() - started
            raise MediaPending(run.job_ids[model], job.kind, model, waited) from None
        attempt = run.record(model, "ok", time.perf_counter() - started, "", reply)
        run.walk.succeeded(model)
        return run.finish(attempt, reply)
    raise run.failure()


class _MediaRun:
    """One media execution: the walk, the attempts made, and how they are recorded and saved."""

    def __init__(
        self,
        decision: Decision,
        request: Request,
        job: MediaJob,
        chain: Sequence[str],
        env: Mapping[str, str],
        options: Options,
        conn: sqlite3.Connection | None,
        where: Where,
        baseline_model: str | None,
        clock: Callable[[], float],
    ):
        self.decision, self.request, self.job, self.options, self.where = (
            decision,
            request,
            job,
            options,
            where,
        )
        self.baseline_model, self.clock = baseline_model, clock
        self.secrets = known_secrets(env)
        self.configured = configured(env, files=False)
        self.attempts: list[Attempt] = []
        self.started = clock()
        self.job_ids: dict[str, str] = {}  # model -> llm-router's id of its queued job
        sha, chars = where.digest or (
            hashlib.sha256(request.prompt.encode()).hexdigest(),
            len(request.prompt),
        )
        self.prompt_sha256, self.prompt_chars = sha, chars
        self.recorder = Recorder(conn, options.db_path, options.breaker, options.store_problem)
        self.walk = Walk(
            chain,
            retry=options.retry,
            ruled_out=self.ruled_out,
            breaker=lambda model: self.recorder.allow(model, self.clock()),
        )
        self.priced = True

    def ruled_out(self, model: str) -> str | None:
        """Why `model` cannot be tried at all: an unknown or unconfigured provider, a kind its provider is
        not sent, an exhausted budget."""
        provider = provider_of(model)
        if provider not in PROVIDERS:
            return f"unknown provider {provider!r}"
        if not supports(model, self.job.kind):
            return f"llm-router does not send {self.job.kind} requests to {provider}"
        if provider not in self.configured:
            return not_configured(provider)
        exhausted = [b.id for b in self.options.budgets.values() if b.exhausted and b.applies_to(model)]
        if exhausted:
            return budget_exhausted(exhausted)
        return None

    # -- long jobs ---------------------------------------------------------------------------------------
    def keep_job(self, submitted: Submitted) -> None:
        """Keep a queued job's state, so that it can be resumed if this process stops waiting for it."""
        ident = self.where.resume_id or jobs.job_id(submitted.model, submitted.provider_job_id)
        self.job_ids[submitted.model] = ident
        state = {
            "id": ident,
            "kind": self.job.kind,
            "submitted": submitted.to_dict(),
            "submitted_at": self.clock(),
            "decision": stored_decision(self.decision.to_dict(), keep_prompts=self.options.store_prompts),
            "request": {"host": self.request.host, "session": self.request.session, "cwd": self.request.cwd},
            "prompt_sha256": self.prompt_sha256,
            "prompt_chars": self.prompt_chars,
            "job": self.job.options(),
            "out_dir": str(self.where.out_dir),
        }
        if self.options.store_prompts:
            state["prompt"] = self.request.prompt
        jobs.keep(self.where.home, state)

    def forget_job(self, model: str) -> None:
        ident = self.job_ids.pop(model, None) or (self.where.resume_id if self.where.resume else None)
        if ident:
            jobs.forget(self.where.home, ident)

    # -- recording ---------------------------------------------------------------------------------------
    def record(
        self, model: str, outcome: str, latency: float, error: str, reply: MediaReply | None
    ) -> Attempt:
        provider = provider_of(model)
        if outcome == "auth":
            error = f"{error}; {provider} is misconfigured: check its key ({how_to_configure(provider)})"
        if not self.options.store_prompts:  # a provider's error (a content filter's) may quote the prompt
            error = withhold(error, [self.request.prompt])
        usd, baseline, units = 0.0, 0.0, None
        if reply is not None:
            units = reply.units
            usd, self.priced = costs.cost(model, self.job, units, self.options.price_overrides)
            if self.baseline_model:
                baseline = costs.cost(self.baseline_model, self.job, units, self.options.price_overrides)[0]
        attempt = Attempt(model, outcome, latency, error, 0, 0, usd)
        self.attempts.append(attempt)
        self.recorder.attempt(
            usage.UsageRow(
                time=self.clock(),
                model=model,
                provider=provider,
                outcome=outcome,
                error=error,
                cost_usd=usd,
                baseline_model=self.baseline_model or "",
                baseline_cost_usd=baseline,
                latency_s=latency,
                session=self.request.session,
                host=self.request.host,
                prompt_sha256=self.prompt_sha256,
                prompt_chars=self.prompt_chars,
                prompt=self.request.prompt if self.options.store_prompts and self.request.prompt else None,
                rule=self.decision.rule,
                policy_revision=self.decision.policy_revision,
                decision_id=self.decision.id,
                kind=self.job.kind,
                units=units,
            )
        )
        return attempt

    def finish(self, attempt: Attempt, reply: MediaReply) -> MediaResult:
        """Save the result with its sidecar, forget the job, and say where it is."""
        finished = self.clock()
        sidecar: dict[str, Any] = {
            "kind": self.job.kind,
            "model": attempt.model,
            "provider": provider_of(attempt.model),
            "provider_job_id": reply.provider_job_id,
            "decision_id": self.decision.id,
            "rule": self.decision.rule,
            "policy_revision": self.decision.policy_revision,
            "cost_usd": round(sum(a.cost_usd for a in self.attempts), 8),
            "priced": self.priced,
            "units": reply.units,
            "unit": UNITS[self.job.kind],
            "baseline_model": self.baseline_model,
            "started_at": self.started,
            "finished_at": finished,
            "seconds": round(finished - self.started, 3),
            "attempts": [a.to_dict() for a in self.attempts],
            "options": self.job.options(),
            "prompt_sha256": self.prompt_sha256,
            "prompt_chars": self.prompt_chars,
            **{k: v for k, v in reply.meta.items() if v is not None and k not in PROMPT_META},
        }
        if self.options.store_prompts:
            sidecar.update({k: v for k, v in reply.meta.items() if v is not None and k in PROMPT_META})
        if self.options.store_prompts and self.request.prompt:
            sidecar["prompt"] = self.request.prompt
        path, side = files.save(
            self.where.out_dir,
            self.job.kind,
            self.decision.id,
            reply.data,
            reply.mime,
            sidecar,
            home=self.where.home,
        )
        self.forget_job(attempt.model)
        return MediaResult(
            kind=self.job.kind,
            model=attempt.model,
            path=path,
            sidecar=side,
            cost_usd=sum(a.cost_usd for a in self.attempts),
            units=reply.units,
            decision_id=self.decision.id,
            attempts=tuple(self.attempts),
            skipped=dict(self.walk.skipped),
            provider_job_id=reply.provider_job_id,
            text=reply.text,
            mime=files.sniff(reply.data, reply.mime)[0],
            priced=self.priced,
            warnings=self.recorder.warnings
            + (() if self.priced else (f"no price is known for {attempt.model}: its cost shows as $0",)),
        )

    def failure(self) -> ProviderError:
        lines = [f"{a.model}: {a.outcome}" + (f" ({a.error})" if a.error else "") for a in self.attempts]
        lines += [f"{model}: not tried: {why}" for model, why in self.walk.skipped.items()]
        notes = "".join(f"\nnote: {w}" for w in self.recorder.warnings)
        if not lines:
            return ProviderError(f"no model to try: the {self.job.kind} chain is empty" + notes)
        budget_only = not self.attempts and all(
            is_budget_exhausted(why) for why in self.walk.skipped.values()
        )
        head = "every model is ruled out by an exhausted budget" if budget_only else "every model failed"
        error = BudgetExceeded if budget_only else ProviderError
        return error(head + ":\n  " + "\n  ".join(lines) + notes)
