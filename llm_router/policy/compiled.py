"""The compiled policy: what the loader's merged document becomes once every expression, regex and chain
reference has been checked. Immutable, cheap to evaluate against many prompts.

A policy read from the compiled cache (`compiled_cache.py`) builds its rules on first use (`RuleTable`) and
its merged document on first read (`Document`): deciding touches only the rules that matched.
"""

from __future__ import annotations

from _collections_abc import Mapping, Sequence  # collections.abc without importing collections

from llm_router.decision import BudgetState
from llm_router.policy import meter
from llm_router.policy.meter import ExprRuntimeError
from llm_router.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterator
    from types import CodeType
    from typing import Any

    from llm_router.classify import Classifier
    from llm_router.llmclassify import LlmClassifier
    from llm_router.policy.meter import Meter

PROFILES = ("budget", "balanced", "premium")
POLICIES = ("aggressive", "balanced", "conservative")
ENFORCE_MODES = ("smart", "hard", "soft", "off")
MODES = ("normal", "zero_claude")
MEDIA_KINDS = ("image", "video", "speech", "transcription")  # a Request's event names one for a media request


_EMPTY: Mapping[str, Any] = type(type.__dict__)(
    {}
)  # an immutable default for mapping fields (a mappingproxy)


class Expr:
    """A compiled `when:` expression (`expr.compile_expr`): what it reads, and a fast `evaluate(ns)`."""

    __slots__ = (
        "source",
        "names",
        "constant_keys",
        "patterns",
        "metered",
        "tree",
        "_code",
        "_constant",
        "_is_constant",
    )

    def __init__(
        self,
        source: str,
        names: frozenset[str],
        constant_keys: Mapping[str, Collection[str]],
        code: Any = None,
        constant: Any = None,
        patterns: tuple[tuple[int, str, bool], ...] = (),
        metered: bool = False,
        tree: Any = None,
        is_constant: bool | None = None,
    ):
        self.source = source
        self.names = names
        self.constant_keys = constant_keys
        # (offset in source, pattern, exact) of each constant matches() pattern: `exact` when the pattern's
        # characters sit verbatim from that offset (a plain literal), so a position inside it can be shown.
        self.patterns = patterns
        self.metered = metered  # calls what meter.py meters, so needs an allowance to run
        self.tree = tree  # the rewritten syntax tree, while compiling a policy (exprcheck.fuse uses it)
        self._code = code
        self._constant = constant
        # A compiled policy read from the cache has no code objects per rule: one is compiled when needed.
        self._is_constant = code is None if is_constant is None else is_constant

    @property
    def constant_value(self) -> tuple[Any] | None:
        """`(value,)` for an expression that is a constant, None otherwise."""
        return (self._constant,) if self._is_constant else None

    def evaluate(self, ns: Mapping[str, Any], allowance: Meter | None = None) -> Any:
        """The value of the expression with the context names in ns. A failure becomes ExprRuntimeError;
        running out of the rule's allowance (or of what a decision's `allowance` has left) ExprBudgetError."""
        if self._is_constant:
            return self._constant
        if self._code is None:
            from llm_router.policy.expr import compile_expr
            from llm_router.policy.namespace import CONTEXT_NAMES

            self._code = compile_expr(self.source, CONTEXT_NAMES)._code
        try:
            if self.metered:
                return meter.run(self._code, meter.GLOBALS, ns, allowance)
            return eval(self._code, meter.GLOBALS, ns)  # noqa: S307 - whitelisted by exprcheck
        except ExprRuntimeError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of a checked expression is a rule error
            raise ExprRuntimeError(f"{type(exc).__name__}: {exc}") from exc

    def __repr__(self) -> str:
        return f"Expr({self.source!r})"


class Action(Record):
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


class CompiledRule(Record):
    id: str
    when: Expr
    then: Action
    cont: bool
    location: str  # file:line of the rule
    description: str = ""
    names: tuple[str, ...] = ()  # the context names its condition uses, sorted (for the trace)


class Preset(Record):
    """What one value of the `policy` knob means."""

    name: str
    threshold: float  # the confidence a decision needs before hosts act on it
    cutoffs: tuple[tuple[str, float], ...]  # (tier, lowest difficulty for it), ascending


class BudgetSpec(Record):
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


class RuleTable(Sequence["CompiledRule"]):
    """The rules of a policy read from the cache: each built from its cached fields when first asked for."""

    __slots__ = ("_build", "_fields", "_rules")

    def __init__(self, fields: Sequence[Any], build: Callable[[Any], CompiledRule]):
        self._fields = fields
        self._build = build
        self._rules: list[CompiledRule | None] = [None] * len(fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        rule = self._rules[index]
        if rule is None:
            rule = self._rules[index] = self._build(self._fields[index])
        return rule

    def __iter__(self) -> Iterator[CompiledRule]:
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        return f"RuleTable({len(self)} rules)"


class Document(Mapping[str, "Any"]):
    """The merged policy document of a cached policy, unmarshalled when first read (`policy show`, lint and
    the subagent handler read it; deciding does not)."""

    __slots__ = ("_load", "_data")

    def __init__(self, load: Callable[[], Mapping[str, Any]]):
        self._load = load
        self._data: Mapping[str, Any] | None = None

    def _get(self) -> Mapping[str, Any]:
        if self._data is None:
            self._data = self._load()
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __repr__(self) -> str:
        return repr(self._get())


class CompiledPolicy(Record):
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
    rules: Sequence[CompiledRule]  # a tuple, or a RuleTable for a policy read from the cache
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
    # The rules' conditions as one code object (exprcheck.fuse), which the evaluator runs; None until built.
    scan: CodeType | None = None
    metered: bool = False  # some rule's condition is metered (needs an allowance to run)

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
