"""The decision function: (CompiledPolicy, Context) -> Decision. Pure: no files, clock or network.

Rules are tried in order; the first that matches without `continue: true` decides. A matching rule with
`continue: true` adds its effect (a downgrade, an upgrade, a reason) and the next rules are tried. The rules'
conditions run as one code object (`exprcheck.fuse`), which reports only the rules that matched and those
that failed: a rule that did not match costs its condition and nothing more, and the trace of every rule is
written only when someone reads it.
"""

from __future__ import annotations

from _blake2 import blake2b  # hashlib without loading OpenSSL
from _collections_abc import Sequence  # collections.abc without importing collections

from llm_router.decision import Decision, TraceStep, budget_exhausted, step_json
from llm_router.policy import meter, namespace
from llm_router.policy.compiled import MEDIA_KINDS, PROFILES
from llm_router.policy.meter import ExprBudgetError, ExprRuntimeError, Meter, starts_with
from llm_router.providers.table import not_configured, provider_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from typing import Any

    from llm_router.decision import BudgetState, Context, Features, Request
    from llm_router.policy.compiled import CompiledPolicy, CompiledRule

PROMPT_ID_WINDOW = 4096  # characters of a prompt's head and of its tail that go into a decision's id


def evaluate(cp: CompiledPolicy, ctx: Context) -> Decision:
    """Decide what to do with one prompt."""
    return Evaluator(cp, ctx.now, ctx.configured, ctx.budgets, ctx.open_breakers, ctx.knobs)(
        ctx.request, ctx.features
    )


