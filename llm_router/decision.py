"""The values that flow through one prompt: Request -> Features -> Context -> Decision.

Plain immutable records, no I/O: the classifier and the policy evaluator are pure functions over these.
"""

from __future__ import annotations

from _collections_abc import Mapping  # collections.abc without importing collections

from llm_router import jsonio
from llm_router.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

ACTIONS = ("route", "passthrough", "suggest", "block")
TASKS = (
    "query",
    "explain",
    "code",
    "refactor",
    "debug",
    "analysis",
    "extraction",
    "research",
    "generate",
    "math",
    "reasoning",
    "creative",
    "chat",
)
COMPLEXITIES = ("simple", "moderate", "complex", "deep_reasoning")
HOSTS = ("cli", "claude-code", "codex", "gemini-cli", "vscode", "cursor", "mcp", "litellm-proxy", "gateway")


_EMPTY: Mapping[str, Any] = type(type.__dict__)(
    {}
)  # an immutable default for mapping fields (a mappingproxy)


def budget_exhausted(ids: Sequence[str]) -> str:
    """Why a model cannot be tried when budgets that apply to it are exhausted (their ids, quoted)."""
    return f"budget {', '.join(repr(i) for i in ids)} exhausted"


def is_budget_exhausted(reason: str) -> bool:
    """Whether `reason` (a decision's `unusable` value, a walk's `skipped`) is `budget_exhausted`'s."""
    return reason.startswith("budget '") and reason.endswith("' exhausted")


class RequestFeatures(Record):
    """What a whole API request carries besides its prompt (the gateway fills these in). The defaults are
    the neutral values of a lone prompt: one message, no tools, no images, no thinking, not streamed."""

    requested_model: str = ""  # the model the client asked for ("" when none)
    has_tools: bool = False  # tool definitions were sent
    n_messages: int = 1
    context_tokens: int | None = None  # the whole request's estimated tokens; None: the prompt's own
    thinking: bool = False  # extended thinking / reasoning effort was asked for
    has_images: bool = False
    stream: bool = False
    background: bool = False  # a small-model request the host makes for titles, summaries and checks


NEUTRAL = RequestFeatures()


class Request(Record):
    """One prompt and where it came from; `features` describe the whole request it was taken from."""

    prompt: str
    host: str = "cli"
    event: str = "route"
    session: str = ""
    cwd: str = ""
    client: str = ""  # the client program, e.g. an HTTP client's user agent
    features: RequestFeatures = NEUTRAL


class Features(Record):
    """What the classifier computed from a prompt."""

    tokens: int
    task: str
    complexity: str
    difficulty: float  # 0..1
    confidence: float  # 0..10
    signals: tuple[str, ...] = ()  # ids of the classifier rules and signals that fired, in order
    # For `policy explain`: (what, effect) pairs, e.g. ("signal:multi-step", +0.8) on the difficulty logit.
    contributions: tuple[tuple[str, float], ...] = ()
    needs_workspace: bool = False  # refers to files, the repository, running tests or commands, or editing
    needs_tools: bool = False  # asks for actions a text-only model cannot take (run, edit, look up live)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tokens": self.tokens,
            "task": self.task,
            "complexity": self.complexity,
            "difficulty": round(self.difficulty, 4),
            "confidence": round(self.confidence, 2),
            "needs_workspace": self.needs_workspace,
            "needs_tools": self.needs_tools,
            "signals": list(self.signals),
        }


