"""What a LiteLLM Proxy serves and where a decision lands on it: the model group a request goes to, the rest
of the chain as that request's fallbacks, and what the policy names that the proxy does not serve.

Pure: the proxy's `model_list` is read as data (dicts, or LiteLLM's objects with the same fields), and
litellm is never imported here.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from llm_router.decision import Decision
from llm_router.policy.compiled import CompiledPolicy
from llm_router.providers.table import PROVIDERS, provider_of

__all__ = ["Served", "Target", "Rejection", "StartReport", "default_model", "target_for", "check_served"]


def _field(obj: Any, key: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


class Served:
    """The proxy's deployments as lookups: which model group serves a chain model, and which deployments
    (by id) and providers stand behind each group."""

    def __init__(self, model_list: Iterable[Any]):
        self.groups: dict[str, list[str]] = {}  # model_name -> deployment ids, in model_list order
        self._by_model: dict[str, str] = {}  # litellm_params.model -> the first model_name serving it
        self._group_providers: dict[str, set[str]] = {}
        self.budget_windows: dict[str, str] = {}  # deployment id -> its own budget's window (`1d`, `30d`)
        self._patterns: list[str] = []  # wildcard groups (`openai/*`): the proxy routes any model they match
        for i, deployment in enumerate(model_list):
            name = _field(deployment, "model_name")
            if not isinstance(name, str) or not name:
                continue
            params = _field(deployment, "litellm_params") or {}
            model = _field(params, "model")
            ident = _field(_field(deployment, "model_info") or {}, "id")
            ident = str(ident) if ident is not None else f"#{i}"  # the router gives every deployment an id
            self.groups.setdefault(name, []).append(ident)
            window = _field(params, "budget_duration")
            if _field(params, "max_budget") is not None and isinstance(window, str):
                self.budget_windows[ident] = window
            if "*" in name:
                self._patterns.append(name)
            providers = self._group_providers.setdefault(name, set())
            if isinstance(model, str) and model:
                self._by_model.setdefault(model, name)
                explicit = _field(params, "custom_llm_provider")
                providers.add(explicit if isinstance(explicit, str) and explicit else provider_of(model))

    def group(self, model: str) -> str | None:
        """The model group that serves `model`: a deployment named so, else one whose litellm model it is."""
        if model in self.groups:
            return model
        group = self._by_model.get(model)
        if group is None and any(fnmatch.fnmatchcase(model, p) for p in self._patterns):
            group = model  # the proxy resolves it through the pattern
        return group

    def providers(self, groups: Iterable[str] | None = None) -> frozenset[str]:
        """Providers behind these groups (all groups when None), as LiteLLM names them."""
        names = self.groups if groups is None else groups
        return frozenset(p for g in names for p in self._group_providers.get(g, ()))

    def configured(self, cp: CompiledPolicy) -> frozenset[str]:
        """The providers a decision may count as configured here: those the proxy's deployments use, and
        those of the policy's models that some group serves (`openai/gpt-4o` served as `gpt-4o`)."""
        served = {provider_of(m) for m in cp.all_models() if self.group(m) is not None}
        return frozenset((self.providers() | served) & set(PROVIDERS))

    def __len__(self) -> int:
        return len(self.groups)


class Target(NamedTuple):
    """Where one request goes: `data["model"]`, its fallbacks, and why these (for logs and headers)."""

    model: str
    fallbacks: tuple[str, ...]
    via: str  # chain | default_model | tier NAME


class Rejection(NamedTuple):
    """A request the policy refuses here: an HTTP status and the message the caller reads."""

    status: int
    message: str


def default_model(cp: CompiledPolicy) -> str | None:
    """`gateway.default_model` of the policy: where passthrough decisions go inside a proxy."""
    gateway = cp.data.get("gateway") or {}
    value = gateway.get("default_model") if isinstance(gateway, Mapping) else None
    return value if isinstance(value, str) and value else None


