"""The names a rule's `when:` expression may use, and how they are filled from a Context. Pure."""

from __future__ import annotations

import time
from _collections_abc import Mapping  # collections.abc without importing collections

from llm_router.decision import NEUTRAL
from llm_router.policy.compiled import MEDIA_KINDS
from llm_router.providers.table import PROVIDERS
from llm_router.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from llm_router.decision import BudgetState, Context, Features, Request

CONTEXT_NAMES = frozenset(
    {
        "prompt",
        "tokens",
        "task",
        "complexity",
        "difficulty",
        "confidence",
        "needs_workspace",
        "needs_tools",
        "signals",
        "threshold",
        "tier",
        "host",
        "event",
        "kind",
        "session",
        "profile",
        "policy",
        "enforce",
        "mode",
        "claude_prefix",
        "budget",
        "max_budget_pct",
        "health",
        "configured",
        "now",
        "hour",
        "weekday",
        # request features (neutral for a lone prompt; the gateway fills them from the whole request)
        "requested_model",
        "has_tools",
        "n_messages",
        "context_tokens",
        "thinking",
        "has_images",
        "stream",
        "background",
        "long_context_tokens",
    }
)


class ProviderState(Record):
    """What a rule can see of one provider: `health['openai'].usable`."""

    configured: bool
    breaker_open: bool

    @property
    def usable(self) -> bool:
        return self.configured and not self.breaker_open


class Health(Mapping[str, "ProviderState"]):
    """provider -> ProviderState, computed on access so unused names cost nothing."""

    __slots__ = ("_configured", "_open")

    def __init__(self, configured: frozenset[str], open_breakers: frozenset[str]):
        self._configured = configured
        self._open = open_breakers

    def __getitem__(self, provider: str) -> ProviderState:
        if provider not in PROVIDERS:
            raise KeyError(provider)
        return ProviderState(provider in self._configured, provider in self._open)

    def __iter__(self) -> Iterator[str]:
        return iter(PROVIDERS)

    def __len__(self) -> int:
        return len(PROVIDERS)


def auto_tier(difficulty: float, tiers: tuple[str, ...], cutoffs: tuple[tuple[str, float], ...]) -> str:
    """The highest tier whose cutoff the difficulty reaches; the first tier when none."""
    chosen = tiers[0]
    for tier, cutoff in cutoffs:
        if difficulty >= cutoff:
            chosen = tier
    return chosen


def base(
    now: float,
    configured: frozenset[str],
    budgets: Mapping[str, BudgetState],
    open_breakers: frozenset[str],
    knobs: Mapping[str, str],
    threshold: float,
    claude_prefix: str,
    needed: frozenset[str] = CONTEXT_NAMES,
    long_context_tokens: int = 100_000,
) -> dict[str, Any]:
    """The names of the namespace that are the same for every prompt decided against one live state (what
    `fill` completes); names no rule uses and that cost something to compute (time of day, health, budget
    summary) are left out."""
    ns: dict[str, Any] = {
        "threshold": threshold,
        "profile": knobs["profile"],
        "policy": knobs["policy"],
        "enforce": knobs["enforce"],
        "mode": knobs["mode"],
        "claude_prefix": claude_prefix,
        "budget": budgets,
        "configured": configured,
        "now": now,
        "long_context_tokens": long_context_tokens,
    }
    if "max_budget_pct" in needed:
        ns["max_budget_pct"] = max((b.used_pct for b in budgets.values()), default=0.0)
    if "health" in needed:
        ns["health"] = Health(configured, open_breakers)
    if "hour" in needed or "weekday" in needed:
        local = time.localtime(now)
        ns["hour"] = local.tm_hour
        ns["weekday"] = local.tm_wday
    return ns


def fill(base: dict[str, Any], r: Request, f: Features, tier: str, signals: bool = True) -> dict[str, Any]:
    """The namespace a rule's expression is evaluated in: `base` with the names of this prompt (`signals`
    only when some rule reads them)."""
    rf = r.features
    event = r.event
    ns = {
        "prompt": r.prompt,
        "tokens": f.tokens,
        "task": f.task,
        "complexity": f.complexity,
        "difficulty": f.difficulty,
        "confidence": f.confidence,
        "needs_workspace": f.needs_workspace,
        "needs_tools": f.needs_tools,
        "tier": tier,
        "host": r.host,
        "event": event,
        "kind": event if event in MEDIA_KINDS else "text",
        "session": r.session,
    }
    if rf is NEUTRAL:  # a lone prompt: its request's names are the neutral ones
        ns["context_tokens"] = f.tokens
        ns.update(_NEUTRAL)
    else:
        ns["context_tokens"] = f.tokens if rf.context_tokens is None else rf.context_tokens
        ns.update(
            requested_model=rf.requested_model,
            has_tools=rf.has_tools,
            n_messages=rf.n_messages,
            thinking=rf.thinking,
            has_images=rf.has_images,
            stream=rf.stream,
            background=rf.background,
        )
    ns.update(base)
    if signals:
        ns["signals"] = frozenset(f.signals)
    return ns


_NEUTRAL = {
    "requested_model": NEUTRAL.requested_model,
    "has_tools": NEUTRAL.has_tools,
    "n_messages": NEUTRAL.n_messages,
    "thinking": NEUTRAL.thinking,
    "has_images": NEUTRAL.has_images,
    "stream": NEUTRAL.stream,
    "background": NEUTRAL.background,
}
assert NEUTRAL.context_tokens is None  # a lone prompt's context is the prompt: its own tokens


def build(
    ctx: Context,
    knobs: Mapping[str, str],
    threshold: float,
    tier: str,
    claude_prefix: str,
    needed: frozenset[str] = CONTEXT_NAMES,
    long_context_tokens: int = 100_000,
) -> dict[str, Any]:
    """The namespace a rule's expression is evaluated in, for one Context (`base` and `fill` in one)."""
    ns = base(
        ctx.now,
        ctx.configured,
        ctx.budgets,
        ctx.open_breakers,
        knobs,
        threshold,
        claude_prefix,
        needed,
        long_context_tokens,
    )
    return fill(ns, ctx.request, ctx.features, tier, "signals" in needed)
