"""Circuit breakers per model and per provider, kept in usage.db so that every process shares them.

A breaker opens after `failures` consecutive failures; while open, attempts are skipped without a request;
after `cooldown_s` exactly one attempt (the probe) is let through: its success closes the breaker, its
failure opens it for another cooldown. Only failures that show the provider itself is out (its endpoint
cannot be reached: refused, DNS, TLS; or its key is rejected) count against the provider as well as the
model; everything else (429, 5xx, timeouts, a dropped connection, 404) only against the model. Which is
which is `execute.attempts.breaker_scope`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from llm_router.providers.catalogue import provider_of
from llm_router.store import breaker_mark
from llm_router.store.db import write


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    """The policy's `fallback.circuit_breaker`."""

    failures: int = 3
    cooldown_s: float = 60.0


def _keys(model: str) -> list[tuple[str, str]]:
    return [(model, "model"), (provider_of(model), "provider")]


def allow(conn: sqlite3.Connection, model: str, now: float, settings: BreakerSettings) -> str | None:
    """None when an attempt at `model` may go out now (claiming the probe of a cooled-down breaker);
    otherwise why not."""
    keys = [key for key, _ in _keys(model)]
    query = (
        "SELECT key, failures, opened_at, probe_at, reason FROM breakers "
        "WHERE key IN (?, ?) AND opened_at IS NOT NULL"
    )
    rows = conn.execute(query, keys).fetchall()
    if not rows:
        return None  # the common case: no write lock taken
    with write(conn):
        rows = conn.execute(query, keys).fetchall()  # again, under the lock
        for row in rows:
            why = f"circuit breaker open for {row['key']} after {row['failures']} failures ({row['reason']})"
            reopen_in = row["opened_at"] + settings.cooldown_s - now
            if reopen_in > 0:
                return f"{why}; next probe in {reopen_in:.0f}s"
            # One probe at a time; a probe that never reported back expires after another cooldown.
            if row["probe_at"] is not None and row["probe_at"] > now - settings.cooldown_s:
                return f"{why}; another process is probing it"
        for row in rows:
            conn.execute("UPDATE breakers SET probe_at = ? WHERE key = ?", (now, row["key"]))
    return None


def succeeded(conn: sqlite3.Connection, model: str) -> None:
    """Close the model's and its provider's breakers. Call inside a write transaction."""
    conn.execute("DELETE FROM breakers WHERE key IN (?, ?)", (model, provider_of(model)))


def failed(
    conn: sqlite3.Connection,
    model: str,
    now: float,
    settings: BreakerSettings,
    reason: str,
    *,
    provider_too: bool = False,
    open_provider: bool = False,
) -> None:
    """Count one failure (opening the breaker at the threshold, or when a probe failed). Call inside a
    write transaction: a breaker that opens rewrites the breaker mark (`store.breaker_mark`) before the
    commit."""
    keys = _keys(model) if provider_too else _keys(model)[:1]
    opened = False
    for key, kind in keys:
        conn.execute(
            "INSERT INTO breakers (key, kind, failures, reason, updated) VALUES (?, ?, 1, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET failures = failures + 1, reason = excluded.reason, "
            "updated = excluded.updated",
            (key, kind, reason, now),
        )
        cursor = conn.execute(
            "UPDATE breakers SET opened_at = ?, probe_at = NULL WHERE key = ? "
            "AND (failures >= ? OR probe_at IS NOT NULL OR ?)",
            (now, key, settings.failures, open_provider and kind == "provider"),
        )
        opened = opened or cursor.rowcount > 0
    if opened:
        breaker_mark.remark(conn)


def open_now(conn: sqlite3.Connection, now: float, cooldown_s: float) -> frozenset[str]:
    """Model ids and provider names whose breaker is open (not yet cooled down) at `now`."""
    rows = conn.execute(
        "SELECT key FROM breakers WHERE opened_at IS NOT NULL AND opened_at + ? > ?", (cooldown_s, now)
    )
    return frozenset(row[0] for row in rows)


def all_breakers(conn: sqlite3.Connection) -> list[dict[str, object]]:
    """Every breaker with a failure count, for `health` and `budget` reports."""
    rows = conn.execute("SELECT key, kind, failures, opened_at, probe_at, reason, updated FROM breakers")
    return [dict(row) for row in rows]
