"""Per-session hook state (the current turn's decision, tool holding, counters) in one small JSON file.

Each hook is a fresh process, so what the prompt hook decided reaches the tool hook through
`$LLM_ROUTER_HOME/sessions/<host>--<session>.json`: keyed by host and session id, since two hosts may use
the same id. Hosts run hooks in parallel (Codex does; Claude Code runs matching hooks at once), so every
read-modify-write goes through `update()`, which holds an exclusive lock on `<file>.lock` while it reads,
changes and rewrites the state in place, and `load()` reads under a shared lock, so no reader sees half a
write. (Rewriting in place rather than renaming a new file over it: on ext4 such a rename forces the data to
disk first, milliseconds per prompt.) The lock is `fcntl.flock` (0.2 ms to import, against 25 ms for
`filelock`, which is used only where fcntl is missing); a lock held longer than LOCK_WAIT_S is given up
on rather than waited for, so a stuck hook never blocks the next.
"""

from __future__ import annotations

import os
import time

from llm_router import fileio, jsonio

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_AGE_S = 7 * 24 * 3600  # session files older than this are removed at session start
PROMPT_HASH_WINDOW = 4096  # characters of a long prompt's head and of its tail that identify it
HOLD_TTL_S = 30 * 60  # a turn's tool hold lapses after this long, whatever happened
LOCK_WAIT_S = 2.0  # longest wait for another hook's lock; a critical section takes about a millisecond


def _home() -> str:
    # Same rule as llm_router.paths.home, without importing pathlib on the tool hook's path.
    explicit = os.environ.get("LLM_ROUTER_HOME")
    if explicit:
        return os.path.expanduser(explicit)
    return os.path.join(os.environ.get("HOME") or os.path.expanduser("~"), ".llm-router")


def _digest(text: str, size: int = 8) -> str:
    try:
        from _blake2 import blake2b  # hashlib without loading OpenSSL: 0.3 ms instead of 3
    except ImportError:  # an interpreter built without it
        from hashlib import blake2b
    return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=size).hexdigest()


def _safe(name: str, limit: int) -> str:
    """`name` itself when it is a plain file name, else its plain characters and a digest of all of it (so
    that ids differing only in other characters do not share a file)."""
    plain = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name)
    if name and plain == name and len(name) <= limit and name[0] != ".":
        return name
    return f"{plain[: limit // 2].lstrip('.')}~{_digest(name)}"


def path_for(host: str, session: str, home: str | os.PathLike[str] | None = None) -> str:
    """The state file of `session` of `host`."""
    name = f"{_safe(host or 'host', 40)}--{_safe(session or 'default', 120)}.json"
    return os.path.join(home or _home(), "sessions", name)


def prompt_hash(prompt: str, host: str, session: str) -> str:
    """What identifies a prompt within a session without storing any of its text: of a long prompt, its
    length, head and tail (a hook hashes a bounded window, not megabytes)."""
    if len(prompt) > 2 * PROMPT_HASH_WINDOW:
        prompt = f"{len(prompt)}\0{prompt[:PROMPT_HASH_WINDOW]}\0{prompt[-PROMPT_HASH_WINDOW:]}"
    return _digest(f"{host}\0{session}\0{prompt}", 16)


def load(host: str, session: str, home: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The session's state ({} when there is none or it cannot be read). Read-only: to change it, `update`."""
    path = path_for(host, session, home)
    if not os.path.lexists(path):  # most tool calls of a session that routed nothing: no lock needed
        return {}
    with locked(path + ".lock", shared=True):
        return _read(path)


def _read(path: str) -> dict[str, Any]:
    try:
        data = jsonio.loads(fileio.read_bounded(path, limit=fileio.STATE_LIMIT, what="session").decode())
    except (OSError, ValueError):  # missing, unreadable, not a regular file, too large, not JSON, not UTF-8
        return {}
    return data if isinstance(data, dict) else {}


def save(host: str, session: str, state: dict[str, Any], home: str | os.PathLike[str] | None = None) -> None:
    """Replace the session's state (callers that read it first use `update`)."""
    path = path_for(host, session, home)
    with locked(path + ".lock"):
        _write(path, state)


def _write(path: str, state: dict[str, Any]) -> None:
    """A private file in a private folder, rewritten under the caller's lock; ASCII JSON, so that odd strings
    survive the round trip."""
    fileio.private_dir(os.path.dirname(path))
    fileio.overwrite_private(path, jsonio.dumps(state, separators=(",", ":")))


class update:  # noqa: N801 - used as `with update(host, session) as state:`
    """The session's state, under an exclusive lock, to change in place; saved when the block ends without
    an error. Keep the block short: decide and call models before it, not inside."""

    __slots__ = ("_lock", "_path", "_state")

    def __init__(self, host: str, session: str, home: str | os.PathLike[str] | None = None) -> None:
        self._path = path_for(host, session, home)
        self._lock = locked(self._path + ".lock")
        self._state: dict[str, Any] = {}

    def __enter__(self) -> dict[str, Any]:
        self._lock.__enter__()
        try:
            self._state = _read(self._path)
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        return self._state

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        try:
            if kind is None:
                _write(self._path, self._state)
        finally:
            self._lock.__exit__(None, None, None)


class locked:  # noqa: N801 - used as `with locked(path):`
    """A lock on the file `path` (created if needed) for the block, across processes: exclusive, or shared
    with other readers (`shared`)."""

    __slots__ = ("_fd", "_other", "_path", "_shared")

    def __init__(self, path: str, *, shared: bool = False) -> None:
        self._path = path
        self._shared = shared
        self._fd: int | None = None
        self._other: Any = None

    def __enter__(self) -> None:
        try:
            import fcntl
        except ImportError:  # not POSIX
            from filelock import FileLock, Timeout

            self._other = FileLock(self._path, timeout=LOCK_WAIT_S)
            try:
                self._other.acquire()
            except Timeout:  # a stuck holder: better one lost update than a host waiting on us
                self._other = None
            return
        fileio.private_dir(os.path.dirname(self._path))
        try:
            flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
            self._fd = os.open(self._path, flags, 0o600)
        except (
            OSError
        ):  # a lock file we cannot use (a link, a folder): go on unlocked rather than fail the hook
            return
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(self._fd, (fcntl.LOCK_SH if self._shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return  # a stuck holder: better one lost update than a host waiting on us
                time.sleep(0.002)
            except BaseException:
                os.close(self._fd)
                self._fd = None
                raise

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the lock
            self._fd = None
        if self._other is not None:
            self._other.release()
            self._other = None


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
    """Remove session files (and their lock files) not touched for a week."""
    folder = os.path.join(home or _home(), "sessions")
    cutoff = (time.time() if now is None else now) - MAX_AGE_S
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.name.endswith((".json", ".lock")) and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
        except OSError:
            continue
