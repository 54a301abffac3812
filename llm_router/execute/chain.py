"""Walking a chain of models: skip what cannot be tried, send the rest one by one (the same model again
after a failure that retrying can fix) until one answers, and record every attempt with its cost, the
baseline's cost, and the breaker state it leaves. The walk's decisions are `execute.attempts`; recording is
`execute.record`, which never costs an answer.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llm_router.decision import BudgetState, Decision, Request, budget_exhausted
from llm_router.errors import BudgetExceeded, ProviderError
from llm_router.execute.attempts import STOP, RetrySettings, Walk
from llm_router.execute.dispatch import Call, Dispatch, Failure, Reply, litellm_module
from llm_router.execute.dispatch import dispatch as default_dispatch
from llm_router.execute.guard import GUARD_MESSAGES, Gate, GuardSettings, judge
from llm_router.execute.record import Recorder
from llm_router.execute.scrub import scrub
from llm_router.execute.stream import Restart, Shown
from llm_router.privacy import withhold
from llm_router.providers import prices
from llm_router.providers.catalogue import PROVIDERS, configured, credentials, how_to_configure, provider_of
from llm_router.providers.catalogue import secrets as known_secrets
from llm_router.providers.table import not_configured
from llm_router.store import usage
from llm_router.store.breakers import BreakerSettings


@dataclass(frozen=True, slots=True)
class Attempt:
    """One request sent to one model and how it ended."""

    model: str
    outcome: str  # ok | rate_limited | timeout | connection | server_error | unavailable | auth | empty | ...
    latency_s: float
    error: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "outcome": self.outcome,
            "latency_s": round(self.latency_s, 4),
            "error": self.error or None,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cost_usd": round(self.cost_usd, 8),
        }


@dataclass(frozen=True, slots=True)
class Result:
    """The answer of a chain and everything it took to get it."""

    model: str
    text: str
    attempts: tuple[Attempt, ...]
    cost_usd: float  # every attempt of this query
    baseline_cost_usd: float  # the answer's tokens on the baseline model
    baseline_model: str | None
    tokens_in: int
    tokens_out: int
    decision: Mapping[str, Any]
    skipped: Mapping[str, str] = field(default_factory=dict)  # model -> why it was not tried
    warnings: tuple[str, ...] = ()  # what went wrong besides the answer (usage.db could not be written, ...)
    restarts: tuple[Restart, ...] = ()  # streamed answers that broke off after part of them was shown

    @property
    def saved_usd(self) -> float:
        return self.baseline_cost_usd - self.cost_usd

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "text": self.text,
            "attempts": [a.to_dict() for a in self.attempts],
            "skipped": dict(self.skipped),
            "cost_usd": round(self.cost_usd, 8),
            "baseline_cost_usd": round(self.baseline_cost_usd, 8),
            "baseline_model": self.baseline_model,
            "saved_usd": round(self.saved_usd, 8),
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "decision": dict(self.decision),
            "restarts": [r.to_event() for r in self.restarts],
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class Options:
    """How to execute: the policy's `fallback` section, prices, the baseline, and what to store."""

    timeout_s: float = 60.0
    breaker: BreakerSettings = BreakerSettings()
    guard: GuardSettings = GuardSettings()
    price_overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    baseline_model: str | None = None
    store_prompts: bool = False
    budgets: Mapping[str, BudgetState] = field(default_factory=dict)  # states at the time of the call
    retry: RetrySettings = RetrySettings()
    db_path: Path | None = None  # where `conn` points, for the warning when it cannot be written
    store_problem: str | None = None  # a warning about the store found before the walk