class Evaluator:
    """`evaluate` for one policy, clock and live state, with what does not depend on the prompt worked out
    once: `route --batch` makes one for all its decisions (through `router.Decider`), a lone decision one."""

    __slots__ = (
        "cp",
        "now",
        "configured",
        "budgets",
        "open_breakers",
        "knobs",
        "preset",
        "named",
        "base",
        "allowance",
        "code",
        "zero_claude",
        "knob_values",
        "threshold",
        "signals",
        "_ids",
        "_id_head",
        "_outcomes",
    )

    def __init__(
        self,
        cp: CompiledPolicy,
        now: float,
        configured: frozenset[str] = frozenset(),
        budgets: Mapping[str, BudgetState] | None = None,
        open_breakers: frozenset[str] = frozenset(),
        knobs: Mapping[str, str] | None = None,
    ):
        knobs = knobs or {}
        budgets = {} if budgets is None else budgets
        self.cp, self.now, self.configured, self.budgets, self.open_breakers = (
            cp,
            now,
            configured,
            budgets,
            open_breakers,
        )
        self.knobs = {
            "profile": knobs.get("profile", cp.profile),
            "policy": knobs.get("policy", cp.policy),
            "enforce": knobs.get("enforce", cp.enforce),
            "mode": knobs.get("mode", cp.mode),
        }
        self.preset = cp.presets.get(self.knobs["policy"]) or cp.presets[cp.policy]
        # A request may name its tier or chain (model `complex` sent to a server): it stands where the tier
        # the difficulty picks would, so `route: auto` goes there and every other rule still applies.
        self.named = knobs.get("tier") or ""
        self.base = namespace.base(
            now,
            configured,
            budgets,
            open_breakers,
            self.knobs,
            self.preset.threshold,
            cp.claude_prefix,
            cp.names_used,
            cp.long_context_tokens,
        )
        self.code = cp.scan
        if self.code is None:  # a policy put together by hand rather than compiled
            from llm_router.policy.exprcheck import fuse

            self.code = fuse([(rule.when, rule.cont) for rule in cp.rules])
        # One allowance, given afresh to each decision (so an Evaluator is for one thread at a time); its
        # enter and leave are in the base namespace.
        self.allowance = Meter() if cp.metered or cp.scan is None else None
        if self.allowance is not None:
            self.base["__enter"], self.base["__leave"] = self.allowance.enter, self.allowance.leave
        self.zero_claude = self.knobs["mode"] == "zero_claude"
        self._id_head = blake2b(f"{cp.revision}\0{now!r}\0".encode("utf-8", "surrogatepass"), digest_size=8)
        self._ids: dict[tuple[str, str], Any] = {}  # (session, host) -> the id's hash fed up to the prompt
        self._outcomes: dict[tuple[Any, ...], tuple[Any, ...]] = {}  # (tier, event, *hits) -> _outcome
        self.knob_values = tuple(self.knobs.values())
        self.threshold = self.preset.threshold
        self.signals = "signals" in cp.names_used

    def __call__(self, request: Request, f: Features) -> Decision:
        """The decision for one prompt and its features."""
        cp = self.cp
        named = self.named
        auto = (
            named if named in cp.chains else namespace.auto_tier(f.difficulty, cp.tiers, self.preset.cutoffs)
        )
        ns = namespace.fill(self.base, request, f, auto, self.signals)
        hits, failures = _scan(self.code, self.allowance, ns)
        if failures or self.zero_claude:  # what a failure says, or the prompt itself, is part of the outcome
            outcome = self._outcome(hits, auto, request)
        else:  # else the rules that matched, the tier and the event decide it
            key = (auto, request.event, *hits)
            kept = self._outcomes.get(key)
            if kept is None:
                if len(self._outcomes) > 1024:
                    self._outcomes.clear()
                kept = self._outcomes[key] = self._outcome(hits, auto, request)
            outcome = kept
        action, tier, chain, usable, unusable, rule_id, location, reason, message, decided = outcome
        profile, policy, enforce, mode = self.knob_values
        return _new(
            Decision,
            (
                self._decision_id(request),
                action,
                tier,
                chain,
                usable,
                dict(unusable),
                rule_id,
                location,
                reason,
                message,
                f.task,
                f.complexity,
                f.difficulty,
                f.confidence,
                f.tokens,
                f.signals,
                request.host,
                profile,
                policy,
                enforce,
                mode,
                self.threshold,
                Trace(cp.rules, hits, failures, ns, decided),
                cp.revision,
                f.needs_workspace,
                f.needs_tools,
                None,  # second_stage
            ),
        )

    def _outcome(self, hits: list[int], auto: str, request: Request) -> tuple[Any, ...]:
        """What the rules that matched make of a prompt: (action, tier, chain, usable, unusable, rule id,
        rule location, reason, message, whether a rule decided)."""
        cp, knobs = self.cp, self.knobs
        shift = 0
        reasons: list[str] = []
        decided: CompiledRule | None = None
        rules = cp.rules
        for index in hits:
            rule = rules[index]
            then = rule.then
            shift += then.upgrade - then.downgrade
            if then.reason:
                reasons.append(then.reason)
            if not rule.cont:
                decided = rule  # the scan stops at the first such rule: it is the last hit

        if decided is None:
            action, route, rule_id, location, message = "passthrough", None, "(none)", "", ""
            reasons.append("no rule matched")
        else:
            then = decided.then
            action = then.action or "route"
            route = then.route or ("auto" if action in ("route", "suggest") else None)
            rule_id, location, message = decided.id, decided.location, then.message

        if self.zero_claude and action == "passthrough" and not starts_with(request.prompt, cp.claude_prefix):
            action, route = "route", "auto"
            reasons.append(
                f"zero_claude: the host's own Claude never answers unless the prompt starts with "
                f"{cp.claude_prefix!r}"
            )

        shifted = _shifted(route if route and route != "auto" else auto, shift, cp.tiers)
        tier: str | None = shifted
        chain: tuple[str, ...] = ()
        kind = request.event if request.event in MEDIA_KINDS else None
        if action in ("route", "suggest") and kind is not None and route in ("auto", "media"):
            # A media request goes to its kind's media chain; a downgrade or upgrade moves to the list of a
            # cheaper or dearer profile, as tiers move for a prompt.
            profile = _shifted(knobs["profile"], shift, PROFILES)
            chain, tier = cp.media_chain(kind, profile), kind
            if profile != knobs["profile"]:
                reasons.append(f"the {kind} chain of the {profile} profile")
        elif action in ("route", "suggest") and route == "media":
            tier = None
            reasons.append("a text prompt has no media chain")
        elif action in ("route", "suggest") and route is not None:
            chain = cp.chain(shifted if route == "auto" or route in cp.tiers else route, knobs["profile"])
            if route not in ("auto", *cp.tiers):
                tier = route
        usable, unusable = _usable(chain, self.configured, self.open_breakers, self.budgets)
        if chain and not usable:
            reasons.append("no model of this chain is usable now (see unusable)")
        reason = "; ".join(reasons)
        return action, tier, chain, usable, unusable, rule_id, location, reason, message, decided is not None

    def _decision_id(self, r: Request) -> str:
        """16 hex digits that tell this decision from any other: the policy, the time, where the prompt came
        from and the prompt, of which a long one's length, head and tail are enough. The hash of what comes
        before the prompt is kept per session and host (blake2b of the whole text, fed in parts)."""
        key = (r.session, r.host)
        head = self._ids.get(key)
        if head is None:
            if len(self._ids) > 64:
                self._ids.clear()
            head = self._ids[key] = self._id_head.copy()
            head.update(f"{r.session}\0{r.host}\0".encode("utf-8", "surrogatepass"))
        prompt = r.prompt
        if len(prompt) > 2 * PROMPT_ID_WINDOW:
            prompt = f"{len(prompt)}\0{prompt[:PROMPT_ID_WINDOW]}\0{prompt[-PROMPT_ID_WINDOW:]}"
        h = head.copy()
        h.update(prompt.encode("utf-8", "surrogatepass"))
        return h.hexdigest()  # type: ignore[no-any-return]


