"""Per-session hook state (the current turn's decision, tool holding, counters) in one small JSON file.

Each hook is a fresh process, so what the prompt hook decided reaches the tool hook through
`$LLM_ROUTER_HOME/sessions/<session>.json`, replaced atomically on every change.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from llm_router import fileio

MAX_AGE_S = 7 * 24 * 3600  # session files older than this are removed at session start
HOLD_TTL_S = 30 * 60  # a turn's tool hold lapses after this long, whatever happened


def _home() -> str:
    # Same rule as llm_router.paths.home, without importing pathlib on the tool hook's path.
    explicit = os.environ.get("LLM_ROUTER_HOME")
    if explicit:
        return os.path.expanduser(explicit)
    return os.path.join(os.environ.get("HOME") or os.path.expanduser("~"), ".llm-router")


def path_for(session: str, home: str | os.PathLike[str] | None = None) -> str:
    """The state file of `session` (its id made safe for a file name)."""
    safe = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in session or "default")
    safe = safe[:120].lstrip(".") or "default"
    return os.path.join(home or _home(), "sessions", f"{safe}.json")


def load(session: str, home: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The session's state ({} when there is none or it cannot be read)."""
    try:
        data = json.loads(
            fileio.read_bounded(path_for(session, home), limit=fileio.STATE_LIMIT, what="session")
        )
    except (OSError, ValueError):  # missing, unreadable, not a regular file, too large, not JSON
        return {}
    return data if isinstance(data, dict) else {}


def save(session: str, state: dict[str, Any], home: str | os.PathLike[str] | None = None) -> None:
    """Replace the session's state atomically (a private file in a private folder)."""
    path = path_for(session, home)
    fileio.private_dir(os.path.dirname(path))
    fileio.write_private(path, json.dumps(state, ensure_ascii=False, separators=(",", ":")))


def new_turn(state: dict[str, Any], turn: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """Start a turn: its decision summary and hold replace the last turn's; session counters go on."""
    counts = state.get("counts") if isinstance(state.get("counts"), dict) else {}
    turn = {"started": time.time() if now is None else now, "denials": 0, "routed": False, **turn}
    return {**state, "turn": turn, "counts": counts}


def count(state: dict[str, Any], key: str, n: int = 1) -> None:
    """Add `n` to the session counter `key`."""
    counts = state.setdefault("counts", {})
    counts[key] = int(counts.get(key, 0)) + n


def holding(state: dict[str, Any], now: float | None = None) -> dict[str, Any] | None:
    """The current turn when it holds tools back (and has not lapsed), else None."""
    turn = state.get("turn")
    if not isinstance(turn, dict) or not turn.get("hold") or turn.get("routed"):
        return None
    now = time.time() if now is None else now
    if now - float(turn.get("started", 0)) > HOLD_TTL_S:
        return None
    return turn


def prune(home: str | os.PathLike[str] | None = None, now: float | None = None) -> None:
    """Remove session files not touched for a week."""
    folder = os.path.join(home or _home(), "sessions")
    cutoff = (time.time() if now is None else now) - MAX_AGE_S
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.name.endswith(".json") and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
        except OSError:
            continue
