"""The breaker mark: a small private file beside usage.db bounding when any of its breakers last opened, so
that a hook can tell no breaker is open without opening SQLite.

`breakers.mark` holds `llm-router-breakers 1 <dev> <ino> <latest>`: for the usage.db file with that device
and inode, no breaker has an `opened_at` later than `latest` (0 when none is open). Every breaker that opens
(`store.breakers.failed`) rewrites the mark inside its write transaction, before the commit, and every writer
of the mark holds usage.db's write lock: the mark may claim more than the database holds (a rolled-back
opening), never less. A missing, unreadable or foreign mark (another usage.db, a version before this one
wrote the database) vouches for nothing: the reader goes to usage.db, which then writes a mark. A breaker
is open while `opened_at + cooldown_s > now`, so `latest + cooldown_s <= now` means none is.

Processes of an older version still running after an upgrade open breakers without rewriting the mark;
decisions may miss those until the next opening by this version, while executions still skip them
(`breakers.allow` reads usage.db). On the hook path: only `os` and `fileio`.
"""

from __future__ import annotations

import os

from llm_router import fileio

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

NAME = "breakers.mark"
MAGIC = "llm-router-breakers"
VERSION = "1"
LIMIT = 256  # bytes; a mark is one short line

PathLike = str | os.PathLike[str]


def path_of(db_path: PathLike) -> str:
    """Where the mark of the database at `db_path` is kept (beside it)."""
    return os.path.join(os.path.dirname(os.fspath(db_path)), NAME)


def cooldown_of(cp: Any) -> float:
    """The policy's `fallback.circuit_breaker.cooldown_s` (60 s when unset)."""
    fallback = getattr(cp, "fallback", None) or {}
    breaker = fallback.get("circuit_breaker") or {} if isinstance(fallback, dict) else {}
    return float(breaker.get("cooldown_s", 60))


def latest(db_path: PathLike, db_stat: os.stat_result | None = None) -> float | None:
    """The latest time any breaker of this usage.db may have opened (0.0: none open), or None when the mark
    cannot vouch for it (missing, unreadable, not ours, of another database file)."""
    try:
        st = db_stat or os.stat(db_path)
        words = fileio.read_private(path_of(db_path), limit=LIMIT, what="breaker mark").split()
        if len(words) != 5 or words[0] != MAGIC.encode() or words[1] != VERSION.encode():
            return None
        if int(words[2]) != st.st_dev or int(words[3]) != st.st_ino:
            return None
        value = float(words[4])
    except (OSError, ValueError):
        return None
    return value if value >= 0.0 else None  # NaN compares false: not a bound


def none_open(
    db_path: PathLike, cooldown_s: float, now: float, db_stat: os.stat_result | None = None
) -> bool:
    """True when the mark vouches that no breaker of this usage.db is open at `now`."""
    value = latest(db_path, db_stat)
    return value is not None and value + cooldown_s <= now


def db_file(conn: Any) -> str:
    """The file of the connection's main database ("" for an in-memory one)."""
    for row in conn.execute("PRAGMA database_list"):
        if row[1] == "main":
            return str(row[2] or "")
    return ""


def remark(conn: Any) -> None:
    """Rewrite the mark from the breakers as they stand in this write transaction. Call it holding the write
    lock (inside `store.db.write`), before the commit. When the mark cannot be written it is removed (the
    readers then go to usage.db); when it can be neither, the OSError propagates and the transaction rolls
    back: a breaker is never committed under a mark that says less.

    The mark goes beside the database file SQLite opened, links resolved, whatever path each writer gave:
    a reader whose usage.db is a link finds none beside the link, and reads usage.db."""
    target = db_file(conn)
    if not target:
        return
    row = conn.execute("SELECT MAX(opened_at) FROM breakers WHERE opened_at IS NOT NULL").fetchone()
    value = float(row[0]) if row is not None and row[0] is not None else 0.0
    mark = path_of(target)
    try:
        st = os.stat(target)
        fileio.write_private(mark, f"{MAGIC} {VERSION} {st.st_dev} {st.st_ino} {value!r}\n")
    except OSError:
        try:  # noqa: SIM105 - contextlib stays off the hook path
            os.unlink(mark)
        except FileNotFoundError:
            pass