_new = tuple.__new__  # a record from all its fields, without Record.__new__'s checks


def _scan(code: Any, allowance: Meter | None, ns: dict[str, Any]) -> tuple[list[int], dict[int, str]]:
    """Run the rules' conditions: the indexes of the rules that matched, in order (the last one decides
    unless it continues), and a note for each rule whose condition failed (treated as not matching).
    `allowance` (whose `enter` and `leave` ns holds) is what all the rules of this decision may spend
    between them, given afresh here."""
    hits: list[int] = []
    failed: dict[int, BaseException] = {}
    ns["__hit"], ns["__fail"] = hits.append, failed.__setitem__
    if allowance is not None:
        allowance.units, allowance.regex_s = meter.DECISION_UNITS, meter.DECISION_REGEX_S
    try:
        exec(code, meter.GLOBALS, ns)  # noqa: S102 - the conditions were whitelisted by exprcheck
    finally:
        del ns["__hit"], ns["__fail"]
    if not failed:
        return hits, {}
    return hits, {index: _failure_note(exc) for index, exc in failed.items()}


def _failure_note(exc: BaseException) -> str:
    if isinstance(exc, ExprBudgetError):
        return f"over budget: {exc}; treated as not matching"
    if isinstance(exc, ExprRuntimeError):
        return f"error: {exc}; treated as not matching"
    return f"error: {type(exc).__name__}: {exc}; treated as not matching"


def _shifted(tier: str, shift: int, tiers: tuple[str, ...]) -> str:
    if not shift or tier not in tiers:
        return tier
    return tiers[max(0, min(len(tiers) - 1, tiers.index(tier) + shift))]


def _usable(
    chain: tuple[str, ...],
    configured: frozenset[str],
    open_breakers: frozenset[str],
    budgets: Mapping[str, BudgetState],
) -> tuple[tuple[str, ...], dict[str, str]]:
    """The usable models of a chain and why the others are not (kept per process: a warm server decides
    against the same state many times)."""
    exhausted = tuple(b for b in budgets.values() if b.exhausted)
    key = (chain, configured, open_breakers, tuple((b.id, b.provider, b.model) for b in exhausted))
    hit = _usable_cache.get(key)
    if hit is None:
        hit = _usable_cache[key] = _usable_now(chain, configured, open_breakers, exhausted)
        if len(_usable_cache) > 256:
            _usable_cache.pop(next(iter(_usable_cache)))
    return hit


_usable_cache: dict[tuple[Any, ...], tuple[tuple[str, ...], dict[str, str]]] = {}


def _usable_now(
    chain: tuple[str, ...],
    configured: frozenset[str],
    open_breakers: frozenset[str],
    exhausted: tuple[BudgetState, ...],
) -> tuple[tuple[str, ...], dict[str, str]]:
    usable: list[str] = []
    unusable: dict[str, str] = {}
    for model in chain:
        provider = provider_of(model)
        if provider not in configured:
            unusable[model] = not_configured(provider)
        elif model in open_breakers or provider in open_breakers:
            unusable[model] = "circuit breaker open"
        else:
            spent = next((b.id for b in exhausted if b.applies_to(model)), None)
            if spent is not None:
                unusable[model] = budget_exhausted((spent,))
            else:
                usable.append(model)
    return tuple(usable), unusable


_STEP_JSON: dict[tuple[Any, ...], str] = {}
# Names whose values are small and hashable, so a step that reads only these can reuse an earlier step's JSON.
# The prompt, budgets and provider health are written afresh: they are large, or mappings (unhashable).
_REUSABLE = namespace.CONTEXT_NAMES - {"prompt", "budget", "health"}


