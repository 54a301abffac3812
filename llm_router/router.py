"""The one pipeline every entry point calls: live state -> Context -> Decision -> (when asked) execution.

The CLI, every hook and every MCP tool go through `decide()` and `run()`; none re-classifies or re-decides
on its own. This module does the I/O (environment, files, the usage store, the clock) so that the classifier
and the policy evaluator it calls can stay pure.
"""

from __future__ import annotations

import os
import time

from llm_router import paths
from llm_router.decision import NEUTRAL, BudgetState, Decision, Request

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path
    from typing import Any

    from llm_router.execute import Result
    from llm_router.execute.awalk import Attempt, Delivery
    from llm_router.execute.stream import Restart
    from llm_router.media import MediaJob, MediaResult
    from llm_router.policy.compiled import CompiledPolicy


class Settings:
    """Where a call runs: its environment, working directory and an explicit `--config`.

    `cwd` and `home` are Paths; `cwd_dir` and `home_dir` the same places as strings, for the hook path,
    which does not import pathlib."""

    __slots__ = ("config", "cwd_dir", "env")

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        config: Path | None = None,
    ) -> None:
        self.env: Mapping[str, str] = dict(os.environ) if env is None else env
        self.cwd_dir: str = os.getcwd() if cwd is None else os.fspath(cwd)
        self.config: Path | None = config

    @property
    def cwd(self) -> Path:
        from pathlib import Path

        return Path(self.cwd_dir)

    @property
    def home_dir(self) -> str:
        return paths.home_dir(self.env)

    @property
    def home(self) -> Path:
        return paths.home(self.env)

    def __repr__(self) -> str:
        return f"Settings(cwd={self.cwd_dir!r}, config={self.config!r})"


# inputs key -> (policy, the files it was compiled from): a compiled-cache entry, kept in this process
_compiled: dict[str, tuple[CompiledPolicy, tuple[Any, ...]]] = {}


def load(settings: Settings | None = None) -> CompiledPolicy:
    """The compiled policy for these settings: from this process's memory or the compiled-policy cache while
    every file it was built from is unchanged, else loaded, compiled and cached (`policy/compiled_cache.py`).

    Raises PolicyError with every problem of every layer: what the loader found (YAML, schema, layering)
    and what compiling finds (expressions, chain and budget references), so one run shows them all.
    """
    from llm_router.policy import compiled_cache, sources

    settings = settings or Settings()
    builtins = paths.policies_folder()
    home = settings.home_dir
    roots = sources.roots(settings.env, settings.cwd_dir, settings.config, home, builtins)
    key = compiled_cache.key_of(roots, builtins)
    kept = _compiled.get(key)
    if kept is not None and compiled_cache.unchanged(kept[1]):
        return kept[0]
    found = compiled_cache.read(home, key)
    if found is None:
        cp, inputs = _compile(settings)
        files = compiled_cache.write(home, key, cp, inputs)
        if not files:
            return cp  # not cacheable (a file changed meanwhile, or data marshal cannot write): no memo
        found = (cp, files)
    if len(_compiled) > 16:  # a long-running process serving many projects
        _compiled.clear()
    _compiled[key] = found
    return found[0]


def _compile(settings: Settings) -> tuple[CompiledPolicy, list[tuple[str, str | None, int]]]:
    """Load and compile the policy (the slow path: YAML, schema, layering, expressions, regexes); the policy
    and the files it was compiled from: (path, sha256 or None for an absent one, read limit)."""
    from llm_router import fileio
    from llm_router.errors import PolicyError
    from llm_router.policy.compile import compile_policy
    from llm_router.policy.load import load_policy_partial

    loaded, problems = load_policy_partial(
        env=settings.env, cwd=settings.cwd, config=settings.config, home=settings.home
    )
    if problems:
        try:
            compile_policy(loaded)  # only to find more problems; never used to route
        except PolicyError as exc:
            problems = _unique([*problems, *exc.problems])
        except Exception:  # noqa: BLE001 - data that broke the schema may break the compiler too
            pass
        raise PolicyError(sorted(problems, key=lambda p: (p.file, p.line, p.col)))
    cp = compile_policy(loaded)
    inputs = [(path, sha, fileio.POLICY_LIMIT) for path, sha in loaded.files]
    inputs += [(path, sha, fileio.LEXICON_LIMIT) for path, sha in cp.classifier.sources]
    if cp.classifier_llm is not None:  # the second stage's instructions file
        import hashlib

        from llm_router.llmclassify.spec import TEMPLATE_LIMIT, template_file

        sha = hashlib.sha256(cp.classifier_llm.template.encode("utf-8")).hexdigest()
        inputs.append((str(template_file(cp.classifier_llm.prompt_name)), sha, TEMPLATE_LIMIT))
    return cp, inputs