def target_for(decision: Decision, cp: CompiledPolicy, served: Served) -> Target | Rejection:
    """Map one decision onto the proxy's model groups.

    - block: a 400 with the rule's message;
    - route or suggest: the served models of the decision's usable chain, in order. When the chain has
      served models but none can be tried now (breakers, exhausted budgets), a 429 naming why. When the
      proxy serves no model of the chain at all, as for passthrough below;
    - passthrough: `gateway.default_model` when the proxy serves it, else the chain of the decision's tier,
      else of the nearest tier with a served model (higher first).
    """
    if decision.action == "block":
        return Rejection(400, f"blocked by rule {decision.rule}: {decision.message or decision.reason}")
    if decision.action in ("route", "suggest") and decision.chain:
        groups = _groups(decision.usable, served)
        if groups:
            return Target(groups[0], tuple(groups[1:]), "chain")
        if _groups(decision.chain, served):
            why = "; ".join(f"{m}: {r}" for m, r in decision.unusable.items() if served.group(m))
            return Rejection(429, f"no model of chain {decision.tier} can be tried now ({why})")
    default = default_model(cp)
    if default is not None and served.group(default) is not None:
        return Target(served.group(default) or default, (), "default_model")
    for tier in _nearest(decision.tier, cp.tiers):
        groups = _groups(cp.chain(tier, decision.profile), served)
        if groups:
            return Target(groups[0], tuple(groups[1:]), f"tier {tier}")
    return Rejection(503, "this proxy serves no model the routing policy names")


def _groups(models: Iterable[str], served: Served) -> list[str]:
    """The distinct groups serving `models`, in chain order."""
    out: list[str] = []
    for m in models:
        group = served.group(m)
        if group is not None and group not in out:
            out.append(group)
    return out


def _nearest(tier: str | None, tiers: tuple[str, ...]) -> list[str]:
    """`tier` (when it is one), then the tiers above it, then those below it, nearest first."""
    if tier not in tiers:
        return list(tiers)
    at = tiers.index(tier)
    return [tier, *tiers[at + 1 :], *reversed(tiers[:at])]


class StartReport(NamedTuple):
    """What checking a policy against the proxy's deployments found: errors stop the proxy from starting,
    notes say where requests for what the proxy does not serve will go instead."""

    errors: list[str]
    notes: list[str]


def check_served(cp: CompiledPolicy, served: Served) -> StartReport:
    """Check a policy against what the proxy serves (under the policy's profile)."""
    errors: list[str] = []
    notes: list[str] = []
    missing: dict[str, tuple[str, ...]] = {}
    for name in cp.chains:
        models = cp.chain(name, cp.profile)
        if models and not _groups(models, served):
            missing[name] = models
    default = default_model(cp)
    default_served = default is not None and served.group(default) is not None
    named_any = any(_groups(cp.chain(n, cp.profile), served) for n in cp.chains) or default_served
    if not named_any:
        listed = "; ".join(f"{name}: {', '.join(models)}" for name, models in missing.items())
        extra = f"; gateway.default_model: {default}" if default else ""
        errors.append(
            f"this proxy serves none of the models the routing policy names ({listed}{extra}); "
            f"its model_list serves: {', '.join(sorted(served.groups)) or 'nothing'}"
        )
        return StartReport(errors, notes)
    for name, models in missing.items():
        if default_served:
            instead = f"gateway.default_model {default}"
        else:
            tiers = (t for t in _nearest(name, cp.tiers) if _groups(cp.chain(t, cp.profile), served))
            tier = next(tiers, None)
            instead = f"the {tier} chain" if tier else "nowhere: they are refused with a 503"
        notes.append(
            f"chain {name}: none of {', '.join(models)} is served here; its requests go to {instead}"
        )
    if default is not None and not default_served:
        notes.append(
            f"gateway.default_model {default} is not served here; passthrough decisions go to the chain "
            "of their tier"
        )
    for name in sorted((set(cp.chains) | {"auto"}) & set(served.groups)):
        notes.append(f"model {name!r} is served here, so requests for it are not routed by the policy")
    return StartReport(errors, notes)
