"""Claude subscription tracking: how much of the current 5-hour window and of the week has been used, per
model, estimated locally from Claude Code's transcripts and llm-router's own records (no network, no OAuth
token read), and the `kind: subscription` budgets a policy's rules see as `budget['id'].used_pct`.

`live_budgets` is what a decision calls (cached; rescanned at most every `refresh_minutes`); `report` is what
`llm_check_usage` and `llm_refresh_claude_usage` answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from llm_router.subscription.estimate import budget_states, current, live_budgets, read_summary, refresh

__all__ = ["budget_states", "current", "for_policy", "live_budgets", "read_summary", "refresh", "report"]


def for_policy(cp: Any, home: Path, env: Mapping[str, str], now: float) -> dict[str, Any] | None:
    """The summary the policy's subscription budgets are computed from (refreshed when older than their
    smallest `refresh_minutes`), or None when the policy declares none."""
    subs = [b for b in getattr(cp, "budgets", ()) if b.kind == "subscription"]
    if not subs:
        return None
    return current(home, env, now, min(b.refresh_s for b in subs))


def report(
    cp: Any, home: Path, env: Mapping[str, str], now: float, *, max_age_s: float = 0.0, rescan: bool = False
) -> dict[str, Any]:
    """The estimate as the MCP tools and `llm-router budget` show it (times in ISO 8601), refreshed first
    when older than `max_age_s` (0: always). The top-level `active`, `prompts`, `tokens`, `started_at` and
    `resets_at` describe the current 5-hour window across every model. `rescan` forgets how far each
    transcript was read and reads them again (within the scan's bounds)."""
    from llm_router.store.periods import iso_time
    from llm_router.subscription.estimate import forget
    from llm_router.subscription.windows import WINDOW_S, used

    if rescan:
        forget(home)
    summary = current(home, env, now, max_age_s)
    five = summary.get("five_hour") or {}
    week = summary.get("week") or {}
    open_now = five.get("end") is not None and now < float(five["end"])
    states = budget_states(getattr(cp, "budgets", ()), summary, now)
    return {
        "estimate": True,
        "source": summary.get("source", "none"),
        "scanned_at": iso_time(summary.get("scanned_at")),
        "active": open_now,
        "window_hours": WINDOW_S / 3600,
        "started_at": iso_time(five.get("start")) if open_now else None,
        "resets_at": iso_time(five.get("end")) if open_now else None,
        "prompts": int(used(five, "messages", (), None)) if open_now else 0,
        "tokens": int(used(five, "tokens", ("input", "output"), None)) if open_now else 0,
        "five_hour": {"models": five.get("models", {}) if open_now else {}},
        "week": {
            "since": iso_time(week.get("since")),
            "prompts": int(used(week, "messages", (), None)),
            "tokens": int(used(week, "tokens", ("input", "output"), None)),
            "models": week.get("models", {}),
        },
        "budgets": [
            s.to_dict() | {"resets_at": iso_time(s.resets_at), "exhausted": s.exhausted}
            for s in states.values()
        ],
        "transcripts": summary.get("transcripts", {}),
    }