class BudgetState(Record):
    """A budget of the policy and what has been used against it in its current period.

    A USD budget (`kind` "usd") counts `spent_usd` of `limit_usd` from usage.db this calendar `period`. A
    subscription budget (`kind` "subscription") counts `used` of `limit` in `unit` (tokens or messages) of the
    host's own Claude subscription in a rolling `period` ("5h" or "week"); it meters the host's model, so it
    never rules out a model of a chain.
    """

    id: str
    period: str  # day | week | month; a subscription's window: 5h | week
    limit_usd: float
    spent_usd: float = 0.0
    provider: str | None = None
    model: str | None = None
    kind: str = "usd"  # usd | subscription
    unit: str = "usd"  # usd | tokens | messages
    limit: float = 0.0  # a subscription's limit, in `unit`
    used: float = 0.0  # a subscription's use in its current window, in `unit`
    resets_at: float | None = None  # when a subscription's current window ends (epoch seconds)

    @property
    def used_pct(self) -> float:
        if self.kind == "subscription":
            return 100.0 * self.used / self.limit if self.limit > 0 else 100.0
        return 100.0 * self.spent_usd / self.limit_usd if self.limit_usd > 0 else 100.0

    @property
    def remaining_usd(self) -> float:
        return max(0.0, self.limit_usd - self.spent_usd)

    @property
    def remaining(self) -> float:
        """What is left, in `unit`."""
        if self.kind == "subscription":
            return max(0.0, self.limit - self.used)
        return self.remaining_usd

    @property
    def exhausted(self) -> bool:
        if self.kind == "subscription":
            return self.used >= self.limit
        return self.spent_usd >= self.limit_usd

    def applies_to(self, model: str) -> bool:
        if self.kind == "subscription":
            return False  # the host's own subscription; chains run on API keys
        provider = model.split("/", 1)[0]
        if self.model is not None:
            return self.model == model
        if self.provider is not None:
            return self.provider == provider
        return True

    def to_dict(self) -> dict[str, Any]:
        if self.kind == "subscription":
            return {
                "id": self.id,
                "kind": self.kind,
                "period": self.period,
                "unit": self.unit,
                "limit": self.limit,
                "used": self.used,
                "used_pct": round(self.used_pct, 2),
                "remaining": self.remaining,
                "resets_at": self.resets_at,
                "model": self.model,
            }
        return {
            "id": self.id,
            "period": self.period,
            "provider": self.provider,
            "model": self.model,
            "limit_usd": self.limit_usd,
            "spent_usd": round(self.spent_usd, 10),
            "used_pct": round(self.used_pct, 2),
            "remaining_usd": round(self.remaining_usd, 10),
        }


class Context(Record):
    """Everything the evaluator may look at besides the policy. Time comes in here, never from a clock."""

    request: Request
    features: Features
    now: float  # epoch seconds
    configured: frozenset[str] = frozenset()  # providers with a key or endpoint, e.g. {"openai", "ollama"}
    budgets: Mapping[str, BudgetState] = _EMPTY
    open_breakers: frozenset[str] = frozenset()  # model ids and provider names whose breaker is open now
    # Session-level knob overrides (profile, policy, enforce, mode), e.g. from the MCP tool llm_set_mode.
    knobs: Mapping[str, str] = _EMPTY


class TraceStep(Record):
    """One rule the evaluator considered: what it saw and why it did or did not match.

    `saw` holds the raw values of the names the rule's condition uses; `to_dict` makes them short and
    JSON-friendly, so a decision nobody prints costs nothing to explain.
    """

    rule: str
    location: str  # file:line
    when: str
    matched: bool
    saw: Mapping[str, Any]
    effect: str = ""  # what it did when it matched ("route simple", "downgrade 1", ...)
    note: str = ""  # why it did not apply, or an error evaluating it

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "location": self.location,
            "when": self.when,
            "matched": self.matched,
            "saw": {k: plain(v) for k, v in self.saw.items()},
            "effect": self.effect,
            "note": self.note,
        }

    def to_json(self) -> str:
        """Compact JSON of `to_dict()`."""
        return step_json(self.rule, self.location, self.when, self.matched, self.saw, self.effect, self.note)


def step_json(
    rule: str, location: str, when: str, matched: bool, saw: Mapping[str, Any], effect: str, note: str
) -> str:
    """Compact JSON of one trace step, as `TraceStep.to_dict()` would encode. The rule's constant part (id,
    location, condition) is encoded once per process and scalars are written directly: printing thousands
    of decisions (`route --batch`) is mostly this."""
    key = (rule, location, when)
    head = _STEP_HEADS.get(key)
    if head is None:
        if len(_STEP_HEADS) > 4096:  # policies reloaded many times in one process
            _STEP_HEADS.clear()
        head = _STEP_HEADS[key] = _encode({"rule": rule, "location": location, "when": when})[:-1]
    seen = ",".join(f"{_quote(k)}:{_json(plain(v))}" for k, v in saw.items())
    flag = "true" if matched else "false"
    return f'{head},"matched":{flag},"saw":{{{seen}}},"effect":{_quote(effect)},"note":{_quote(note)}}}'