class Trace(Sequence[TraceStep]):
    """The rules a decision considered, made into TraceSteps only when someone reads them: a hook that
    renders a decision never pays for explaining it. Iterating gives every rule up to the deciding one (all of
    them when none decided); `decisive()` the ones that matched or failed."""

    __slots__ = ("_decided", "_failures", "_hits", "_ns", "_rules", "_steps")

    def __init__(
        self,
        rules: Sequence[CompiledRule],
        hits: list[int],
        failures: dict[int, str],
        ns: Mapping[str, Any],
        decided: bool,
    ):
        self._rules = rules
        self._hits = hits
        self._failures = failures
        self._ns = ns
        self._decided = decided
        self._steps: list[TraceStep] | None = None

    def _raw(self, full: bool) -> Iterator[tuple[CompiledRule, bool, str, str]]:
        """(rule, matched, effect, note) of every rule considered, or of the decisive ones."""
        hits, failures, rules = self._hits, self._failures, self._rules
        if full:
            end = hits[-1] + 1 if self._decided else len(rules)
            indexes: Sequence[int] = range(end)
            matched = set(hits)
        else:
            indexes = sorted({*hits, *failures}) if failures else hits
            matched = set(hits) if failures else set(indexes)
        for i in indexes:
            rule = rules[i]
            hit = i in matched
            yield rule, hit, rule.then.describe() if hit else "", failures.get(i, "")

    def _built(self) -> list[TraceStep]:
        if self._steps is None:
            self._steps = [_step(r, self._ns, m, e, n) for r, m, e, n in self._raw(True)]
        return self._steps

    def decisive(self) -> list[TraceStep]:
        """The steps of the rules that matched or failed, in order."""
        if self._steps is not None:
            return [s for s in self._steps if s.matched or s.note]
        return [_step(r, self._ns, m, e, n) for r, m, e, n in self._raw(False)]

    def __getitem__(self, index: Any) -> Any:
        return self._built()[index]

    def __len__(self) -> int:
        return len(self._built())

    def to_json(self, *, full: bool = True) -> str:
        """The steps' JSON (every rule considered, or with `full=False` the decisive ones), comma-separated,
        written from the raw steps without building TraceSteps.

        A step that saw the same values as an earlier one (most do: threshold, host, tier, ...) reuses its
        JSON; steps that see the prompt or name budgets and providers are always written afresh.
        """
        ns = self._ns
        if not full and not self._failures:  # the rules that matched, each as it was written before
            rules = self._rules
            return ",".join([_hit_json(rules[i], ns) for i in self._hits])
        parts = []
        for rule, matched, effect, note in self._raw(full):
            if rule.when.constant_keys or not _REUSABLE.issuperset(rule.names):
                parts.append(
                    step_json(rule.id, rule.location, rule.when.source, matched, _saw(rule, ns), effect, note)
                )
                continue
            key = (
                rule.id,
                rule.location,
                rule.when.source,
                matched,
                effect,
                note,
                *[ns[n] for n in rule.names],
            )
            text = _STEP_JSON.get(key)
            if text is None:
                if len(_STEP_JSON) > 4096:
                    _STEP_JSON.clear()
                text = _STEP_JSON[key] = step_json(
                    rule.id, rule.location, rule.when.source, matched, _saw(rule, ns), effect, note
                )
            parts.append(text)
        return ",".join(parts)

    def __iter__(self) -> Iterator[TraceStep]:
        return iter(self._built())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Trace({self._built()!r})"


def _hit_json(rule: CompiledRule, ns: Mapping[str, Any]) -> str:
    """The JSON of the step of a rule that matched, as `Trace.to_json` writes it."""
    known = _HITS.get(id(rule))
    if known is None or known[0] is not rule:
        if len(_HITS) > 4096:
            _HITS.clear()
        effect = rule.then.describe()
        reusable = not rule.when.constant_keys and _REUSABLE.issuperset(rule.names)
        key = (rule.id, rule.location, rule.when.source, True, effect, "") if reusable else None
        known = _HITS[id(rule)] = (rule, key, effect, rule.names)
    key = known[1]
    if key is None:
        return step_json(rule.id, rule.location, rule.when.source, True, _saw(rule, ns), known[2], "")
    key += tuple(map(ns.__getitem__, known[3]))
    text = _STEP_JSON.get(key)
    if text is None:
        if len(_STEP_JSON) > 4096:
            _STEP_JSON.clear()
        text = _STEP_JSON[key] = step_json(
            rule.id, rule.location, rule.when.source, True, _saw(rule, ns), known[2], ""
        )
    return text


# id(rule) -> (the rule, its _STEP_JSON key up to the values it saw or None, its effect, the names it reads)
_HITS: dict[int, tuple[CompiledRule, tuple[Any, ...] | None, str, tuple[str, ...]]] = {}


def _step(rule: CompiledRule, ns: Mapping[str, Any], matched: bool, effect: str, note: str) -> TraceStep:
    return TraceStep(rule.id, rule.location, rule.when.source, matched, _saw(rule, ns), effect, note)


def _saw(rule: CompiledRule, ns: Mapping[str, Any]) -> dict[str, Any]:
    """The values of the names the rule's condition uses; of budgets and providers, only those it names."""
    saw = {name: ns[name] for name in rule.names}
    for name, keys in rule.when.constant_keys.items():
        if name in saw:
            saw[name] = {k: saw[name][k] for k in keys if k in saw[name]}
    return saw
