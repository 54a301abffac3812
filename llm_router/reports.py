"""The savings and budget reports, one function each, shared by the CLI commands and the MCP tools."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any


def savings(
    cp: Any, conn: sqlite3.Connection, since: float | None, host: str | None = None
) -> dict[str, Any]:
    """Savings against the policy's one baseline model since `since` (of calls through `host`, when given);
    calls to models with no known price are left out, named under `unpriced_models`, and explained in
    `warnings`."""
    from llm_router.execute.options import baseline_model
    from llm_router.providers.prices import price
    from llm_router.store import savings_report

    overrides = getattr(cp, "models", None)
    model = baseline_model(cp)
    p = price(model, overrides) if model else None
    per_token = (p.input_cost_per_token, p.output_cost_per_token) if p else None
    report = savings_report(
        conn, model, per_token, since=since, priced=lambda m: price(m, overrides) is not None, host=host
    )
    report["warnings"] = [unpriced_warning(m) for m in report["unpriced_models"]]
    report["media"] = media_savings(cp, conn, since)
    return report


def media_savings(cp: Any, conn: sqlite3.Connection, since: float | None) -> dict[str, dict[str, Any]]:
    """Per media kind: what the results cost against the same units on that kind's baseline (its dearest
    priced model in the policy's media chains), recomputed with today's prices as the text saving is."""
    from llm_router.media import MediaJob, costs
    from llm_router.store.usage import media_report

    out = {}
    for kind, row in media_report(conn, since).items():
        job = MediaJob(kind, "")
        model = costs.baseline_model(cp, job)
        baseline = costs.cost(model, job, row["units"], getattr(cp, "models", None))[0] if model else 0.0
        out[kind] = row | {
            "baseline_model": model,
            "baseline_cost_usd": round(baseline, 8),
            "saved_usd": round(baseline - row["cost_usd"], 8),
        }
    return out


def unpriced_warning(row: dict[str, Any]) -> str:
    """Why a model's calls are missing from the saving, and how to have them counted."""
    calls = row["calls"]
    counted = f"its {calls} calls are" if calls != 1 else "its 1 call is"
    return (
        f"no price is known for {row['model']}: {counted} left out of the saving "
        "(declare its prices under `models:` in routing.yaml)"
    )


def budgets(
    cp: Any, conn: sqlite3.Connection, now: float, subscriptions: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Each budget of the policy with what this period has spent against it, and whether it is exhausted;
    `kind: subscription` budgets from the Claude usage estimate `subscriptions` (see subscription/)."""
    from llm_router.store.periods import iso_time
    from llm_router.store.state import budget_states

    states = budget_states(conn, cp.budgets, now)
    if subscriptions is not None:
        from llm_router.subscription import budget_states as subscription_states

        states.update(subscription_states(cp.budgets, subscriptions, now))
    rows = []
    for b in states.values():
        row = b.to_dict() | {"exhausted": b.exhausted}
        if b.kind == "subscription":
            row["resets_at"] = iso_time(b.resets_at)
        rows.append(row)
    return rows