def _budgets_rule_out(reasons: Any) -> bool:
    """Whether budgets are why no model can be tried: some model is over a budget, and every other one is
    over a budget too or could never have answered (its provider is not configured)."""
    from llm_router.decision import is_budget_exhausted
    from llm_router.providers.table import is_not_configured

    reasons = list(reasons)
    over = [is_budget_exhausted(r) for r in reasons]
    return any(over) and all(o or is_not_configured(r) for o, r in zip(over, reasons, strict=True))


def _unique(problems: list[Any]) -> list[Any]:
    return list(dict.fromkeys(problems))


LiveState = tuple[frozenset[str], dict[str, BudgetState], frozenset[str]]


def live_state(cp: CompiledPolicy, settings: Settings, now: float) -> LiveState:
    """Configured providers, budget states and open breakers, read from the environment and usage.db (and,
    for `kind: subscription` budgets, the cached Claude usage estimate).

    usage.db is not opened when nothing it holds can change the decision: no budgets, no rule reading
    provider health, and no provider configured (every model is then unusable whatever its breaker says);
    nor when the policy has no USD budgets (`kind: subscription` ones are not in usage.db) and the breaker
    mark beside it vouches that no breaker is open (`store.breaker_mark`).
    """
    from llm_router.providers.catalogue import configured

    home = settings.home_dir
    providers = configured(settings.env, cwd=settings.cwd_dir, home=home)
    path = os.path.join(home, "usage.db")
    try:
        db_stat = os.stat(path) if providers or cp.budgets or "health" in cp.names_used else None
    except OSError:
        db_stat = None
    if db_stat is None or (
        not any(b.kind != "subscription" for b in cp.budgets) and _no_breaker(path, cp, now, db_stat)
    ):
        budgets, open_breakers = {b.id: b.state() for b in cp.budgets}, frozenset[str]()
    else:
        from llm_router.store import state as store_state

        budgets, open_breakers = store_state.read(path, cp, now)
    if any(b.kind == "subscription" for b in cp.budgets):
        from llm_router.subscription import live_budgets

        budgets.update(live_budgets(cp.budgets, settings.home, settings.env, now))
    return providers, budgets, open_breakers


def _no_breaker(path: str, cp: CompiledPolicy, now: float, db_stat: os.stat_result) -> bool:
    from llm_router.store import breaker_mark

    return breaker_mark.none_open(path, breaker_mark.cooldown_of(cp), now, db_stat)


def decide(
    request: Request,
    *,
    settings: Settings | None = None,
    knobs: Mapping[str, str] | None = None,
    policy: CompiledPolicy | None = None,
    now: float | None = None,
    state: LiveState | None = None,
    second_stage: bool = True,
) -> Decision:
    """Classify the prompt and evaluate the policy against the live state (read now unless given, as
    `route --batch` does once for a whole batch). Between the two, when the policy enables `classifier.llm`
    and the heuristic is unsure, the second-stage classifier may ask a model (`llm_router.llmclassify`);
    `second_stage=False` skips it (a cold hook process, which must not import LiteLLM). A whole request (the
    gateway's) also has the models of the chain that cannot serve it moved to `unusable`: no function calling
    for tools, no vision for images, a window smaller than its context."""
    settings = settings or Settings()
    cp = policy or load(settings)
    now = time.time() if now is None else now
    return Decider(cp, settings, now, state or live_state(cp, settings, now), knobs, second_stage)(request)


class Decider:
    """`decide` with its arguments settled once: one policy, settings, clock, live state and knobs, for many
    requests (`route --batch` makes one for all its lines; `decide` one per call)."""

    __slots__ = ("cp", "settings", "classify", "evaluate", "stage")

    def __init__(
        self,
        cp: CompiledPolicy,
        settings: Settings,
        now: float,
        state: LiveState,
        knobs: Mapping[str, str] | None = None,
        second_stage: bool = True,
    ) -> None:
        from llm_router.policy.evaluate import Evaluator

        providers, budgets, open_breakers = state
        self.cp, self.settings = cp, settings
        self.classify = cp.classifier.classify
        self.evaluate = Evaluator(cp, now, providers, budgets, open_breakers, dict(knobs or {}))
        self.stage = second_stage and cp.classifier_llm is not None

    def __call__(self, request: Request) -> Decision:
        features = self.classify(request.prompt)
        if self.stage:
            from llm_router.llmclassify.stage import refine

            features, stage = refine(features, request, self.cp, self.settings)
            decision = self.evaluate(request, features)
            if stage is not None:
                decision = decision._replace(second_stage=stage)
        else:
            decision = self.evaluate(request, features)
        wants = request.features
        if (
            wants is not NEUTRAL
            and decision.usable
            and (wants.has_tools or wants.has_images or wants.context_tokens)
        ):
            decision = _capable(decision, request, features.tokens, self.cp)
        return decision


