"""Private files under `~/.llm-router` and bounded reads of every file the product reads (standard library
only: the hook path imports it).

Writing, for anything kept under `$LLM_ROUTER_HOME`:
- `private_dir(path)`: mkdir -p; the folders it creates, and `path` itself, are 0700.
- `write_private(path, data)`: replace `path` atomically (temporary file and rename) with a 0600 file.
- `overwrite_private(path, data)`: rewrite a small 0600 file in place, for files every reader and writer
  locks (session state): no rename, which on ext4 costs a flush of the new data (milliseconds).
- `append_private(path)`: a text file opened for appending, created 0600 (an existing one is tightened).
- `private_file(path)`: `path` exists and is 0600, for files another library opens (SQLite's usage.db).
Missing parent folders are created 0700; folders that already exist are tightened only by `private_dir`.

Reading, for every file a user or a repository can point at:
- `read_bounded(path, *, limit, what)`: the bytes of a regular file (after following symlinks) of at most
  `limit` bytes, or `RefusedFile`, an OSError whose message names `what` and the path.
- `open_bounded(path, *, limit, what)`: the same checks, returning the open binary file (large files read
  in pieces, such as eval datasets). Both take `beneath=FOLDER`: then no link is followed between that
  folder and the file (the file tools' workspace, whose paths are checked before they are read).
- `read_private(path, *, limit, what)`: `read_bounded` for a file whose content is trusted as our own (a
  cache that holds code): also refused when it is a link, is not this user's or others can write it.
A fifo, a device (/dev/zero), a socket or a folder is refused without reading a byte, and never blocks.
The limits of the product's own readers are named below, so that they are documented in one place.
"""

from __future__ import annotations

import errno
import itertools
import os
import stat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import IO, BinaryIO, TextIO

__all__ = [
    "CACHE_LIMIT",
    "DATASET_LIMIT",
    "DATASET_LINE_LIMIT",
    "DIR_MODE",
    "FILE_MODE",
    "HOST_SETTINGS_LIMIT",
    "LEXICON_LIMIT",
    "POLICY_LIMIT",
    "RefusedFile",
    "SETTINGS_LIMIT",
    "STATE_LIMIT",
    "SUITE_LIMIT",
    "append_private",
    "open_bounded",
    "open_dir_beneath",
    "overwrite_private",
    "private_dir",
    "read_private",
    "private_file",
    "read_bounded",
    "write_private",
]

FILE_MODE = 0o600
DIR_MODE = 0o700

# Size limits, in bytes, of what the product reads.
POLICY_LIMIT = 1 << 20  # one policy layer (user, project, --config, each `extends`); built-ins are ~25 KB
LEXICON_LIMIT = 8 << 20  # a classifier lexicon (JSON word weights)
SUITE_LIMIT = 4 << 20  # a `policy test` suite
SETTINGS_LIMIT = 256 << 10  # a `.env` file, `~/.llm-router/config.yaml`
STATE_LIMIT = 1 << 20  # a hook session file
HOST_SETTINGS_LIMIT = 64 << 20  # a host's settings file (~/.claude.json keeps history and grows large)
CACHE_LIMIT = 64 << 20  # one entry of the policy cache (the merged policy with its origins)
DATASET_LIMIT = 512 << 20  # an eval dataset file (JSON lines or a RouteLLM CSV)
DATASET_LINE_LIMIT = 4 << 20  # one record of an eval dataset

PathLike = str | os.PathLike[str]

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # opening a fifo must not wait for a writer
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_tmp_names = itertools.count()


class RefusedFile(OSError):
    """A file that is not a regular file or is larger than its limit; nothing of it was read."""

    def __init__(self, path: PathLike, what: str, reason: str, *, too_large: bool = False):
        super().__init__(reason)
        self.path, self.what, self.reason, self.too_large = os.fspath(path), what, reason, too_large
        self.filename = self.path
        self.strerror = reason

    def __str__(self) -> str:
        return f"{self.what} {self.path}: {self.reason}"


