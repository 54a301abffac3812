"""The usage.db schema as a list of migrations, each applied once and recorded in `_migrations`.

A schema change is one new decorated function at the end of this file, never an `ALTER TABLE` elsewhere.
"""

from __future__ import annotations

import time

TYPE_CHECKING = False
if TYPE_CHECKING:  # the hook path imports this module to see which migrations are pending: keep it light
    import sqlite3
    from collections.abc import Callable

    MigrationFn = Callable[..., None]

MIGRATIONS: list[MigrationFn] = []


def migration(fn: MigrationFn) -> MigrationFn:
    """Register `fn(db: sqlite_utils.Database)` as the next migration."""
    MIGRATIONS.append(fn)
    return fn


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply the pending migrations in one transaction; returns the names applied."""
    import sqlite_utils

    from llm_router.store.db import pending, write

    db = sqlite_utils.Database(conn, execute_plugins=False, recursive_triggers=False)
    applied: list[str] = []
    with write(conn):
        conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at REAL)")
        todo = set(pending(conn, [m.__name__ for m in MIGRATIONS]))  # re-read under the lock
        for fn in MIGRATIONS:
            if fn.__name__ in todo:
                fn(db)
                conn.execute("INSERT INTO _migrations VALUES (?, ?)", (fn.__name__, time.time()))
                applied.append(fn.__name__)
    return applied


@migration
def m001_initial(db) -> None:  # type: ignore[no-untyped-def]
    db["usage"].create(
        {
            "id": int,
            "time": float,
            "session": str,
            "host": str,
            "prompt_sha256": str,
            "prompt_chars": int,
            "prompt": str,  # only when config.yaml sets store_prompts: true
            "model": str,
            "provider": str,
            "outcome": str,  # ok, or why the attempt failed (rate_limited, timeout, empty, ...)
            "error": str,
            "tokens_in": int,
            "tokens_out": int,
            "cost_usd": float,
            "baseline_model": str,
            "baseline_cost_usd": float,
            "latency_s": float,
            "rule": str,
            "policy_revision": str,
            "decision_id": str,
        },
        pk="id",
        not_null={"time", "model", "provider", "outcome"},
        defaults={"tokens_in": 0, "tokens_out": 0, "cost_usd": 0.0, "baseline_cost_usd": 0.0},
    )
    db["usage"].create_index(["time"])
    db["usage"].create_index(["provider", "time"])
    db["usage"].create_index(["model", "time"])
    db["breakers"].create(
        {
            "key": str,  # a model id, or a provider name
            "kind": str,  # model | provider
            "failures": int,  # consecutive
            "opened_at": float,  # when it last opened; NULL while closed
            "probe_at": float,  # when a probe was let through after the cooldown
            "reason": str,
            "updated": float,
        },
        pk="key",
        not_null={"kind"},
        defaults={"failures": 0},
    )
    db["decisions"].create(
        {
            "id": str,
            "time": float,
            "host": str,
            "session": str,
            "action": str,
            "tier": str,
            "rule": str,
            "policy_revision": str,
            "tokens": int,
            "decision": str,  # Decision.to_dict() as JSON
        },
        pk="id",
    )
    db["decisions"].create_index(["time"])
    db["decisions"].create_index(["host", "action", "time"])


@migration
def m002_usage_user_agent(db) -> None:  # type: ignore[no-untyped-def]
    db["usage"].add_column("user_agent", str)
    db["usage"].create_index(["host", "time"])


@migration
def m003_usage_media(db) -> None:  # type: ignore[no-untyped-def]
    db["usage"].add_column("kind", str)  # NULL for a text prompt
    db["usage"].add_column("units", float)


@migration
def m004_llm_classifications(db) -> None:  # type: ignore[no-untyped-def]
    # The second-stage classifier's answers, by a hash of (instructions version, models, prompt).
    db["llm_classifications"].create(
        {
            "key": str,
            "time": float,
            "version": str,  # the instructions' name and content hash
            "model": str,  # which model answered
            "task": str,
            "complexity": str,
            "needs_workspace": int,
            "prompt": str,  # only when config.yaml sets store_prompts: true
        },
        pk="key",
        not_null={"time", "version", "model", "task", "complexity"},
    )
    db["llm_classifications"].create_index(["time"])