def _capable(decision: Decision, request: Request, prompt_tokens: int, cp: CompiledPolicy) -> Decision:
    """The decision with the models that cannot serve this request moved from `usable` to `unusable`."""
    from llm_router.providers.capabilities import cannot_serve

    features = request.features
    tokens = features.context_tokens or prompt_tokens
    usable, unusable = [], dict(decision.unusable)
    for model in decision.usable:
        why = cannot_serve(model, features, tokens, cp.models)
        if why is None:
            usable.append(model)
        else:
            unusable[model] = why
    if len(usable) == len(decision.usable):
        return decision
    reason = decision.reason
    if not usable:
        reason = f"{reason}; no model of this chain can serve the request (see unusable)".lstrip("; ")
    return decision._replace(usable=tuple(usable), unusable=unusable, reason=reason)


def run(
    decision: Decision,
    request: Request,
    *,
    settings: Settings | None = None,
    models: Sequence[str] | None = None,
    on_text: Callable[[str], None] | None = None,
    on_restart: Callable[[Restart], None] | None = None,
    policy: CompiledPolicy | None = None,
) -> Result:
    """Execute a decision through its usable chain (or through `models` when forced), recording every
    attempt in usage.db. Raises ProviderError when no model answers, BudgetExceeded when budgets rule out
    every model, RouterError for a blocked prompt.

    A usage.db that cannot be read or written never stops the query nor costs its answer: the Result
    carries one warning with the path and the fix. With `on_text` the answer streams; a shown answer that
    breaks off is marked before the next one (`on_restart`, or a separator line through `on_text`).
    """
    from llm_router.execute import execute

    settings = settings or Settings()
    cp = policy or load(settings)
    env, chain = _chain(decision, settings, models)
    conn, options = _store_and_options(cp, settings)
    return execute(
        decision, request, chain, env=env, options=options, conn=conn, on_text=on_text, on_restart=on_restart
    )


async def arun(
    decision: Decision,
    request: Request,
    attempt: Attempt,
    *,
    settings: Settings | None = None,
    models: Sequence[str] | None = None,
    policy: CompiledPolicy | None = None,
) -> Delivery:
    """Execute a whole request (the gateway's) through a decision's usable chain, or `models` when forced:
    `attempt(model, credentials)` sends it to one model in its API's format. Falls back along the chain (and
    retries a model, as `run` does) until an answer opens, recording every attempt; raises as `run` does."""
    from llm_router.execute.awalk import walk

    settings = settings or Settings()
    cp = policy or load(settings)
    env, chain = _chain(decision, settings, models)
    conn, options = _store_and_options(cp, settings)
    return await walk(decision, request, chain, env=env, options=options, conn=conn, attempt=attempt)


def runnable(decision: Decision) -> tuple[str, ...]:
    """The models of a decision's chain a walk tries: the usable ones, and those held back only by a
    breaker (the walk checks breakers again, live, and never skips the last usable model untried)."""
    from llm_router.execute.attempts import BREAKER_REASON

    if not decision.usable and not any(r.startswith(BREAKER_REASON) for r in decision.unusable.values()):
        return ()
    return tuple(
        m
        for m in decision.chain
        if m in decision.usable or decision.unusable.get(m, "").startswith(BREAKER_REASON)
    )


def run_media(
    decision: Decision,
    request: Request,
    job: MediaJob,
    *,
    settings: Settings | None = None,
    models: Sequence[str] | None = None,
    out_dir: Path | None = None,
    on_progress: Callable[[str], None] | None = None,
    policy: CompiledPolicy | None = None,
) -> MediaResult:
    """Execute a media decision (its request's event names the kind) through its usable media chain, or
    `models` when forced: the same walk, breakers, budgets and one usage row per attempt as `run`. The result
    is saved under `out_dir` (default `$LLM_ROUTER_HOME/media/`) with a JSON sidecar. Raises as `run` does,
    and MediaPending when a queued job outlives the policy's `media.wait_s` (resume it with
    `resume_media`)."""
    from llm_router.media import costs, files
    from llm_router.media.run import MediaSettings, Where, execute_media

    settings = settings or Settings()
    cp = policy or load(settings)
    env, chain = _chain(decision, settings, models)
    conn, options = _store_and_options(cp, settings)
    where = Where(settings.home, out_dir or files.media_dir(settings.home))
    return execute_media(
        decision,
        request,
        job,
        chain,
        env=env,
        options=options,
        conn=conn,
        where=where,
        media=MediaSettings.from_policy(cp.data.get("media")),
        baseline_model=costs.baseline_model(cp, job),
        on_progress=on_progress,
    )