_PREVIEW = 80
_encode = jsonio.encoder(ensure_ascii=False, separators=(",", ":"), default=str, check_circular=False)
_quote = jsonio.quote
_STEP_HEADS: dict[tuple[str, str, str], str] = {}
# Decision._summary_json's parts, by what they are made of
_SUMMARY_JSON: dict[tuple[Any, ...], tuple[str, str]] = {}
_OUTCOME_KEYS = (
    "action",
    "tier",
    "chain",
    "usable",
    "unusable",
    "executable",
    "rule",
    "rule_location",
    "reason",
    "message",
    "task",
    "complexity",
)
_KNOB_KEYS = ("host", "profile", "policy", "enforce", "mode", "threshold")
_SIGNALS_JSON: dict[tuple[str, ...], str] = {}


def _json(value: Any) -> str:
    """Compact JSON of one trace value: scalars written directly, anything else through the encoder."""
    kind = type(value)
    if kind is str:
        return _quote(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if kind is int or (kind is float and value - value == 0):  # finite floats as json writes them
        return repr(value)
    return _encode(value)


def plain(value: Any) -> Any:
    """A value as a trace shows it: short strings, rounded floats, sorted sets, states as dicts."""
    kind = type(value)
    if kind is str:
        return value if len(value) <= _PREVIEW else value[:_PREVIEW] + "…"
    if kind is float:
        return round(value, 4)
    if kind is int or kind is bool or value is None:
        return value
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, BudgetState):
        if value.kind == "subscription":
            return {"used_pct": round(value.used_pct, 2), "remaining": value.remaining}
        return {"used_pct": round(value.used_pct, 2), "remaining_usd": round(value.remaining_usd, 6)}
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if hasattr(value, "breaker_open"):
        return {"configured": value.configured, "breaker_open": value.breaker_open, "usable": value.usable}
    return value


def decisive(trace: Sequence[TraceStep]) -> Sequence[TraceStep]:
    """The steps of a trace that shaped the decision: the rules that matched (the deciding one last) and
    those whose condition failed to evaluate."""
    fast = getattr(trace, "decisive", None)  # the evaluator's lazy trace knows them without a scan
    if fast is not None:
        return fast()  # type: ignore[no-any-return]
    return [step for step in trace if step.matched or step.note]


