"""The second-stage classifier's cache in usage.db: one answer per (instructions version, models, prompt)
hash; the prompt's text only when the user opted in to storing prompts."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from llm_router.store.db import write


def key(version: str, models: Sequence[str], prompt: str) -> str:
    """The cache key of one prompt under one version of the instructions and one chain of models."""
    blob = json.dumps([version, list(models), prompt], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def get(conn: sqlite3.Connection, cache_key: str) -> dict[str, Any] | None:
    """The cached answer: {model, task, complexity, needs_workspace}, or None."""
    row = conn.execute(
        "SELECT model, task, complexity, needs_workspace FROM llm_classifications WHERE key = ?", (cache_key,)
    ).fetchone()
    if row is None:
        return None
    return {
        "model": row["model"],
        "task": row["task"],
        "complexity": row["complexity"],
        "needs_workspace": bool(row["needs_workspace"]),
    }


def put(
    conn: sqlite3.Connection,
    cache_key: str,
    *,
    time: float,
    version: str,
    model: str,
    answer: dict[str, Any],
    prompt: str | None,
) -> None:
    """Keep one answer (replacing an older one for the same key)."""
    with write(conn):
        conn.execute(
            "INSERT OR REPLACE INTO llm_classifications"
            " (key, time, version, model, task, complexity, needs_workspace, prompt)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                cache_key,
                time,
                version,
                model,
                answer["task"],
                answer["complexity"],
                int(bool(answer["needs_workspace"])),
                prompt,
            ),
        )