# -- reading ---------------------------------------------------------------------------------------------


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a fifo"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def open_dir_beneath(root: PathLike, folder: PathLike) -> int:
    """A descriptor of `folder`, a resolved path inside the folder `root` (or `root` itself), opened one
    component at a time from `root` without following a link: a folder swapped for a link after `folder` was
    resolved raises RefusedFile instead of being followed out (what `openat2(RESOLVE_BENEATH)` gives).
    The caller closes it."""
    relative = os.path.relpath(folder, root)
    parts = [] if relative == "." else relative.split(os.sep)
    if ".." in parts or os.path.isabs(relative):
        raise RefusedFile(folder, "folder", f"is not inside {os.fspath(root)}")
    fd = os.open(root, os.O_RDONLY | _CLOEXEC | _DIRECTORY)
    try:
        for part in parts:
            try:
                child = os.open(part, os.O_RDONLY | _CLOEXEC | _DIRECTORY | _NOFOLLOW, dir_fd=fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise RefusedFile(folder, "folder", f"{part!r} is no longer a folder (a link?)") from None
                raise
            os.close(fd)
            fd = child
        return fd
    except BaseException:
        os.close(fd)
        raise


def open_bounded(path: PathLike, *, limit: int, what: str, beneath: PathLike | None = None) -> BinaryIO:
    """`path` opened for reading in binary, after checking it is a regular file of at most `limit` bytes.

    With `beneath` (a folder holding the resolved `path`), no link is followed anywhere from that folder
    down to the file itself: a part of the path swapped for a link since it was resolved is refused.
    Raises RefusedFile otherwise, FileNotFoundError (and other OSErrors) as `open` would.
    """
    if beneath is None:
        fd = os.open(path, os.O_RDONLY | _CLOEXEC | _NONBLOCK)
    else:
        parent = open_dir_beneath(beneath, os.path.dirname(os.fspath(path)))
        try:
            fd = os.open(
                os.path.basename(path), os.O_RDONLY | _CLOEXEC | _NONBLOCK | _NOFOLLOW, dir_fd=parent
            )
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise RefusedFile(path, what, "is a link (not followed here)") from None
            raise
        finally:
            os.close(parent)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise RefusedFile(path, what, f"is {_kind(st.st_mode)}, not a regular file")
        if st.st_size > limit:
            raise RefusedFile(
                path, what, f"is {st.st_size:,} bytes, more than the limit of {limit:,}", too_large=True
            )
        if _NONBLOCK:
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bounded(path: PathLike, *, limit: int, what: str, beneath: PathLike | None = None) -> bytes:
    """The bytes of `path`, a regular file of at most `limit` bytes (checked again while reading, for a file
    that grows); RefusedFile otherwise. `beneath` as for `open_bounded`."""
    with open_bounded(path, limit=limit, what=what, beneath=beneath) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise RefusedFile(path, what, f"is more than the limit of {limit:,} bytes", too_large=True)
    return data


def read_private(path: PathLike, *, limit: int, what: str) -> bytes:
    """The bytes of `path` when it is a regular file (not a link) of at most `limit` bytes that this user
    owns and nobody else can write; RefusedFile otherwise. For files whose content runs as code (the
    compiled-policy cache): another user able to write them could make llm-router run anything."""
    fd = os.open(path, os.O_RDONLY | _CLOEXEC | _NONBLOCK | _NOFOLLOW)
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise RefusedFile(path, what, f"is {_kind(st.st_mode)}, not a regular file")
        if st.st_uid != os.geteuid() or st.st_mode & 0o022:
            raise RefusedFile(path, what, "is not private to this user")
        if st.st_size > limit:
            raise RefusedFile(
                path, what, f"is {st.st_size:,} bytes, more than the limit of {limit:,}", too_large=True
            )
        data = handle.read(st.st_size + 1)  # not read(limit + 1): that allocates the whole limit first
        if len(data) > st.st_size:  # it grew since: read on, to the limit
            data += handle.read(limit + 1 - len(data))
    if len(data) > limit:
        raise RefusedFile(path, what, f"is more than the limit of {limit:,} bytes", too_large=True)
    return data


# -- writing ---------------------------------------------------------------------------------------------


def _tighten(path: PathLike, mode: int, fd: int | None = None) -> None:
    """Remove permission bits beyond `mode` from a file or folder this user owns; never raises."""
    try:
        st = os.fstat(fd) if fd is not None else os.stat(path)
        if stat.S_IMODE(st.st_mode) & ~mode and st.st_uid == os.geteuid():
            new = stat.S_IMODE(st.st_mode) & mode
            if fd is not None:
                os.fchmod(fd, new)
            else:
                os.chmod(path, new)
    except (OSError, AttributeError):  # a read-only file system, another owner, no chmod on this platform
        pass


def _make_parents(folder: str) -> None:
    """Create `folder` and its missing parents with mode 0700; existing folders are left as they are."""
    missing: list[str] = []
    head = folder
    while head and not os.path.isdir(head):
        missing.append(head)
        parent = os.path.dirname(head)
        if parent == head:
            break
        head = parent
    for path in reversed(missing):
        try:  # noqa: SIM105 - contextlib stays off the hook path
            os.mkdir(path, DIR_MODE)
        except FileExistsError:  # another process was faster, or a file is in the way
            pass
    if folder and not os.path.isdir(folder):
        raise NotADirectoryError(f"{folder} is not a folder")


def private_dir(path: PathLike) -> PathLike:
    """mkdir -p `path`: folders it creates are 0700, and `path` itself is made 0700 if it was looser.
    Returns `path`."""
    folder = os.fspath(path)
    _make_parents(folder)
    _tighten(folder, DIR_MODE)
    return path


def write_private(path: PathLike, data: bytes | str) -> None:
    """Replace `path` with `data` (str is written as UTF-8) atomically: a 0600 temporary file in the same
    folder, renamed over it. Readers see the old content or the new, never a part."""
    target = os.fspath(path)
    folder, name = os.path.split(target)
    _make_parents(folder)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.{next(_tmp_names)}.tmp")
    body = data.encode("utf-8") if isinstance(data, str) else data
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _CLOEXEC, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
        os.replace(tmp, target)
    except BaseException:
        try:  # noqa: SIM105 - contextlib stays off the hook path
            os.unlink(tmp)
        except OSError:
            pass
        raise


def overwrite_private(path: PathLike, data: bytes | str) -> None:
    """Rewrite `path` with `data` in place: create it 0600 (tighten an existing one), write, truncate.

    For a small file whose readers and writers all hold a lock on it (a hook's session state): readers never
    see a part, and there is no rename, which on ext4 forces the new data to disk before the rename (it
    cost a hook milliseconds per prompt). Anything but a regular file at `path` (a link, a fifo) is replaced
    as `write_private` does."""
    target = os.fspath(path)
    body = data.encode("utf-8") if isinstance(data, str) else data
    _make_parents(os.path.dirname(target))
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | _CLOEXEC | _NONBLOCK | _NOFOLLOW, FILE_MODE)
    except OSError:  # a link (O_NOFOLLOW), a fifo without a reader, a folder
        write_private(target, body)
        return
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            fd = -1
            write_private(target, body)
            return
        _tighten(target, FILE_MODE, fd)
        view = memoryview(body)
        while view:
            view = view[os.write(fd, view) :]
        os.ftruncate(fd, len(body))
    finally:
        if fd >= 0:
            os.close(fd)


def append_private(path: PathLike, *, encoding: str = "utf-8", errors: str = "strict") -> TextIO:
    """`path` opened for appending text, created 0600 (a looser existing file is tightened)."""
    target = os.fspath(path)
    _make_parents(os.path.dirname(target))
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _CLOEXEC, FILE_MODE)
    _tighten(target, FILE_MODE, fd)
    handle: IO[str] = os.fdopen(fd, "a", encoding=encoding, errors=errors)
    return handle  # type: ignore[return-value]


def private_file(path: PathLike, *, create: bool = True) -> None:
    """Make sure `path` is a 0600 file: create it empty if missing (when `create`), else tighten it.

    For files opened by another library, such as usage.db: SQLite gives its -wal and -shm files the mode of
    the database file, so creating the database 0600 first keeps those private too.
    """
    target = os.fspath(path)
    if create:
        _make_parents(os.path.dirname(target))
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _CLOEXEC, FILE_MODE))
            return
        except FileExistsError:
            pass
    if os.path.lexists(target):
        _tighten(target, FILE_MODE)
