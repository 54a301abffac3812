"""Decisions kept by id (a hook decides, the MCP tool it points at executes that same decision), and the
Claude-subscription window estimated from them."""

from __future__ import annotations

import time

from llm_router import jsonio
from llm_router.privacy import stored_decision
from llm_router.store.db import write

TYPE_CHECKING = False
if TYPE_CHECKING:
    import sqlite3
    from typing import Any

    from llm_router.decision import Decision

WINDOW_S = 5 * 3600  # a Claude subscription's usage window


def save_decision(
    conn: sqlite3.Connection,
    decision: Decision,
    *,
    session: str = "",
    now: float | None = None,
    keep_prompts: bool = False,
) -> None:
    """Keep `decision` under its id (replacing an earlier one with the same id). Its trace is stored without
    the prompt's text unless `keep_prompts` (config.yaml's `store_prompts`); see `llm_router.privacy`."""
    with write(conn):
        conn.execute(
            "INSERT OR REPLACE INTO decisions (id, time, host, session, action, tier, rule, policy_revision, "
            "tokens, decision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                decision.id,
                time.time() if now is None else now,
                decision.host,
                session,
                decision.action,
                decision.tier,
                decision.rule,
                decision.policy_revision,
                decision.tokens,
                jsonio.dumps(stored_decision(decision.to_dict(), keep_prompts=keep_prompts), default=str),
            ),
        )


def load_decision(conn: sqlite3.Connection, decision_id: str) -> dict[str, Any] | None:
    """The decision saved under `decision_id`, as `Decision.to_dict()` gave it, or None."""
    row = conn.execute("SELECT decision FROM decisions WHERE id = ?", (decision_id,)).fetchone()
    return jsonio.loads(row[0]) if row else None


def subscription_window(conn: sqlite3.Connection, now: float) -> dict[str, Any]:
    """An estimate of the current 5-hour Claude-subscription window from prompts llm-router let through to
    Claude Code (times in ISO 8601). Local records only: another program's credentials or usage are never
    read."""
    from llm_router.store.periods import iso_time

    rows = conn.execute(
        "SELECT time, tokens FROM decisions WHERE host = 'claude-code' AND action != 'block' "
        "AND time > ? AND time <= ? ORDER BY time",
        (now - 4 * WINDOW_S, now),
    ).fetchall()
    start: float | None = None
    for row in rows:  # a window opens at the first prompt after the previous one closed
        if start is None or row["time"] >= start + WINDOW_S:
            start = row["time"]
    if start is None or now >= start + WINDOW_S:
        return {
            "active": False,
            "window_hours": WINDOW_S / 3600,
            "prompts": 0,
            "tokens": 0,
            "started_at": None,
            "resets_at": None,
            "estimate": True,
        }
    inside = [r for r in rows if r["time"] >= start]
    return {
        "active": True,
        "window_hours": WINDOW_S / 3600,
        "started_at": iso_time(start),
        "resets_at": iso_time(start + WINDOW_S),
        "prompts": len(inside),
        "tokens": sum(r["tokens"] or 0 for r in inside),
        "estimate": True,
    }
