"""Opening usage.db: WAL, a busy timeout, and the migrations applied once each.

Connections are plain `sqlite3` in autocommit mode; writers take `BEGIN IMMEDIATE` so that parallel
processes (hooks, the MCP server, the CLI) queue instead of failing. sqlite-utils is imported only when a
migration is pending, because importing it costs ~0.1 s and the hook path opens this database. For the same
reason the hook path gets SQLite's C module itself (`_sqlite3`, what the `sqlite3` package re-exports) and
not the package, whose date adapters import `datetime`.
"""

from __future__ import annotations

import os
from _thread import get_ident

from llm_router import fileio, paths

TYPE_CHECKING = False
if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Mapping
    from pathlib import Path
else:
    try:
        import _sqlite3 as sqlite3
    except ImportError:  # an interpreter that names it otherwise: the package holds the same classes
        import sqlite3

Error = sqlite3.Error

PathLike = str | os.PathLike[str]

BUSY_TIMEOUT_S = 10.0


def db_path(env: Mapping[str, str] | None = None) -> Path:
    """`~/.llm-router/usage.db` (under `$LLM_ROUTER_HOME` when set)."""
    return paths.home(env) / "usage.db"


def connect(path: PathLike) -> sqlite3.Connection:
    """A connection with WAL, the busy timeout and `Row` results; no migrations."""
    conn = sqlite3.connect(
        os.fspath(path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def open_db(path: PathLike) -> sqlite3.Connection:
    """Open (creating it and its folder if needed) and migrate the usage database: the folder 0700, the
    database 0600 (SQLite gives its -wal and -shm files the database's mode)."""
    fileio.private_dir(os.path.dirname(os.fspath(path)))
    fileio.private_file(path)
    for extra in ("-wal", "-shm"):  # left looser by an older version
        fileio.private_file(f"{path}{extra}", create=False)
    conn = connect(path)
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    from llm_router.store.migrations import MIGRATIONS, migrate

    if pending(conn, [m.__name__ for m in MIGRATIONS]):
        migrate(conn)
    return conn


_shared: dict[tuple[str, int], sqlite3.Connection] = {}


def shared(path: PathLike) -> sqlite3.Connection:
    """This thread's long-lived connection to `path` (opened and migrated once). Closing a connection to a WAL
    database checkpoints it, which costs more than a whole query: long-running callers keep one open."""
    key = (os.fspath(path), get_ident())
    conn = _shared.get(key)
    if conn is None or not os.path.exists(key[0]):
        conn = _shared[key] = open_db(path)
    return conn


def pending(conn: sqlite3.Connection, names: list[str]) -> list[str]:
    """The migrations not yet recorded in `_migrations`."""
    try:
        done = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
    except sqlite3.OperationalError:  # no table yet: a new database
        done = set()
    return [n for n in names if n not in done]


class write:  # noqa: N801 - used as `with write(conn):`, like the function it replaces
    """One write transaction, taken up front so concurrent writers wait for each other."""

    __slots__ = ("conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        if kind is None:
            self.conn.execute("COMMIT")
            return
        if self.conn.in_transaction:  # SQLite may have rolled back already (a full disk, an I/O error)
            try:  # noqa: SIM105 - contextlib stays off the hook path
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:  # the error that got us here is the one to report
                pass
