"""From a request to what the gateway does with it: keep the turn's model when the request continues a turn,
else ask the one pipeline for a decision and turn it into a plan (the decision's chain, models the caller
named, the upstream, or the policy's default model)."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from llm_router.decision import Decision, Request
from llm_router.gateway.errors import ApiError
from llm_router.router import runnable

if TYPE_CHECKING:
    from llm_router.gateway.features import Shape
    from llm_router.gateway.service import Gateway

PASSTHROUGH = "passthrough"  # the model turn memory keeps for a turn that went to the upstream


class Plan(NamedTuple):
    """What to do with one request."""

    decision: Decision
    request: Request
    models: tuple[str, ...] | None  # forced models; None: the decision's usable chain
    passthrough: bool  # send it to the Anthropic upstream unchanged
    kept: bool  # the turn's decision and model came from turn memory


def make_plan(
    gw: Gateway, api: str, shape: Shape, client: str, *, named: str | None = None, upstream: bool = False
) -> Plan:
    """The plan for a request of `api`. `named`: a concrete model the caller asked for (respected, as
    `--models` is); `upstream`: whether this request can pass through (an Anthropic request with the
    caller's own credentials)."""
    request = Request(
        prompt=shape.prompt,
        host="gateway",
        event=api,
        session=shape.conversation,
        cwd=str(gw.settings.cwd),
        client=client,
        features=shape.features,
    )
    if shape.continuing:
        kept = gw.turns.get(shape.conversation, shape.turn)
        if kept is not None and (kept.model != PASSTHROUGH or upstream):
            passing = kept.model == PASSTHROUGH
            return Plan(kept.decision, request, None if passing else (kept.model,), passing, True)
    cp = gw.policy()
    requested = shape.features.requested_model
    # A tier or chain asked for by name stands where the tier the difficulty picks would (the `tier` knob).
    decision = gw.decide(request, knobs={"tier": requested} if requested in cp.chains else None)
    if decision.action == "block":
        raise ApiError(403, f"llm-router: {decision.message or decision.reason or 'blocked by the policy'}")
    if named:
        return Plan(decision, request, (named,), False, False)
    # A suggestion leaves the answer to the host's model, as the hooks do; zero_claude routes it anyway.
    routes = decision.action == "route" or (decision.action == "suggest" and decision.mode == "zero_claude")
    if routes and runnable(decision):  # usable models, or ones held back only by a breaker (checked live)
        return Plan(decision, request, None, False, False)
    return _nowhere_to_route(gw, decision, request, upstream)


def _nowhere_to_route(gw: Gateway, decision: Decision, request: Request, upstream: bool) -> Plan:
    """A passthrough decision (a prefix, a rule, an unsure prompt, a suggestion) or a route with no usable
    model: the upstream when the request can go there, else the policy's default model, else the configured
    models of the chain of the decision's tier (what `gateway.default_model: null` means)."""
    cp = gw.policy()
    prefixed = request.prompt.lstrip().lower().startswith(cp.claude_prefix.lower())
    if decision.mode == "zero_claude" and not prefixed:
        budgets = bool(decision.unusable) and all("budget" in why for why in decision.unusable.values())
        raise ApiError(
            429 if budgets else 503,
            f"no model can be tried now, and zero_claude passes nothing to Claude: {_why(decision)}".rstrip(
                "; "
            ),
        )
    if upstream:
        return Plan(decision, request, None, True, False)
    default = gw.config().default_model
    if default:
        return Plan(decision, request, (default,), False, False)
    # No default model: the chain of the tier the difficulty picks, as inside LiteLLM Proxy.
    from llm_router.providers.catalogue import configured, provider_of

    tier = decision.tier or cp.tiers[0]
    have = configured(gw.environment(), files=False)
    chain = tuple(m for m in cp.chain(tier, decision.profile) if provider_of(m) in have)
    if not chain:
        raise ApiError(
            503,
            f"the decision is {decision.action} (rule {decision.rule}: {decision.reason}), there is no "
            f"upstream for this request and no model of the {tier} chain is configured: set "
            "gateway.default_model, or a key for a model of that chain",
        )
    return Plan(decision, request, chain, False, False)


def _why(decision: Decision) -> str:
    if not decision.unusable:
        return ""
    return "; ".join(f"{m}: {why}" for m, why in decision.unusable.items()) + "; "
