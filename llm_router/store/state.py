"""The live state a decision needs from usage.db: budget spend this period and open breakers.

On the hook path, so: plain `sqlite3`, no migrations, no sqlite-utils, one query per budget, and the
calendar from `time` rather than `datetime`.
"""

from __future__ import annotations

import os
import time

from llm_router.decision import BudgetState
from llm_router.store import breaker_mark
from llm_router.store.breaker_mark import cooldown_of
from llm_router.store.db import BUSY_TIMEOUT_S, Error, shared, write

TYPE_CHECKING = False
if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Iterable
    from typing import Any

PathLike = str | os.PathLike[str]

PERIODS = ("day", "week", "month")


def period_start(period: str, now: float) -> float:
    """Epoch seconds when the calendar `period` containing `now` began, in local time (weeks start Monday)."""
    local = time.localtime(now)
    day = local.tm_mday
    if period == "week":
        day -= local.tm_wday  # mktime carries a day before the 1st back into the month before
    elif period == "month":
        day = 1
    elif period != "day":
        raise ValueError(f"unknown budget period {period!r}; expected one of {', '.join(PERIODS)}")
    return time.mktime((local.tm_year, local.tm_mon, day, 0, 0, 0, 0, 0, -1))


def spent(conn: sqlite3.Connection, spec: Any, now: float) -> float:
    """USD recorded this period against a budget spec (one with `period`, `provider`, `model`)."""
    sql, args = (
        "SELECT COALESCE(SUM(cost_usd), 0.0) FROM usage WHERE time >= ?",
        [period_start(spec.period, now)],
    )
    if getattr(spec, "model", None):
        sql += " AND model = ?"
        args.append(spec.model)
    elif getattr(spec, "provider", None):
        sql += " AND provider = ?"
        args.append(spec.provider)
    return float(conn.execute(sql, args).fetchone()[0])


def budget_states(
    conn: sqlite3.Connection | None, specs: Iterable[Any], now: float
) -> dict[str, BudgetState]:
    """Each budget spec with what has been spent against it this period (nothing without a database)."""
    out: dict[str, BudgetState] = {}
    for b in specs:
        if getattr(b, "kind", "usd") == "subscription":  # estimated from transcripts: see subscription/
            out[b.id] = b.state()
            continue
        used = spent(conn, b, now) if conn is not None else 0.0
        out[b.id] = BudgetState(b.id, b.period, float(b.limit_usd), used, b.provider, b.model)
    return out


def read(db_path: PathLike, cp: Any, now: float) -> tuple[dict[str, BudgetState], frozenset[str]]:
    """Budget states for the policy's budgets and the open breakers (model ids and provider names). A
    database without a breaker mark it can vouch for (`store.breaker_mark`) gets one, when its write lock is
    free at once."""
    specs = list(getattr(cp, "budgets", ()) or ())
    try:
        # The process's kept-open connection: closing the last connection to a WAL database checkpoints
        # it, which would cost a hook more than everything else it does.
        conn = shared(db_path)
        budgets = budget_states(conn, specs, now)
        rows = conn.execute(
            "SELECT key FROM breakers WHERE opened_at IS NOT NULL AND opened_at + ? > ?",
            (cooldown_of(cp), now),
        ).fetchall()
        if breaker_mark.latest(db_path) is None:
            mark(conn)
        return budgets, frozenset(row[0] for row in rows)
    except (Error, OSError):
        # Not migrated yet (no tables), or unusable (corrupt, unreadable): decide as if nothing were spent
        # and no breaker open. Executing (`router.run`) reads it again and warns with the fix.
        return budget_states(None, specs, now), frozenset()


def mark(conn: sqlite3.Connection) -> bool:
    """Write the breaker mark of this database under its write lock, without waiting for the lock: False
    when another process holds it (the next reader tries again) or the mark could not be written."""
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        with write(conn):
            breaker_mark.remark(conn)
    except (Error, OSError):
        return False
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    return True


def for_run(
    db_path: PathLike, specs: Iterable[Any], now: float
) -> tuple[sqlite3.Connection | None, dict[str, BudgetState], str | None]:
    """The connection an execution records through, the budget states it checks, and a warning when the
    store cannot be used: then no connection, budgets taken as unspent, and the query still runs."""
    specs = list(specs)
    try:
        conn = shared(db_path)
        return conn, budget_states(conn, specs, now), None
    except (Error, OSError) as exc:
        from pathlib import Path

        from llm_router.store.repair import warning

        db_path = Path(db_path)

        problem = warning(
            db_path, exc, "budgets and breakers were not checked and this query's usage was not recorded"
        )
        return None, budget_states(None, specs, now), problem