def execute(
    decision: Decision,
    request: Request,
    chain: Sequence[str],
    *,
    env: Mapping[str, str],
    options: Options,
    conn: sqlite3.Connection | None,
    dispatch: Dispatch = default_dispatch,
    on_text: Callable[[str], None] | None = None,
    on_restart: Callable[[Restart], None] | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Result:
    """Try each model of `chain` in order until one gives an answer the quality guard accepts.

    With `on_text`, the answer is streamed to it. When a shown answer breaks off and another model's (or a
    retry's) follows, `on_restart` gets a Restart first; without it, `on_text` gets its separator line.
    """
    run = _Run(decision, request, chain, env, options, conn, clock)
    shown = Shown(on_text, on_restart) if on_text else None
    while (model := run.walk.next()) is not None:
        gate = Gate(shown, options.guard.min_chars) if shown else None
        if shown:
            shown.start(model)
        call = Call(
            model,
            request.prompt,
            options.timeout_s,
            credentials(model, env),
            gate.feed if gate else None,
            request.cwd,
        )
        if dispatch is default_dispatch and provider_of(model) != "codex":
            litellm_module()  # import it before the clock starts: the latency is the provider's
        started = time.perf_counter()
        reply: Reply | None = None
        retry_after: float | None = None
        try:
            reply = dispatch(call)
            outcome = judge(reply, options.guard, shown=bool(gate and gate.shown))
            error = GUARD_MESSAGES.get(outcome or "", "")
        except Failure as failure:
            outcome, error = failure.outcome, scrub(failure.message, run.secrets)
            retry_after = failure.retry_after_s
        attempt = run.record(model, outcome or "ok", time.perf_counter() - started, error, reply)
        if attempt.outcome == "ok" and reply is not None:
            if gate:
                gate.release()
            run.walk.succeeded(model)
            return run.result(attempt, reply, shown.restarts if shown else ())
        if shown:
            shown.failed(attempt.outcome)
        verdict = run.walk.failed(model, attempt.outcome, retry_after_s=retry_after)
        if verdict.step == STOP:
            break
        if verdict.wait_s > 0:
            sleep(verdict.wait_s)
    raise run.failure()


class _Run:
    """One execution: the walk through the chain, the attempts made, and what they are recorded as."""

    def __init__(
        self,
        decision: Decision,
        request: Request,
        chain: Sequence[str],
        env: Mapping[str, str],
        options: Options,
        conn: sqlite3.Connection | None,
        clock: Callable[[], float],
    ):
        self.decision, self.request, self.options, self.clock = decision, request, options, clock
        self.secrets = known_secrets(env)
        self.configured = configured(env, files=False)
        self.attempts: list[Attempt] = []
        self.prompt_sha256 = hashlib.sha256(request.prompt.encode()).hexdigest()
        self.recorder = Recorder(conn, options.db_path, options.breaker, options.store_problem)
        self.walk = Walk(
            chain,
            retry=options.retry,
            ruled_out=self.ruled_out,
            breaker=lambda model: self.recorder.allow(model, self.clock()),
            window=self.window,
        )

    def ruled_out(self, model: str) -> str | None:
        """Why `model` cannot be tried at all: an unknown or unconfigured provider, an exhausted budget."""
        provider = provider_of(model)
        if provider not in PROVIDERS:
            return f"unknown provider {provider!r}"
        if provider not in self.configured:
            return not_configured(provider)
        exhausted = [b.id for b in self.options.budgets.values() if b.exhausted and b.applies_to(model)]
        if exhausted:
            return budget_exhausted(exhausted)
        return None

    def window(self, model: str) -> int | None:
        p = prices.price(model, self.options.price_overrides)
        return p.max_input_tokens if p else None

    def record(self, model: str, outcome: str, latency: float, error: str, reply: Reply | None) -> Attempt:
        tokens_in = tokens_out = 0
        provider = provider_of(model)
        if outcome == "auth":
            error = f"{error}; {provider} is misconfigured: check its key ({how_to_configure(provider)})"
        if reply is not None:
            tokens_in = (
                reply.tokens_in if reply.tokens_in is not None else max(1, len(self.request.prompt) // 4)
            )
            tokens_out = reply.tokens_out if reply.tokens_out is not None else len(reply.text) // 4
        cost = prices.cost(model, tokens_in, tokens_out, self.options.price_overrides)
        baseline = self.baseline_cost(tokens_in, tokens_out) if outcome == "ok" else 0.0
        attempt = Attempt(model, outcome, latency, error, tokens_in, tokens_out, cost)
        self.attempts.append(attempt)
        self.recorder.attempt(self.row(attempt, provider, baseline))
        return attempt

    def row(self, attempt: Attempt, provider: str, baseline: float) -> usage.UsageRow:
        return usage.UsageRow(
            time=self.clock(),
            model=attempt.model,
            provider=provider,
            outcome=attempt.outcome,
            error=attempt.error
            if self.options.store_prompts
            else withhold(attempt.error, [self.request.prompt]),
            tokens_in=attempt.tokens_in,
            tokens_out=attempt.tokens_out,
            cost_usd=attempt.cost_usd,
            baseline_model=self.options.baseline_model or "",
            baseline_cost_usd=baseline,
            latency_s=attempt.latency_s,
            session=self.request.session,
            host=self.request.host,
            prompt_sha256=self.prompt_sha256,
            prompt_chars=len(self.request.prompt),
            prompt=self.request.prompt if self.options.store_prompts else None,
            rule=self.decision.rule,
            policy_revision=self.decision.policy_revision,
            decision_id=self.decision.id,
            user_agent=self.request.client[:200],
        )

    def baseline_cost(self, tokens_in: int, tokens_out: int) -> float:
        model = self.options.baseline_model
        return prices.cost(model, tokens_in, tokens_out, self.options.price_overrides) if model else 0.0

    def result(self, attempt: Attempt, reply: Reply, restarts: Sequence[Restart] = ()) -> Result:
        return Result(
            model=attempt.model,
            text=reply.text,
            attempts=tuple(self.attempts),
            cost_usd=sum(a.cost_usd for a in self.attempts),
            baseline_cost_usd=self.baseline_cost(attempt.tokens_in, attempt.tokens_out),
            baseline_model=self.options.baseline_model,
            tokens_in=attempt.tokens_in,
            tokens_out=attempt.tokens_out,
            decision=self.decision.to_dict(),
            skipped=dict(self.walk.skipped),
            warnings=self.recorder.warnings,
            restarts=tuple(restarts),
        )

    def failure(self) -> ProviderError:
        lines = [f"{a.model}: {a.outcome}" + (f" ({a.error})" if a.error else "") for a in self.attempts]
        lines += [f"{model}: not tried: {why}" for model, why in self.walk.skipped.items()]
        notes = "".join(f"\nnote: {w}" for w in self.recorder.warnings)
        if not lines:
            return ProviderError("no model to try: the chain is empty" + notes)
        skipped = self.walk.skipped.values()
        budget_only = not self.attempts and all("budget" in why for why in skipped)
        head = "every model is ruled out by an exhausted budget" if budget_only else "every model failed"
        error = BudgetExceeded if budget_only else ProviderError
        return error(head + ":\n  " + "\n  ".join(lines) + notes)
