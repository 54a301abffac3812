"""The second stage as an I/O step of `router.decide`, between the heuristic and the policy evaluator.

When the heuristic's confidence is below `below_confidence`, the answer cached in usage.db for this prompt
(and these instructions and models) is taken; otherwise the models are asked in order, each within what is
left of `timeout_s`, skipping a model that is not configured, has no known price, or whose worst case costs
more than `max_cost_usd`. The first strict-JSON answer is taken in and cached; every call is a usage row
(rule `classifier.llm`) with its cost. Garbage, a wrong schema, a timeout or a provider error leave the
heuristic's features as they were. LiteLLM is imported only here, and only when a model is asked.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import threading
import time
from typing import TYPE_CHECKING, Any

from llm_router.decision import Features, Request
from llm_router.llmclassify.answer import BadAnswer, Verdict, parse, take_in

if TYPE_CHECKING:
    from llm_router.llmclassify.spec import LlmClassifier
    from llm_router.policy.compiled import CompiledPolicy
    from llm_router.router import Settings

RULE = "classifier.llm"  # the usage rows' rule: what the calls were for
_GRACE_S = 0.5  # a call that outlives its timeout by this much is abandoned (LiteLLM's own timeout failed)


def refine(
    features: Features, request: Request, cp: CompiledPolicy, settings: Settings
) -> tuple[Features, dict[str, Any]]:
    """The features to evaluate, and what the second stage did (for `policy explain` and the decision)."""
    spec = cp.classifier_llm
    assert spec is not None  # decide() calls this only for a policy that enables it
    if features.confidence >= spec.below_confidence:
        why = f"confidence {features.confidence:g} is not below {spec.below_confidence:g}"
        return features, {"ran": False, "why": why}
    from llm_router.providers.catalogue import user_config
    from llm_router.store import classifications

    keep_prompts = user_config(settings.home).store_prompts
    conn, store_problem = _connect(settings)
    cache_key = classifications.key(spec.version, spec.models, request.prompt)
    report: dict[str, Any] = {"ran": True, "version": spec.version}
    if store_problem:
        report["store"] = store_problem
    cached = _cached(conn, cache_key)
    if cached is not None:
        hit = Verdict(cached["task"], cached["complexity"], cached["needs_workspace"])
        report.update(cached=True, model=cached["model"], said=hit.to_dict())
        return take_in(features, hit, cp.classifier.bands, cached["model"]), report
    attempts: list[dict[str, Any]] = []
    verdict, model = _ask_chain(spec, request, cp, settings, conn, keep_prompts, attempts)
    report.update(cached=False, attempts=attempts)
    if verdict is None or model is None:
        report["why"] = "no model gave the JSON asked for: the heuristic's classification stands"
        return features, report
    report.update(model=model, said=verdict.to_dict())
    if conn is not None:
        try:
            classifications.put(
                conn,
                cache_key,
                time=time.time(),
                version=spec.version,
                model=model,
                answer=verdict.to_dict(),
                prompt=request.prompt if keep_prompts else None,
            )
        except sqlite3.Error as exc:
            report["store"] = f"the answer was not cached: {exc}"
    return take_in(features, verdict, cp.classifier.bands, model), report


def _connect(settings: Settings) -> tuple[sqlite3.Connection | None, str]:
    from llm_router.store.db import shared

    path = settings.home / "usage.db"
    try:
        return shared(path), ""
    except (sqlite3.Error, OSError) as exc:
        return None, f"usage.db ({path}) cannot be opened, so nothing is cached or recorded: {exc}"


def _cached(conn: sqlite3.Connection | None, cache_key: str) -> dict[str, Any] | None:
    from llm_router.store import classifications

    if conn is None:
        return None
    try:
        return classifications.get(conn, cache_key)
    except sqlite3.Error:
        return None


def _ask_chain(
    spec: LlmClassifier,
    request: Request,
    cp: CompiledPolicy,
    settings: Settings,
    conn: sqlite3.Connection | None,
    keep_prompts: bool,
    attempts: list[dict[str, Any]],
) -> tuple[Verdict | None, str | None]:
    """Ask the models in order until one answers with a valid verdict; each attempt is noted."""
    from llm_router.providers import prices
    from llm_router.providers.catalogue import configured, credentials, environment, provider_of

    env = environment(settings.env, cwd=settings.cwd, home=settings.home)
    have = configured(env, files=False)
    message = spec.message(request.prompt)
    estimate_in = len(message) // 4 + 1
    deadline = time.monotonic() + spec.timeout_s
    loaded = False
    for model in spec.models:
        price = prices.price(model, cp.models)
        if provider_of(model) not in have:
            attempts.append({"model": model, "outcome": "not_configured"})
            continue
        if price is None:
            attempts.append(
                {"model": model, "outcome": "no_price", "error": "no known price: set models.<id>"}
            )
            continue
        worst = price.cost(estimate_in, spec.max_tokens)
        if worst > spec.max_cost_usd:
            error = f"its worst case ${worst:.6f} is over max_cost_usd ${spec.max_cost_usd:g}"
            attempts.append({"model": model, "outcome": "over_cost_cap", "error": error})
            continue
        if not loaded:  # timeout_s bounds the wait on models, not the provider library's first import
            from llm_router.execute.dispatch import litellm_module

            importing = time.monotonic()
            litellm_module()
            deadline += time.monotonic() - importing
            loaded = True
        left = deadline - time.monotonic()
        if left <= 0:
            attempts.append({"model": model, "outcome": "timeout", "error": "no time left of timeout_s"})
            break
        started = time.monotonic()
        text, tokens_in, tokens_out, outcome, error = _ask(
            model, message, spec.max_tokens, left, credentials(model, env)
        )
        latency = time.monotonic() - started
        verdict = None
        if text is not None:
            try:
                verdict = parse(text)
            except BadAnswer as bad:
                outcome, error = bad.outcome, str(bad)
        tokens_in = tokens_in if tokens_in is not None else estimate_in
        tokens_out = tokens_out if tokens_out is not None else len(text or "") // 4
        cost = price.cost(tokens_in, tokens_out)
        attempt = {
            "model": model,
            "outcome": outcome,
            "cost_usd": round(cost, 8),
            "latency_s": round(latency, 3),
        }
        if error:
            attempt["error"] = error if keep_prompts else _withhold(error, request.prompt)
        attempts.append(attempt)
        _record(conn, request, cp, model, attempt, tokens_in, tokens_out, keep_prompts)
        if verdict is not None:
            return verdict, model
    return None, None


def _ask(
    model: str, message: str, max_tokens: int, timeout_s: float, creds: dict[str, str]
) -> tuple[str | None, int | None, int | None, str, str]:
    """One call: (text, tokens in, tokens out, outcome, error). Bounded by `timeout_s` even when the provider
    library does not honour its own timeout: the call runs in a daemon thread that is abandoned then."""
    from llm_router.execute.dispatch import classify, litellm_module

    litellm = litellm_module()
    box: dict[str, Any] = {}

    def call() -> None:
        try:
            response = litellm.completion(
                model=model,
                messages=[{"role": "user", "content": message}],
                max_tokens=max_tokens,
                temperature=0,
                timeout=timeout_s,
                max_retries=0,
                **creds,
            )
            usage = getattr(response, "usage", None)
            box["reply"] = (
                response.choices[0].message.content or "",
                getattr(usage, "prompt_tokens", None),
                getattr(usage, "completion_tokens", None),
            )
        except Exception as exc:  # a provider library can raise anything; classify names it
            box["failure"] = classify(exc, litellm)

    worker = threading.Thread(target=call, name="llm-classifier", daemon=True)
    worker.start()
    worker.join(timeout_s + _GRACE_S)
    if "reply" in box:
        text, tokens_in, tokens_out = box["reply"]
        return text, tokens_in, tokens_out, "ok", ""
    if "failure" in box:
        failure = box["failure"]
        return None, None, None, failure.outcome, failure.message
    return None, None, None, "timeout", f"no answer within {timeout_s:.2f}s"


def _record(
    conn: sqlite3.Connection | None,
    request: Request,
    cp: CompiledPolicy,
    model: str,
    attempt: dict[str, Any],
    tokens_in: int,
    tokens_out: int,
    keep_prompts: bool,
) -> None:
    """The call's usage row (its cost counts like any other); a store that fails loses only the row."""
    from llm_router.providers.catalogue import provider_of
    from llm_router.store import usage

    if conn is None:
        return
    outcome = attempt["outcome"]
    row = usage.UsageRow(
        time=time.time(),
        model=model,
        provider=provider_of(model),
        outcome="bad_response" if outcome in ("garbage", "wrong_schema") else outcome,
        error=attempt.get("error", ""),
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cost_usd=attempt["cost_usd"],
        latency_s=attempt["latency_s"],
        session=request.session,
        host=request.host,
        prompt_sha256=hashlib.sha256(request.prompt.encode("utf-8")).hexdigest(),
        prompt_chars=len(request.prompt),
        prompt=request.prompt if keep_prompts else None,
        rule=RULE,
        policy_revision=cp.revision,
    )
    # The classification stands without its row: a broken store is reported by the commands that read it.
    with contextlib.suppress(sqlite3.Error):
        usage.record(conn, row)


def _withhold(text: str, prompt: str) -> str:
    from llm_router.privacy import withhold

    return withhold(text, [prompt])
