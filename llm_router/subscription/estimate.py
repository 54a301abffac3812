"""The Claude subscription estimate kept under `$LLM_ROUTER_HOME`: refreshed from Claude Code's transcripts
(or, without them, from llm-router's own records of the prompts it let through), cached in a small file that
a decision reads cheaply, and turned into the states of the policy's `kind: subscription` budgets.

Files (private, 0600):
- `claude-usage.json`: the summary a decision reads: when it was scanned and, per model, the tokens and
  prompts of the current 5-hour window and of the last seven days. A few KB.
- `claude-usage.state.json`: how far each transcript was read and the hourly figures of the last week,
  so that a refresh reads only what was appended since. Read only when refreshing.
- `claude-usage.seen.json`: the responses and prompts already counted (to count each once), read only when
  some transcript has new lines.
A refresh is taken by one process at a time (`claude-usage.lock`); the others use the summary they have.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from llm_router import fileio, jsonio
from llm_router.decision import BudgetState
from llm_router.subscription import transcripts, windows

SUMMARY = "claude-usage.json"
STATE = "claude-usage.state.json"
SEEN = "claude-usage.seen.json"
LOCK = "claude-usage.lock"
VERSION = 1
SUMMARY_LIMIT = 1 << 20
STATE_LIMIT = 64 << 20
LOCK_STALE_S = 120.0
DEFAULT_REFRESH_S = 300.0
DECISION_BUDGET = 8 << 20  # bytes of transcripts one decision may read (READ_BUDGET for the reports)


def read_summary(home: Path) -> dict[str, Any] | None:
    """The cached summary, or None when there is none (or it is unreadable, or of another version)."""
    try:
        data = jsonio.loads(fileio.read_bounded(home / SUMMARY, limit=SUMMARY_LIMIT, what="usage estimate"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("version") == VERSION else None


def current(
    home: Path, env: Mapping[str, str], now: float, max_age_s: float, budget: int = transcripts.READ_BUDGET
) -> dict[str, Any]:
    """The summary, refreshed first (reading at most `budget` bytes) when it is missing, older than
    `max_age_s` (0: always), or left incomplete by the last refresh's read budget."""
    cached = read_summary(home)
    if (
        cached is not None
        and max_age_s > 0
        and 0 <= now - float(cached.get("scanned_at", 0)) < max_age_s
        and not (cached.get("transcripts") or {}).get("incomplete")
    ):
        return cached
    fresh = refresh(home, env, now, budget)
    return fresh if fresh is not None else (cached or empty_summary(now))


def empty_summary(now: float) -> dict[str, Any]:
    """A summary with nothing counted (no transcripts, no records)."""
    return {
        "version": VERSION,
        "scanned_at": now,
        "source": "none",
        **windows.summary(windows.empty_usage(), now),
        "transcripts": {"folders": [], "files": 0, "bytes_read": 0, "incomplete": False},
    }


def refresh(
    home: Path, env: Mapping[str, str], now: float, budget: int = transcripts.READ_BUDGET
) -> dict[str, Any] | None:
    """Scan what was appended to the transcripts since the last scan (at most `budget` bytes; the rest on
    the next refresh) and write a new summary; None when another process is refreshing right now."""
    with _lock(home) as locked:
        if not locked:
            return None
        folders = transcripts.roots(env)
        if folders:
            usage, info = _scan(home, folders, now, budget)
            source = "claude-code transcripts"
        else:
            usage, info = _from_records(home, now), {"folders": [], "files": 0, "bytes_read": 0}
            source = "llm-router records" if any(usage["waiting"].values()) else "none"
        result = {
            "version": VERSION,
            "scanned_at": now,
            "source": source,
            **windows.summary(usage, now),
            "transcripts": {**info, "incomplete": bool(info.get("incomplete"))},
        }
        fileio.write_private(home / SUMMARY, json.dumps(result, separators=(",", ":")))
        return result


