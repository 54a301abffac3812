"""Decisions kept by id (a hook decides, the MCP tool it points at executes that same decision), and the
Claude-subscription window estimated from them. A hook keeps its decision as a file instead
(`store.decision_files`); every reader here moves those files into usage.db first."""

from __future__ import annotations

import time

from llm_router import jsonio
from llm_router.privacy import stored_decision

TYPE_CHECKING = False
if TYPE_CHECKING:
    import sqlite3
    from typing import Any

    from llm_router.decision import Decision

WINDOW_S = 5 * 3600  # a Claude subscription's usage window


COLUMNS = ("id", "time", "host", "session", "action", "tier", "rule", "policy_revision", "tokens", "decision")
INSERT = f"INSERT OR REPLACE INTO decisions ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"


def row_of(
    decision: Decision, *, session: str = "", now: float | None = None, keep_prompts: bool = False
) -> dict[str, Any]:
    """The decisions-table row that keeps `decision` (column -> value): its trace without the prompt's text
    unless `keep_prompts` (config.yaml's `store_prompts`); see `llm_router.privacy`. A hook keeps the same
    row as a file (`store.decision_files`)."""
    return {
        "id": decision.id,
        "time": time.time() if now is None else now,
        "host": decision.host,
        "session": session,
        "action": decision.action,
        "tier": decision.tier,
        "rule": decision.rule,
        "policy_revision": decision.policy_revision,
        "tokens": decision.tokens,
        "decision": jsonio.dumps(stored_decision(decision.to_dict(), keep_prompts=keep_prompts), default=str),
    }


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
    from llm_router.store.db import write

    row = row_of(decision, session=session, now=now, keep_prompts=keep_prompts)
    with write(conn):
        conn.execute(INSERT, [row[c] for c in COLUMNS])


def load_decision(conn: sqlite3.Connection, decision_id: str) -> dict[str, Any] | None:
    """The decision saved under `decision_id`, as `Decision.to_dict()` gave it, or None: one in usage.db, or
    one a hook kept as a file beside it (`store.decision_files`; the files are moved into usage.db first)."""
    from llm_router.store import decision_files

    home = decision_files.home_of(conn)
    decision_files.ingest_quietly(conn, home)
    row = conn.execute("SELECT decision FROM decisions WHERE id = ?", (decision_id,)).fetchone()
    if row:
        return jsonio.loads(row[0])  # type: ignore[no-any-return]
    kept = decision_files.read(home, decision_id) if home else None  # not moved: usage.db is read-only
    return jsonio.loads(kept["decision"]) if kept else None


def subscription_window(conn: sqlite3.Connection, now: float) -> dict[str, Any]:
    """An estimate of the current 5-hour Claude-subscription window from prompts llm-router let through to
    Claude Code (times in ISO 8601). Local records only: another program's credentials or usage are never
    read."""
    from llm_router.store import decision_files
    from llm_router.store.periods import iso_time

    home = decision_files.home_of(conn)
    decision_files.ingest_quietly(conn, home)
    found = {
        row["id"]: (row["time"], row["tokens"])
        for row in conn.execute(
            "SELECT id, time, tokens FROM decisions WHERE host = 'claude-code' AND action != 'block' "
            "AND time > ? AND time <= ?",
            (now - 4 * WINDOW_S, now),
        )
    }
    for kept in decision_files.kept(home) if home else ():  # those usage.db could not take
        if (
            kept["host"] == "claude-code"
            and kept["action"] != "block"
            and now - 4 * WINDOW_S < kept["time"] <= now
        ):
            found.setdefault(kept["id"], (kept["time"], kept["tokens"]))
    rows = [{"time": at, "tokens": tokens} for at, tokens in sorted(found.values(), key=lambda r: r[0])]
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
