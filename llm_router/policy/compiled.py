"""The compiled policy: what the loader's merged document becomes once every expression, regex and chain
reference has been checked. Immutable, cheap to evaluate against many prompts."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from llm_router.decision import BudgetState

if TYPE_CHECKING:
    from llm_router.classify import Classifier
    from llm_router.llmclassify import LlmClassifier
    from llm_router.policy.expr import Expr

PROFILES = ("budget", "balanced", "premium")
POLICIES = ("aggressive", "balanced", "conservative")
ENFORCE_MODES = ("smart", "hard", "soft", "off")
MODES = ("normal", "zero_claude")
MEDIA_KINDS = ("image", "video", "speech", "transcription")  # a Request's event names one for a media request


_EMPTY: Mapping[str, Any] = MappingProxyType({})  # an immutable default for mapping fields


class Action(NamedTuple):
    """The `then:` of a rule."""

    action: str | None  # route | passthrough | suggest | block; None when the rule only adjusts
    route: str | None  # a chain name, or "auto" for the tier the difficulty picks
    downgrade: int = 0
    upgrade: int = 0
    reason: str = ""
    message: str = ""

    def describe(self) -> str:
        """A short text of what this action does, for traces."""
        parts = []
        if self.action and self.action != "route":
            parts.append(self.action)
        if self.route:
            parts.append(f"route {self.route}")
        if self.downgrade:
            parts.append(f"downgrade {self.downgrade}")
        if self.upgrade:
            parts.append(f"upgrade {self.upgrade}")
        return ", ".join(parts) or "nothing"


class CompiledRule(NamedTuple):
    id: str
    when: Expr
    then: Action
    cont: bool
    location: str  # file:line of the rule
    description: str = ""
    names: tuple[str, ...] = ()  # the context names its condition uses, sorted (for the trace)


class Preset(NamedTuple):
    """What one value of the `policy` knob means."""

    name: str
    threshold: float  # the confidence a decision needs before hosts act on it
    cutoffs: tuple[tuple[str, float], ...]  # (tier, lowest difficulty for it), ascending


class BudgetSpec(NamedTuple):
    """A budget as the policy declares it: USD per calendar period, or a share of a Claude subscription."""

    id: str
    period: str  # day | week | month; a subscription's window: 5h | week
    limit_usd: float
    provider: str | None = None
    model: str | None = None  # a LiteLLM id; for a subscription, a Claude model family (opus, sonnet, haiku)
    kind: str = "usd"  # usd | subscription
    unit: str = "usd"  # a subscription's: tokens | messages
    limit: float = 0.0  # a subscription's limit in `unit`
    token_kinds: tuple[str, ...] = ("input", "output")  # which usage fields a token limit counts
    refresh_s: float = 300.0  # a subscription's estimate is rescanned at most this often on the hook path

    def state(self, spent: float = 0.0, resets_at: float | None = None) -> BudgetState:
        """This budget with `spent` used against it (USD, or the subscription's unit)."""
        if self.kind == "subscription":
            return BudgetState(
                self.id,
                self.period,
                0.0,
                0.0,
                None,
                self.model,
                kind="subscription",
                unit=self.unit,
                limit=self.limit,
                used=spent,
                resets_at=resets_at,
            )
        return BudgetState(self.id, self.period, self.limit_usd, spent, self.provider, self.model)


class CompiledPolicy(NamedTuple):
    revision: str
    profile: str
    policy: str
    enforce: str
    mode: str
    claude_prefix: str
    presets: Mapping[str, Preset]
    tiers: tuple[str, ...]
    # chain name -> profile (or "*" for every profile) -> models, cheapest first
    chains: Mapping[str, Mapping[str, tuple[str, ...]]]
    classifier: Classifier
    rules: tuple[CompiledRule, ...]
    budgets: tuple[BudgetSpec, ...] = ()
    models: Mapping[str, Mapping[str, Any]] = _EMPTY
    fallback: Mapping[str, Any] = _EMPTY
    baseline_model: str | None = None
    data: Mapping[str, Any] = _EMPTY  # the merged document, for `policy show`
    names_used: frozenset[str] = frozenset()  # every context name some rule uses
    # media kind (image, video, speech, transcription) -> profile (or "*") -> models, cheapest first
    media: Mapping[str, Mapping[str, tuple[str, ...]]] = _EMPTY
    gateway: Mapping[str, Any] = _EMPTY  # the `gateway:` section (llm_router.gateway.config reads it)
    classifier_llm: LlmClassifier | None = None  # the second stage, when `classifier.llm.enabled`

    @property
    def long_context_tokens(self) -> int:
        """`gateway.long_context_tokens`: above it a request is long context."""
        return int(self.gateway.get("long_context_tokens", 100_000))

    def chain(self, name: str, profile: str) -> tuple[str, ...]:
        """The models of chain `name` under `profile`: its own list for that profile, else the list for every
        profile, else the balanced one."""
        by_profile = self.chains.get(name)
        if not by_profile:
            return ()
        for key in (profile, "*", "balanced"):
            if key in by_profile:
                return by_profile[key]
        return next(iter(by_profile.values()))

    def media_chain(self, kind: str, profile: str) -> tuple[str, ...]:
        """The models of the media chain of `kind` under `profile`, as `chain` picks a profile's list."""
        by_profile = self.media.get(kind)
        if not by_profile:
            return ()
        for key in (profile, "*", "balanced"):
            if key in by_profile:
                return by_profile[key]
        return next(iter(by_profile.values()))

    def all_models(self) -> list[str]:
        """Every model named by any chain, in first-seen order."""
        seen: dict[str, None] = {}
        for by_profile in self.chains.values():
            for models in by_profile.values():
                seen.update(dict.fromkeys(models))
        return list(seen)