def resume_media(
    job_id: str,
    *,
    settings: Settings | None = None,
    on_progress: Callable[[str], None] | None = None,
    policy: CompiledPolicy | None = None,
) -> MediaResult:
    """Take up a queued media job kept by `run_media` (by its id): wait for it again, then save and record
    it as the attempt it is, under the decision that started it. Nothing new is submitted."""
    from pathlib import Path

    from llm_router.media import costs, jobs
    from llm_router.media.calls import Submitted
    from llm_router.media.job import MediaJob
    from llm_router.media.run import MediaSettings, Where, execute_media
    from llm_router.providers.catalogue import environment

    settings = settings or Settings()
    cp = policy or load(settings)
    state = jobs.load(settings.home, job_id)
    submitted = Submitted.from_dict(state["submitted"])
    decision = Decision.from_dict(state["decision"])
    asked = state.get("job") or {}
    job = MediaJob(
        kind=str(state["kind"]),
        prompt=str(state.get("prompt") or ""),
        size=asked.get("size"),
        quality=asked.get("quality"),
        seconds=asked.get("seconds"),
        voice=asked.get("voice"),
        chars=int(state.get("prompt_chars") or 0),
    )
    origin = state.get("request") or {}
    request = Request(
        prompt=job.prompt,
        host=str(origin.get("host") or "cli"),
        event=job.kind,
        session=str(origin.get("session") or ""),
        cwd=str(origin.get("cwd") or ""),
    )
    env = environment(settings.env, cwd=settings.cwd, home=settings.home)
    conn, options = _store_and_options(cp, settings)
    where = Where(
        settings.home,
        Path(state.get("out_dir") or settings.home / "media"),
        digest=(str(state.get("prompt_sha256") or ""), int(state.get("prompt_chars") or 0)),
        resume=submitted,
        resume_id=job_id,
    )
    return execute_media(
        decision,
        request,
        job,
        (submitted.model,),
        env=env,
        options=options,
        conn=conn,
        where=where,
        media=MediaSettings.from_policy(cp.data.get("media")),
        baseline_model=costs.baseline_model(cp, job),
        on_progress=on_progress,
    )


def _chain(
    decision: Decision, settings: Settings, models: Sequence[str] | None
) -> tuple[dict[str, str], tuple[str, ...]]:
    """The environment providers are configured from, and the chain to walk: `models` when forced (each
    provider must be configured), else the decision's runnable models."""
    from llm_router.errors import BudgetExceeded, ProviderError, RouterError
    from llm_router.providers.catalogue import configured, environment, how_to_configure, provider_of

    env = environment(settings.env, cwd=settings.cwd, home=settings.home)
    if decision.action == "block":
        raise RouterError(f"blocked by rule {decision.rule}: {decision.message or decision.reason}")
    if models:
        chain = tuple(models)
        have = configured(env, files=False)
        missing = [
            f"{m}: {provider_of(m)} is not configured ({how_to_configure(provider_of(m))})"
            for m in chain
            if provider_of(m) not in have
        ]
        if missing:
            raise ProviderError("cannot run the models asked for:\n  " + "\n  ".join(missing))
        return env, chain
    chain = runnable(decision)
    if chain:
        return env, chain
    why = [f"{m}: {reason}" for m, reason in decision.unusable.items()]
    if not why:
        raise RouterError(
            f"nothing to execute: the decision is {decision.action} "
            f"(rule {decision.rule}: {decision.reason}); pass --models to run the prompt anyway"
        )
    error = BudgetExceeded if _budgets_rule_out(decision.unusable.values()) else ProviderError
    raise error("no model of the chain can be tried now:\n  " + "\n  ".join(why))


def _store_and_options(cp: CompiledPolicy, settings: Settings) -> tuple[Any, Any]:
    """The usage.db connection an execution records through (None when the store cannot be used) and the
    execution options, with the budgets as spent now."""
    from llm_router.execute.options import options_for
    from llm_router.store.state import for_run

    conn, budgets, problem = for_run(settings.home / "usage.db", cp.budgets, time.time())
    return conn, options_for(cp, settings.home, budgets, store_problem=problem)
