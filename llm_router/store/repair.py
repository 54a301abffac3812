"""When usage.db cannot be used (read-only, corrupt, a full disk): what went wrong in words, the fix to
give the user, the error the reports raise, and the check `llm-router doctor` runs.

Plain `sqlite3`, `os` and `shutil` only: the hook path reaches this module when its store fails.
"""

from __future__ import annotations

import errno
import os
import shlex
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from llm_router.errors import StoreError

MIN_FREE_BYTES = 50 * 1024 * 1024  # doctor warns below this much free space next to usage.db

_CORRUPT = ("not a database", "malformed", "corrupt", "unsupported file format")
_READONLY = ("readonly", "read-only", "permission denied", "unable to open", "access permission")
_FULL = ("disk is full", "disk i/o error", "no space", "file too large")


def kind_of(exc: BaseException) -> str:
    """corrupt | readonly | full | locked | other: what an error from the store means for the user."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return "full"
    if isinstance(exc, PermissionError) or isinstance(exc, OSError) and exc.errno == errno.EROFS:
        return "readonly"
    text = str(exc).lower()
    for kind, needles in (("corrupt", _CORRUPT), ("readonly", _READONLY), ("full", _FULL)):
        if any(n in text for n in needles):
            return kind
    return "locked" if "locked" in text or "busy" in text else "other"


def fix_for(path: Path, kind: str) -> str:
    """A concrete recipe for the user, for an error of this kind on the database at `path`."""
    q = shlex.quote
    folder = str(path.parent)
    if kind == "corrupt":
        n = q(path.name)
        return (
            f"move it aside and recover what it holds into a new one: `cd {q(folder)} && "
            f"mv {n} {n}.broken && {{ mv {n}-wal {n}.broken-wal 2>/dev/null; rm -f {n}-shm; "
            f"sqlite3 {n}.broken .recover | sqlite3 {n}; }}` (where sqlite3 or its .recover is missing, "
            f"the moves alone are enough: llm-router starts a new {path.name}, the old records stay in "
            f"{path.name}.broken)"
        )
    if kind == "readonly":
        return (
            f"make it writable by you: `chmod 600 {q(str(path))}*; chmod 700 {q(folder)}` (and check that "
            f"you own them: `ls -la {q(folder)}`), or remount its disk read-write"
        )
    if kind == "full":
        return f"free some space on the disk that holds it (`df -h {q(folder)}`)"
    if kind == "locked":
        return "another process holds it locked; try again, and stop any process stuck on it"
    return "run `llm-router doctor` to find out what is wrong with it"


def describe(path: Path, exc: BaseException) -> str:
    """`PATH: the error` (one line)."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
    return f"{path}: {text}"


def warning(path: Path, exc: BaseException, consequence: str) -> str:
    """One warning for a store failure that the caller survived: what failed, what it cost, the fix."""
    return (
        f"usage.db cannot be used ({describe(path, exc)}): {consequence}. Fix: {fix_for(path, kind_of(exc))}."
    )


def store_error(path: Path, exc: BaseException) -> StoreError:
    """The error raised where the database is needed (the `usage`, `budget`, `savings` reports)."""
    return StoreError(f"cannot use usage.db ({describe(path, exc)}). Fix: {fix_for(path, kind_of(exc))}.")


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Turn a failure of the store under `path` into a StoreError naming it and its fix."""
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        raise store_error(path, exc) from exc


def diagnose(path: Path) -> tuple[str, str, str]:
    """(status ok|warn|fail, detail, fix) for usage.db at `path`: can it be read, is it intact, can it be
    written, is there room. Reads only; never creates or changes the database."""
    if not path.exists():
        return "ok", f"{path} not created yet (it is created on the first call)", ""
    if not path.is_file():
        return "fail", f"{path} is not a regular file", f"move it aside: `mv {shlex.quote(str(path))} ...`"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2.0)
        try:
            verdict = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "usage" in tables:
                conn.execute("SELECT COUNT(*) FROM usage").fetchone()
        finally:
            conn.close()
    except (sqlite3.Error, OSError) as exc:
        return "fail", describe(path, exc), fix_for(path, kind_of(exc))
    if verdict != ["ok"]:
        return "fail", f"{path}: integrity check: {'; '.join(verdict[:3])[:200]}", fix_for(path, "corrupt")
    unwritable = [
        str(p)
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), path.parent)
        if p.exists() and not os.access(p, os.W_OK)
    ]
    if unwritable:
        return "fail", f"not writable: {', '.join(unwritable)}", fix_for(path, "readonly")
    try:
        free = shutil.disk_usage(path.parent).free
    except OSError:
        free = MIN_FREE_BYTES
    if free < MIN_FREE_BYTES:
        return "warn", f"{free // (1024 * 1024)} MB free next to {path}", fix_for(path, "full")
    if "usage" not in tables:
        return "ok", f"{path} holds no records yet (its tables are created on the next call)", ""
    return "ok", f"{path} is intact and writable", ""
