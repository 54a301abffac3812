"""The decision function: (CompiledPolicy, Context) -> Decision. Pure: no files, clock or network.

Rules are tried in order; the first that matches without `continue: true` decides. A matching rule with
`continue: true` adds its effect (a downgrade, an upgrade, a reason) and the next rules are tried.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, overload

from llm_router.decision import BudgetState, Context, Decision, TraceStep, step_json
from llm_router.policy import namespace
from llm_router.policy.compiled import MEDIA_KINDS, PROFILES, CompiledPolicy, CompiledRule
from llm_router.policy.expr import ExprBudgetError, ExprRuntimeError, Meter
from llm_router.providers.table import how_to_configure, provider_of


def evaluate(cp: CompiledPolicy, ctx: Context) -> Decision:
    """Decide what to do with one prompt."""
    knobs = {
        "profile": ctx.knobs.get("profile", cp.profile),
        "policy": ctx.knobs.get("policy", cp.policy),
        "enforce": ctx.knobs.get("enforce", cp.enforce),
        "mode": ctx.knobs.get("mode", cp.mode),
    }
    preset = cp.presets.get(knobs["policy"]) or cp.presets[cp.policy]
    f = ctx.features
    # A request may name its tier or chain (model `complex` sent to a server): it stands where the tier the
    # difficulty picks would, so `route: auto` goes there and every other rule still applies.
    named = ctx.knobs.get("tier") or ""
    auto = named if named in cp.chains else namespace.auto_tier(f.difficulty, cp.tiers, preset.cutoffs)
    ns = namespace.build(
        ctx, knobs, preset.threshold, auto, cp.claude_prefix, cp.names_used, cp.long_context_tokens
    )

    steps: list[tuple[CompiledRule, bool, str, str]] = []  # (rule, matched, effect, note); see Trace
    shift = 0
    reasons: list[str] = []
    decided: CompiledRule | None = None
    allowance = Meter()  # what all the rules of this decision may spend between them
    for rule in cp.rules:
        try:
            matched = bool(rule.when.evaluate(ns, allowance))
        except ExprBudgetError as exc:
            steps.append((rule, False, "", f"over budget: {exc}; treated as not matching"))
            continue
        except ExprRuntimeError as exc:
            steps.append((rule, False, "", f"error: {exc}; treated as not matching"))
            continue
        if not matched:
            steps.append((rule, False, "", ""))
            continue
        steps.append((rule, True, rule.then.describe(), ""))
        shift += rule.then.upgrade - rule.then.downgrade
        if rule.then.reason:
            reasons.append(rule.then.reason)
        if rule.cont:
            continue
        decided = rule
        break

    if decided is None:
        action, route, rule_id, location, message = "passthrough", None, "(none)", "", ""
        reasons.append("no rule matched")
    else:
        action = decided.then.action or "route"
        route = decided.then.route or ("auto" if action in ("route", "suggest") else None)
        rule_id, location, message = decided.id, decided.location, decided.then.message

    if (
        knobs["mode"] == "zero_claude"
        and action == "passthrough"
        and not ctx.request.prompt.lstrip().lower().startswith(cp.claude_prefix.lower())
    ):
        action, route = "route", "auto"
        reasons.append(
            f"zero_claude: the host's own Claude never answers unless the prompt starts with "
            f"{cp.claude_prefix!r}"
        )

    shifted = _shifted(route if route and route != "auto" else auto, shift, cp.tiers)
    tier: str | None = shifted
    chain: tuple[str, ...] = ()
    kind = ctx.request.event if ctx.request.event in MEDIA_KINDS else None
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
    usable, unusable = _usable(chain, ctx)
    if chain and not usable:
        reasons.append("no model of this chain is usable now (see unusable)")
    return Decision(
        id=_decision_id(cp.revision, ctx),
        action=action,
        tier=tier,
        chain=chain,
        usable=usable,
        unusable=unusable,
        rule=rule_id,
        rule_location=location,
        reason="; ".join(reasons),
        message=message,
        task=f.task,
        complexity=f.complexity,
        difficulty=f.difficulty,
        confidence=f.confidence,
        tokens=f.tokens,
        signals=f.signals,
        host=ctx.request.host,
        profile=knobs["profile"],
        policy=knobs["policy"],
        enforce=knobs["enforce"],
        mode=knobs["mode"],
        threshold=preset.threshold,
        trace=Trace(steps, ns),
        policy_revision=cp.revision,
        needs_workspace=f.needs_workspace,
        needs_tools=f.needs_tools,
    )


def _shifted(tier: str, shift: int, tiers: tuple[str, ...]) -> str:
    if not shift or tier not in tiers:
        return tier
    return tiers[max(0, min(len(tiers) - 1, tiers.index(tier) + shift))]


def _usable(chain: tuple[str, ...], ctx: Context) -> tuple[tuple[str, ...], dict[str, str]]:
    exhausted = tuple(b for b in ctx.budgets.values() if b.exhausted)
    key = (chain, ctx.configured, ctx.open_breakers, tuple((b.id, b.provider, b.model) for b in exhausted))
    hit = _usable_cache.get(key)
    if hit is None:
        hit = _usable_cache[key] = _usable_now(chain, ctx.configured, ctx.open_breakers, exhausted)
        if len(_usable_cache) > 256:
            _usable_cache.pop(next(iter(_usable_cache)))
    return hit[0], dict(hit[1])


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
            unusable[model] = f"{provider} is not configured ({how_to_configure(provider)})"
        elif model in open_breakers or provider in open_breakers:
            unusable[model] = "circuit breaker open"
        else:
            spent = next((b.id for b in exhausted if b.applies_to(model)), None)
            if spent is not None:
                unusable[model] = f"budget {spent!r} exhausted"
            else:
                usable.append(model)
    return tuple(usable), unusable


def _decision_id(revision: str, ctx: Context) -> str:
    r = ctx.request
    seed = f"{revision}\0{ctx.now!r}\0{r.session}\0{r.host}\0{r.prompt}"
    return hashlib.blake2b(seed.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


_STEP_JSON: dict[tuple[Any, ...], str] = {}
# Names whose values are small and hashable, so a step that reads only these can reuse an earlier step's JSON.
# The prompt, budgets and provider health are written afresh: they are large, or mappings (unhashable).
_REUSABLE = namespace.CONTEXT_NAMES - {"prompt", "budget", "health"}


class Trace(Sequence[TraceStep]):
    """The rules a decision considered, built into TraceSteps only when someone reads them: a hook that
    renders a decision never pays for explaining it."""

    __slots__ = ("_ns", "_raw", "_steps")

    def __init__(self, raw: list[tuple[CompiledRule, bool, str, str]], ns: Mapping[str, Any]):
        self._raw = raw
        self._ns = ns
        self._steps: list[TraceStep] | None = None

    def _built(self) -> list[TraceStep]:
        if self._steps is None:
            self._steps = [_step(r, self._ns, m, e, n) for r, m, e, n in self._raw]
        return self._steps

    @overload
    def __getitem__(self, index: int) -> TraceStep: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[TraceStep]: ...
    def __getitem__(self, index: int | slice) -> TraceStep | Sequence[TraceStep]:
        return self._built()[index]

    def __len__(self) -> int:
        return len(self._raw)

    def to_json(self) -> str:
        """The steps' JSON, comma-separated, written from the raw steps without building TraceSteps.

        A step that saw the same values as an earlier one (most do: threshold, host, tier, ...) reuses its
        JSON; steps that see the prompt or name budgets and providers are always written afresh.
        """
        ns = self._ns
        parts = []
        for rule, matched, effect, note in self._raw:
            if rule.when.constant_keys or not _REUSABLE.issuperset(rule.names):
                parts.append(
                    step_json(rule.id, rule.location, rule.when.source, matched, _saw(rule, ns), effect, note)
                )
                continue
            key = (rule.id, rule.location, matched, effect, note, *[ns[n] for n in rule.names])
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


def _step(rule: CompiledRule, ns: Mapping[str, Any], matched: bool, effect: str, note: str) -> TraceStep:
    return TraceStep(rule.id, rule.location, rule.when.source, matched, _saw(rule, ns), effect, note)


def _saw(rule: CompiledRule, ns: Mapping[str, Any]) -> dict[str, Any]:
    """The values of the names the rule's condition uses; of budgets and providers, only those it names."""
    saw = {name: ns[name] for name in rule.names}
    for name, keys in rule.when.constant_keys.items():
        if name in saw:
            saw[name] = {k: saw[name][k] for k in keys if k in saw[name]}
    return saw
