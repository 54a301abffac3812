"""Walking a chain of models: skip what cannot be tried, send the rest one by one until one answers, and
record every attempt with its cost, the baseline's cost, and the breaker state it leaves."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from llm_router.decision import BudgetState, Decision, Request
from llm_router.errors import BudgetExceeded, ProviderError
from llm_router.execute.dispatch import SCOPES, Call, Dispatch, Failure, Reply, litellm_module
from llm_router.execute.dispatch import dispatch as default_dispatch
from llm_router.execute.guard import GUARD_MESSAGES, Gate, GuardSettings, judge
from llm_router.execute.scrub import scrub
from llm_router.privacy import withhold
from llm_router.providers import prices
from llm_router.providers.catalogue import (
    PROVIDERS,
    configured,
    credentials,
    how_to_configure,
    provider_of,
    secrets,
)
from llm_router.store import breakers, usage
from llm_router.store.breakers import BreakerSettings
from llm_router.store.db import write


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
    clock: Callable[[], float] = time.time,
) -> Result:
    """Try each model of `chain` in order until one gives an answer the quality guard accepts."""
    walk = _Walk(decision, request, env, options, conn, clock)
    for model in chain:
        why = walk.why_not(model)
        if why:
            walk.skipped[model] = why
            continue
        gate = Gate(on_text, options.guard.min_chars) if on_text else None
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
        try:
            reply = dispatch(call)
            outcome, error = judge(reply, options.guard, shown=bool(gate and gate.shown)), ""
            error = GUARD_MESSAGES.get(outcome or "", "")
        except Failure as failure:
            outcome, error = failure.outcome, scrub(failure.message, walk.secrets)
        attempt = walk.record(model, outcome or "ok", time.perf_counter() - started, error, reply)
        if attempt.outcome == "ok" and reply is not None:
            if gate:
                gate.release()
            return walk.result(attempt, reply)
    raise walk.failure()


class _Walk:
    """The state of one walk down a chain."""

    def __init__(
        self,
        decision: Decision,
        request: Request,
        env: Mapping[str, str],
        options: Options,
        conn: sqlite3.Connection | None,
        clock: Callable[[], float],
    ):
        self.decision, self.request, self.options, self.conn, self.clock = (
            decision,
            request,
            options,
            conn,
            clock,
        )
        self.secrets = secrets(env)
        self.configured = configured(env, files=False)
        self.attempts: list[Attempt] = []
        self.skipped: dict[str, str] = {}
        self.dead_providers: dict[str, str] = {}  # provider -> why (a rejected key)
        self.needs_window = 0  # after a context-window error: only models with a larger window
        self.prompt_sha256 = hashlib.sha256(request.prompt.encode()).hexdigest()

    def why_not(self, model: str) -> str | None:
        provider = provider_of(model)
        if provider not in PROVIDERS:
            return f"unknown provider {provider!r}"
        if provider not in self.configured:
            return f"{provider} is not configured ({how_to_configure(provider)})"
        if provider in self.dead_providers:
            return self.dead_providers[provider]
        exhausted = [b.id for b in self.options.budgets.values() if b.exhausted and b.applies_to(model)]
        if exhausted:
            return f"budget {', '.join(exhausted)} exhausted"
        if self.needs_window:
            window = self._window(model)
            if window is not None and window <= self.needs_window:
                return f"context window {window} is not larger than the one that overflowed"
        if self.conn is not None:
            return breakers.allow(self.conn, model, self.clock(), self.options.breaker)
        return None

    def _window(self, model: str) -> int | None:
        p = prices.price(model, self.options.price_overrides)
        return p.max_input_tokens if p else None

    def record(self, model: str, outcome: str, latency: float, error: str, reply: Reply | None) -> Attempt:
        tokens_in = tokens_out = 0
        provider = provider_of(model)
        if outcome == "auth":
            self.dead_providers[provider] = f"{provider} rejected its key ({how_to_configure(provider)})"
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
        if outcome == "context_window":
            self.needs_window = max(self.needs_window, self._window(model) or 1)
        if self.conn is not None:
            self._store(attempt, provider, baseline)
        return attempt

    def _store(self, attempt: Attempt, provider: str, baseline: float) -> None:
        assert self.conn is not None
        now = self.clock()
        row = usage.UsageRow(
            time=now,
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
        )
        scope = SCOPES.get(attempt.outcome, "model")
        with write(self.conn):  # the row and the breaker move together or not at all
            usage.insert(self.conn, row)
            if attempt.outcome == "ok":
                breakers.succeeded(self.conn, attempt.model)
            elif scope != "none":
                breakers.failed(
                    self.conn,
                    attempt.model,
                    now,
                    self.options.breaker,
                    attempt.outcome,
                    provider_too=scope == "provider",
                    open_provider=attempt.outcome == "auth",
                )

    def baseline_cost(self, tokens_in: int, tokens_out: int) -> float:
        model = self.options.baseline_model
        return prices.cost(model, tokens_in, tokens_out, self.options.price_overrides) if model else 0.0

    def result(self, attempt: Attempt, reply: Reply) -> Result:
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
            skipped=dict(self.skipped),
        )

    def failure(self) -> ProviderError:
        lines = [f"{a.model}: {a.outcome}" + (f" ({a.error})" if a.error else "") for a in self.attempts]
        lines += [f"{model}: not tried: {why}" for model, why in self.skipped.items()]
        if not lines:
            return ProviderError("no model to try: the chain is empty")
        budget_only = not self.attempts and all("budget" in why for why in self.skipped.values())
        head = "every model is ruled out by an exhausted budget" if budget_only else "every model failed"
        error = BudgetExceeded if budget_only else ProviderError
        return error(head + ":\n  " + "\n  ".join(lines))