def _scan(home: Path, folders: list[str], now: float, budget: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read the new lines of every recent transcript into the kept state, at most `budget` bytes. The
    entries already counted (the larger part of the state) are read only when some file has new lines.
    `incomplete` says the budget ran out before every new line was read."""
    state = _read_state(home)
    files: dict[str, list[int]] = state["files"]
    usage: dict[str, Any] = state["usage"]
    found = transcripts.transcript_files(folders, now - windows.KEEP_S)
    todo = []
    for path, st in found:
        before = files.get(path)
        prior = transcripts.FileState.of(before)
        if prior is None or prior.ino != st.st_ino or prior.offset != st.st_size:
            todo.append((path, st, prior))
    if todo:  # what was counted goes with the hourly figures: without them (state lost), count afresh
        usage["seen"] = _read_seen(home) if files else {}
    read, incomplete = 0, False
    for path, st, prior in todo:
        if budget - read <= 0:
            incomplete = True
            break
        entries, after, used, cut_short = transcripts.read_new(path, st, prior, budget - read)
        read += used
        incomplete = incomplete or cut_short  # stopped by the budget (a partial last line just waits)
        windows.add(usage, path, entries)
        files[path] = after.to_list()
    live = {path for path, _ in found}
    state["files"] = {p: v for p, v in files.items() if p in live}
    windows.prune(usage, now, live)
    if todo:
        seen = usage.pop("seen")
        fileio.write_private(
            home / SEEN, json.dumps({"version": VERSION, "seen": seen}, separators=(",", ":"))
        )
    fileio.write_private(home / STATE, json.dumps(state, separators=(",", ":")))
    info = {"folders": folders, "files": len(found), "bytes_read": read, "incomplete": incomplete}
    return usage, info


def forget(home: Path) -> None:
    """Drop the kept scan state, so that the next refresh reads every recent transcript again."""
    for name in (STATE, SEEN):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(home / name)


def _read_state(home: Path) -> dict[str, Any]:
    data = _read_json(home / STATE, "usage scan state")
    if data is None or not isinstance(data.get("usage"), dict):
        return {"version": VERSION, "files": {}, "usage": {"hours": {}, "waiting": {}}}
    data["usage"].pop("seen", None)
    return data


def _read_seen(home: Path) -> dict[str, list[Any]]:
    data = _read_json(home / SEEN, "usage scan state")
    seen = data.get("seen") if data is not None else None
    return seen if isinstance(seen, dict) else {}


def _read_json(path: Path, what: str) -> dict[str, Any] | None:
    try:
        data = jsonio.loads(fileio.read_bounded(path, limit=STATE_LIMIT, what=what))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("version") == VERSION else None


def _from_records(home: Path, now: float) -> dict[str, Any]:
    """Without transcripts: the prompts llm-router's hooks saw Claude Code send (and did not block) this
    week, as prompts of an unknown model: those in usage.db and those a hook kept as a file beside it."""
    from llm_router.store import decision_files

    usage = windows.empty_usage()
    found: dict[str, float] = {}
    path = home / "usage.db"
    if path.exists():
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1.0)
            try:
                rows = conn.execute(
                    "SELECT id, time FROM decisions WHERE host = 'claude-code' AND action != 'block' "
                    "AND time > ? AND time <= ? ORDER BY time LIMIT 100000",
                    (now - windows.WEEK_S, now),
                ).fetchall()
            finally:
                conn.close()
            found = {str(key): float(at) for key, at in rows}
        except sqlite3.Error:
            pass
    for row in decision_files.kept(home):
        recent = now - windows.WEEK_S < row["time"] <= now
        if recent and row.get("host") == "claude-code" and row.get("action") != "block":
            found.setdefault(row["id"], float(row["time"]))
    if not found:
        return usage
    entries = [
        transcripts.Entry(key, at, "prompt") for key, at in sorted(found.items(), key=lambda kv: kv[1])
    ]
    windows.add(usage, "llm-router", entries)
    return usage


@contextlib.contextmanager
def _lock(home: Path) -> Any:
    """True inside when this process holds the refresh lock; False when another one does."""
    fileio.private_dir(home)
    path = home / LOCK
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, fileio.FILE_MODE)
    except FileExistsError:
        try:
            stale = time.time() - os.stat(path).st_mtime > LOCK_STALE_S
        except OSError:
            stale = True
        if not stale:
            yield False
            return
        with contextlib.suppress(OSError):
            os.unlink(path)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, fileio.FILE_MODE)
        except FileExistsError:
            yield False
            return
    os.close(fd)
    try:
        yield True
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


def budget_states(specs: Iterable[Any], summary: Mapping[str, Any], now: float) -> dict[str, BudgetState]:
    """The states of the `kind: subscription` budgets among `specs`, from a summary, at `now`."""
    out: dict[str, BudgetState] = {}
    for b in specs:
        if getattr(b, "kind", "usd") != "subscription":
            continue
        if b.period == "5h":
            window = summary.get("five_hour") or {}
            end = window.get("end")
            if end is None or now >= float(end):  # closed since the scan: nothing used in a new one yet
                out[b.id] = b.state(0.0)
                continue
            out[b.id] = b.state(windows.used(window, b.unit, b.token_kinds, b.model), float(end))
        else:
            out[b.id] = b.state(windows.used(summary.get("week") or {}, b.unit, b.token_kinds, b.model))
    return out


def live_budgets(
    specs: Iterable[Any], home: Path, env: Mapping[str, str], now: float
) -> dict[str, BudgetState]:
    """What a decision sees of the subscription budgets: from the cached summary, rescanned only when it is
    older than the smallest `refresh_minutes` of those budgets. A decision reads at most DECISION_BUDGET
    bytes of transcripts (a hook stays quick); a first scan of a large week goes on over the next ones."""
    subs = [b for b in specs if getattr(b, "kind", "usd") == "subscription"]
    if not subs:
        return {}
    max_age = min(float(getattr(b, "refresh_s", DEFAULT_REFRESH_S)) for b in subs)
    return budget_states(subs, current(home, env, now, max_age, DECISION_BUDGET), now)
