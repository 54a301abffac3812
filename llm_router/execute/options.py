"""Execution options read from the compiled policy: timeouts, retries, breakers, the guard, prices and the
baseline."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from llm_router.decision import BudgetState
from llm_router.execute.attempts import RetrySettings
from llm_router.execute.chain import Options
from llm_router.execute.guard import GuardSettings
from llm_router.providers import prices
from llm_router.providers.catalogue import user_config
from llm_router.store.breakers import BreakerSettings


def baseline_model(cp: Any) -> str | None:
    """The one savings baseline: the policy's `baseline_model`, else the most expensive model of the premium
    chains (by LiteLLM's prices and the policy's `models:`)."""
    if getattr(cp, "baseline_model", None):
        return str(cp.baseline_model)
    premium: dict[str, None] = {}
    for name in getattr(cp, "chains", {}) or {}:
        premium.update(dict.fromkeys(cp.chain(name, "premium")))
    return prices.most_expensive(list(premium), getattr(cp, "models", None))


def breaker_settings(fallback: Mapping[str, Any]) -> BreakerSettings:
    section = fallback.get("circuit_breaker") or {}
    return BreakerSettings(int(section.get("failures", 3)), float(section.get("cooldown_s", 60)))


def options_for(
    cp: Any,
    home: Path,
    budgets: Mapping[str, BudgetState] | None = None,
    *,
    store_problem: str | None = None,
) -> Options:
    """The Options a policy asks for (and whether `config.yaml` in `home` opts in to storing prompts);
    `store_problem` is a warning about usage.db (in `home`) found before the call."""
    fallback = dict(getattr(cp, "fallback", None) or {})
    return Options(
        timeout_s=float(fallback.get("timeout_s", 60)),
        retry=RetrySettings.from_policy(fallback),
        breaker=breaker_settings(fallback),
        guard=GuardSettings.from_policy(fallback.get("quality_guard")),
        price_overrides=dict(getattr(cp, "models", None) or {}),
        baseline_model=baseline_model(cp),
        store_prompts=user_config(home).store_prompts,
        budgets=dict(budgets or {}),
        db_path=home / "usage.db",
        store_problem=store_problem,
    )
