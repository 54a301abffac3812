"""Decisions a prompt hook keeps as files, so that it never opens SQLite: `~/.llm-router/decisions/<id>.json`,
each the decisions-table row usage.db would hold (`store.decisions.row_of`: no prompt text unless
`store_prompts`), written atomically (0600, in a 0700 folder).

Every reader of stored decisions (`store.decisions.load_decision` for `llm_query`, `subscription_window`,
the subscription estimate) moves the files into usage.db when it has it open: the rows are committed first,
then the files removed, so a crash in between leaves a file that is moved again (the same row, replaced).
The folder stays bounded: a hook that finds `MAX_KEPT` files there saves into usage.db as before, moving
them all in; a file larger than `FILE_LIMIT` is never written (that decision goes to usage.db too).
Temporary files a crashed writer left behind are removed after `STALE_TMP_S`.

On the hook path: `os`, `fileio` and `jsonio` only.
"""

from __future__ import annotations

import errno
import os
import time

from llm_router import fileio, jsonio

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

FOLDER = "decisions"
SUFFIX = ".json"
FILE_LIMIT = (
    256 << 10
)  # one kept decision; a larger one (a long prompt kept with store_prompts) goes to usage.db
MAX_KEPT = 200  # files in the folder before a hook moves them into usage.db
BATCH = 5 * MAX_KEPT  # files one reader moves in at a time (the folder holds MAX_KEPT and a few more)
STALE_TMP_S = 3600.0  # a temporary file this old was left by a writer that died

PathLike = str | os.PathLike[str]

_HEX = frozenset("0123456789abcdef")


def folder_of(home: PathLike) -> str:
    return os.path.join(os.fspath(home), FOLDER)


def home_of(conn: Any) -> str:
    """The folder of the connection's database file (the home whose decisions/ it takes in); "" when it has
    none (in memory)."""
    from llm_router.store.breaker_mark import db_file

    path = db_file(conn)
    return os.path.dirname(path) if path else ""


def valid_id(decision_id: object) -> bool:
    """A decision id as `policy.evaluate` makes them (16 lowercase hex digits): the only names a file may
    have, so an id from a caller never names a path."""
    return isinstance(decision_id, str) and len(decision_id) == 16 and set(decision_id) <= _HEX


def count(home: PathLike) -> int:
    """How many decision files are kept (0 when the folder is missing)."""
    try:
        names = os.listdir(folder_of(home))
    except OSError:
        return 0
    return sum(1 for n in names if n.endswith(SUFFIX) and not n.startswith("."))


def save(home: PathLike, row: dict[str, Any]) -> bool:
    """Keep the decisions-table `row` as a file. False, having written nothing, when the folder already holds
    `MAX_KEPT` files or the row is larger than `FILE_LIMIT`: the caller saves it in usage.db instead.
    Raises OSError when the file cannot be written."""
    if not valid_id(row.get("id")) or count(home) >= MAX_KEPT:
        return False
    body = jsonio.dumps(row, default=str).encode("utf-8")
    if len(body) > FILE_LIMIT:
        return False
    folder = folder_of(home)
    fileio.private_dir(folder)
    fileio.write_private(os.path.join(folder, row["id"] + SUFFIX), body)
    return True


class _Gone(Exception):
    """A kept file that could not be read just now (moved in by another reader, a passing error)."""


def _parse(path: str) -> dict[str, Any] | None:
    """The row kept in `path`, or None when it is not a usable row (not ours, a link, too large, not a
    row). Raises _Gone when it could not be read at all: it may be fine, so it is left alone."""
    try:
        data = fileio.read_private(path, limit=FILE_LIMIT, what="kept decision")
    except fileio.RefusedFile:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a link (read_private opens with O_NOFOLLOW)
            return None
        raise _Gone(path) from exc
    try:
        row = jsonio.loads(data)
    except ValueError:
        return None
    if not isinstance(row, dict) or not valid_id(row.get("id")) or not isinstance(row.get("decision"), str):
        return None
    if not isinstance(row.get("time"), (int, float)) or not isinstance(row.get("tokens", 0), (int, float)):
        return None
    return row


def read(home: PathLike, decision_id: str) -> dict[str, Any] | None:
    """The row kept under `decision_id`, or None."""
    if not valid_id(decision_id):
        return None
    try:
        row = _parse(os.path.join(folder_of(home), decision_id + SUFFIX))
    except _Gone:
        return None
    return row if row is not None and row["id"] == decision_id else None


def _files(home: PathLike) -> list[tuple[str, dict[str, Any] | None]]:
    """Kept files (at most `BATCH` a call) with their rows (None: unusable, to be removed); files that
    could not be read just now are left out; stale temporaries removed."""
    folder = folder_of(home)
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    out: list[tuple[str, dict[str, Any] | None]] = []
    for name in names:
        path = os.path.join(folder, name)
        if name.startswith("."):  # a temporary file of write_private
            _drop_stale(path)
        elif name.endswith(SUFFIX) and len(out) < BATCH:
            try:
                row = _parse(path)
            except _Gone:
                continue
            out.append((path, row if row is not None and row["id"] + SUFFIX == name else None))
    return out


def _drop_stale(path: str) -> None:
    try:
        if os.lstat(path).st_mtime < time.time() - STALE_TMP_S:
            os.unlink(path)
    except OSError:
        pass


def kept(home: PathLike) -> list[dict[str, Any]]:
    """The rows of every usable kept file (for readers that cannot move them, such as a read-only one)."""
    return [row for _, row in _files(home) if row is not None]


def ingest(conn: Any, home: PathLike) -> int:
    """Move every kept file into usage.db through `conn`: the rows in one write transaction, then, after the
    commit, the files removed (an unusable one too). Returns how many rows went in; raises the store's
    errors (nothing removed then)."""
    from llm_router.store.db import write
    from llm_router.store.decisions import COLUMNS, INSERT

    files = _files(home)
    if not files:
        return 0
    rows = [row for _, row in files if row is not None]
    if rows:
        with write(conn):
            conn.executemany(INSERT, [[row.get(c) for c in COLUMNS] for row in rows])
    for path, _ in files:
        try:  # noqa: SIM105 - contextlib stays off the hook path
            os.unlink(path)
        except FileNotFoundError:  # another reader moved it in as well (the same row)
            pass
    return len(rows)


def ingest_quietly(conn: Any, home: PathLike) -> None:
    """`ingest`, leaving the files where they are when usage.db cannot take them (read-only, locked, full)."""
    if not home:
        return
    from llm_router.store.db import Error

    try:  # noqa: SIM105 - contextlib stays off the hook path
        ingest(conn, home)
    except (Error, OSError):
        pass
