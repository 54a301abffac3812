"""What a policy's `budget[...]`, `health[...]` and `configured` read inside LiteLLM Proxy: its own state.

- health and configured: the providers of the proxy's deployments, and its router's deployment cooldowns (a
  model whose every deployment cools down, or a provider whose every deployment does, has its breaker open);
- budget: the spend the proxy itself tracks, per provider (`router_settings.provider_budget_config`) and per
  deployment (`max_budget` and `budget_duration` in a deployment's `litellm_params`), which replicas share
  through Redis when the proxy has it. The policy's `limit_usd` is the limit.

A budget the proxy does not track reads as nothing spent there, and every rule that uses one is reported when
the policy loads. The router is read duck-typed, so this module imports litellm only to read cooldowns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from llm_router.decision import BudgetState
from llm_router.integrations.proxy_models import Served
from llm_router.policy.compiled import BudgetSpec, CompiledPolicy
from llm_router.router import LiveState

__all__ = ["Reading", "provider_windows", "budget_readings", "unread_budget_notes", "read_state"]

_WINDOWS = {"day": ("1d", "24h"), "week": ("7d",), "month": ("30d", "1mo", "31d")}


class Reading(NamedTuple):
    """Where the proxy keeps a policy budget's spend: keys of its router cache, summed."""

    budget: BudgetSpec
    keys: tuple[str, ...]
    window: str  # the proxy's budget window, e.g. "1d"


def _limiter(llm_router: Any) -> Any:
    return getattr(llm_router, "router_budget_logger", None)


def provider_windows(settings: Mapping[str, Any] | Any) -> dict[str, str]:
    """Provider -> budget window, from a running router (its budget limiter) or from the `router_settings`
    of a proxy config (`provider_budget_config: {openai: {budget_limit: 20, time_period: 30d}}`)."""
    if isinstance(settings, Mapping):
        configs = settings.get("provider_budget_config") or {}
    else:
        configs = getattr(_limiter(settings), "provider_budget_config", None) or {}
    windows = {}
    for provider, config in configs.items():
        window = _get(config, "budget_duration") or _get(config, "time_period")
        if isinstance(window, str):
            windows[str(provider)] = window
    return windows


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)


def budget_readings(cp: CompiledPolicy, served: Served, providers: Mapping[str, str]) -> dict[str, Reading]:
    """For each policy budget the proxy tracks, where its spend is kept: the deployments of its model that
    have their own budget, else its provider's budget."""
    readings: dict[str, Reading] = {}
    for b in cp.budgets:
        keys: tuple[str, ...] = ()
        window = ""
        if b.model is not None:
            ids = [
                i for i in served.groups.get(served.group(b.model) or "", []) if i in served.budget_windows
            ]
            keys = tuple(f"deployment_spend:{i}:{served.budget_windows[i]}" for i in ids)
            window = served.budget_windows[ids[0]] if ids else ""
        elif b.provider is not None and b.provider in providers:
            window = providers[b.provider]
            keys = (f"provider_spend:{b.provider}:{window}",)
        if keys:
            readings[b.id] = Reading(b, keys, window)
    return readings


def unread_budget_notes(cp: CompiledPolicy, readings: Mapping[str, Reading]) -> list[str]:
    """One line per rule that uses a budget this proxy does not track, and per budget read over a window
    other than the policy's period."""
    untracked = [b for b in cp.budgets if b.id not in readings]
    notes = []
    for rule in cp.rules:
        where = f"rule {rule.id} ({rule.location})"
        named = set(rule.when.constant_keys.get("budget", ()))
        for b in (b for b in untracked if b.id in named):
            notes.append(
                f"{where} uses budget[{b.id!r}], which this proxy does not track, so it reads as "
                f"nothing spent here; {_how_to_track(b)}"
            )
        whole = "max_budget_pct" in rule.names or ("budget" in rule.names and not named)
        if whole and untracked:
            ids = ", ".join(b.id for b in untracked)
            notes.append(
                f"{where} reads every budget, and this proxy does not track {ids}: they count as "
                "nothing spent here"
            )
    for r in readings.values():
        if r.window not in _WINDOWS.get(r.budget.period, ()):
            notes.append(
                f"budget {r.budget.id!r} reads the proxy's spend over its {r.window} window; the "
                f"policy says {r.budget.period}"
            )
    return notes


def _how_to_track(b: BudgetSpec) -> str:
    window = _WINDOWS.get(b.period, ("30d",))[0]
    if b.model is not None:
        return (
            f"give the deployments of {b.model} `max_budget: {b.limit_usd:g}` and `budget_duration: "
            f"{window}` in their litellm_params"
        )
    if b.provider is not None:
        return (
            f"add `router_settings: provider_budget_config: {{{b.provider}: {{budget_limit: "
            f"{b.limit_usd:g}, time_period: {window}}}}}` to the proxy config"
        )
    return "the proxy tracks no spend across all providers; give the budget a provider or a model"


async def read_state(
    cp: CompiledPolicy, llm_router: Any, served: Served, readings: Mapping[str, Reading], now: float
) -> LiveState:
    """Configured providers, budget states and open breakers, as the proxy knows them now."""
    budgets = {b.id: BudgetState(b.id, b.period, b.limit_usd, 0.0, b.provider, b.model) for b in cp.budgets}
    limiter = _limiter(llm_router)
    cache = getattr(limiter, "dual_cache", None)
    if cache is not None:
        for budget_id, r in readings.items():
            spent = 0.0
            for key in r.keys:
                value = await cache.async_get_cache(key)
                spent += float(value or 0.0)
            budgets[budget_id] = budgets[budget_id]._replace(spent_usd=spent)
    return served.configured(cp), budgets, await _open_breakers(cp, llm_router, served)


async def _open_breakers(cp: CompiledPolicy, llm_router: Any, served: Served) -> frozenset[str]:
    if llm_router is None or not hasattr(llm_router, "cooldown_cache"):
        return frozenset()
    from litellm.router_utils.cooldown_handlers import async_get_cooldown_deployments

    cooling = set(await async_get_cooldown_deployments(llm_router, None))
    if not cooling:
        return frozenset()
    cold_groups = {g for g, ids in served.groups.items() if ids and set(ids) <= cooling}
    open_: set[str] = set()
    for model in cp.all_models():
        group = served.group(model)
        if group in cold_groups:
            open_.add(model)
    for provider in served.providers():
        groups = [g for g in served.groups if provider in served.providers([g])]
        if groups and all(g in cold_groups for g in groups):
            open_.add(provider)
    return frozenset(open_)