class Decision(Record):
    """What the policy decided for one prompt, with everything needed to explain and to carry it out."""

    id: str
    action: str  # route | passthrough | suggest | block
    tier: (
        str | None
    )  # the chain name routed to (simple, moderate, complex, deep_reasoning, or a custom chain)
    chain: tuple[str, ...]  # the whole chain, by LiteLLM model id, cheapest first
    usable: tuple[str, ...]  # the models of the chain that can be tried now, in order
    unusable: Mapping[str, str]  # model -> why it cannot be tried now
    rule: str
    rule_location: str
    reason: str
    message: str  # for block and suggest: what to show the user
    task: str
    complexity: str
    difficulty: float
    confidence: float
    tokens: int
    signals: tuple[str, ...]
    host: str
    profile: str
    policy: str
    enforce: str
    mode: str
    threshold: float
    trace: Sequence[TraceStep]  # built lazily by the evaluator
    policy_revision: str
    needs_workspace: bool = False  # the classifier's features of the same names
    needs_tools: bool = False
    # What the second-stage classifier (`classifier.llm`) did when enabled: whether it ran, what it said.
    second_stage: Mapping[str, Any] | None = None

    @property
    def executable(self) -> bool:
        """True when the decision routes and at least one model of its chain can be tried."""
        return self.action == "route" and bool(self.usable)

    def to_dict(self, *, full_trace: bool = False) -> dict[str, Any]:
        """The decision as JSON-ready data. Its trace holds the rules that matched or failed (what a stored
        decision or `route --json` needs), or with `full_trace` every rule considered (explain, --trace)."""
        return {
            **self._summary(),
            "trace": [t.to_dict() for t in (self.trace if full_trace else decisive(self.trace))],
            "policy_revision": self.policy_revision,
        }

    def to_json(self, *, full_trace: bool = False) -> str:
        """Compact JSON of `to_dict(full_trace=...)`, built faster (`route --batch` prints thousands)."""
        fast = getattr(self.trace, "to_json", None)  # the evaluator's lazy trace writes itself
        if fast is not None:
            trace = fast(full=full_trace)
        else:
            trace = ",".join(t.to_json() for t in (self.trace if full_trace else decisive(self.trace)))
        revision = self.policy_revision
        revision = _quote(revision) if type(revision) is str else _encode(revision)
        summary = _encode(self._summary())[:-1] if self.second_stage is not None else self._summary_json()
        return f'{summary},"trace":[{trace}],"policy_revision":{revision}}}'

    def _summary_json(self) -> str:
        """`_encode(self._summary())` without its closing brace, written from fragments: what is made of few
        distinct values in a batch (action .. complexity, and host .. threshold; the signals) is encoded once
        and reused, the id and the numbers are written directly."""
        try:
            if type(self.threshold) is not float:  # 1 and 1.0 are one key but not one JSON
                raise TypeError
            # (action, tier, chain, usable), unusable, (rule .. complexity), (host .. threshold)
            key = (self[1:5], tuple(self.unusable.items()), self[6:12], self[16:22])
            known = _SUMMARY_JSON.get(key)
            signals = _SIGNALS_JSON.get(self.signals)
            head = _quote(self.id)
        except TypeError:  # an unhashable value, an id not a string: encode the whole summary
            return _encode(self._summary())[:-1]
        if known is None:
            if len(_SUMMARY_JSON) > 1024:
                _SUMMARY_JSON.clear()
            fields = self._fields_summary()
            known = _SUMMARY_JSON[key] = (
                _encode({k: fields[k] for k in _OUTCOME_KEYS})[1:-1],
                _encode({k: fields[k] for k in _KNOB_KEYS})[1:-1],
            )
        if signals is None:
            if len(_SIGNALS_JSON) > 4096:
                _SIGNALS_JSON.clear()
            signals = _SIGNALS_JSON[self.signals] = _encode(list(self.signals))
        ws, nt, tokens = self.needs_workspace, self.needs_tools, self.tokens
        d, c = round(self.difficulty, 4), round(self.confidence, 2)  # finite floats as json writes them:
        return (
            f'{{"id":{head},{known[0]},'
            f'"difficulty":{repr(d) if type(d) is float and d - d == 0 else _json(d)},'
            f'"confidence":{repr(c) if type(c) is float and c - c == 0 else _json(c)},'
            f'"tokens":{tokens if type(tokens) is int else _json(tokens)},'
            f'"needs_workspace":{"true" if ws is True else "false" if ws is False else _json(ws)},'
            f'"needs_tools":{"true" if nt is True else "false" if nt is False else _json(nt)},'
            f'"signals":{signals},{known[1]}'
        )

    def _summary(self) -> dict[str, Any]:
        summary = self._fields_summary()
        if self.second_stage is not None:
            summary["second_stage"] = dict(self.second_stage)
        return summary

    def _fields_summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "action": self.action,
            "tier": self.tier,
            "chain": list(self.chain),
            "usable": list(self.usable),
            "unusable": dict(self.unusable),
            "executable": self.executable,
            "rule": self.rule,
            "rule_location": self.rule_location,
            "reason": self.reason,
            "message": self.message,
            "task": self.task,
            "complexity": self.complexity,
            "difficulty": round(self.difficulty, 4),
            "confidence": round(self.confidence, 2),
            "tokens": self.tokens,
            "needs_workspace": self.needs_workspace,
            "needs_tools": self.needs_tools,
            "signals": list(self.signals),
            "host": self.host,
            "profile": self.profile,
            "policy": self.policy,
            "enforce": self.enforce,
            "mode": self.mode,
            "threshold": self.threshold,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        """The Decision whose `to_dict()` gave `data` (as the usage store keeps it)."""
        fields = {name: data[name] for name in cls._fields if name in data or name not in cls._field_defaults}
        for name in ("chain", "usable", "signals"):
            fields[name] = tuple(fields[name])
        fields["trace"] = tuple(TraceStep(**step) for step in data["trace"])
        return cls(**fields)
