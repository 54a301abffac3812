"""The workspace root the file tools work under: every path is checked to stay inside it before anything is
read or written (no `..`, no absolute path elsewhere, no symbolic link leading out, checked after resolving),
and only regular text files under a size cap are read for content or changed. Reads and writes then open the
checked path one folder at a time without following links, so a folder swapped for a link between the check
and the use is refused rather than followed."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from llm_router import fileio
from llm_router.errors import RouterError

EDIT_LIMIT = 256 << 10  # the largest file the edit tools change, by default
HARD_LIMIT = 4 << 20  # no option raises the cap above this
SNIFF = 8192  # bytes looked at to tell a binary file


class WorkspaceError(RouterError):
    """A path the file tools refuse: outside the root, through `..` or a link leading out, not a regular
    file, binary, or too large. Exit code 2 (bad input)."""

    exit_code = 2
    code = "usage"


class Workspace:
    """A folder whose files the file tools may read and change, and nothing outside it."""

    def __init__(self, root: str | os.PathLike[str]):
        given = Path(root).expanduser()
        if not given.is_dir():
            raise WorkspaceError(f"workspace root {given} is not a folder")
        self.root = Path(os.path.realpath(given))

    def relative(self, path: str | os.PathLike[str]) -> str:
        """The path as given, checked, relative to the root in POSIX form (for reports and journals)."""
        return self.resolve(path).relative_to(self.root).as_posix()

    def resolve(self, path: str | os.PathLike[str]) -> Path:
        """The real path of `path` (relative to the root, or absolute inside it), refused with a
        WorkspaceError when it names `..`, lies outside the root, or resolves outside it through a link."""
        text = os.fspath(path)
        if not text or "\x00" in text:
            raise WorkspaceError(f"{text!r} is not a path")
        candidate = Path(text).expanduser()
        if ".." in candidate.parts:
            raise WorkspaceError(f"{text}: paths with '..' are refused (give a path inside {self.root})")
        if not candidate.is_absolute():
            candidate = self.root / candidate
        elif not _inside(Path(os.path.abspath(candidate)), self.root) and not _inside(
            Path(os.path.realpath(candidate)), self.root
        ):
            raise WorkspaceError(f"{text}: outside the workspace root {self.root}")
        real = Path(os.path.realpath(candidate))
        if not _inside(real, self.root):
            raise WorkspaceError(f"{text}: resolves to {real}, outside the workspace root {self.root}")
        return real

    def resolve_listed(self, names: Iterable[str]) -> Iterator[tuple[str, Path]]:
        """Each of `names` (relative, as a listing gives them) with its real path, leaving out those that lead
        out of the root through a link anywhere on the way (a linked folder as much as a linked file).
        Folders are resolved once each, so a listing of many files costs little more than a walk."""
        folders: dict[str, Path | None] = {"": self.root}
        for name in names:
            parent, _, base = name.rpartition("/")
            if parent not in folders:
                try:
                    folders[parent] = self.resolve(parent)
                except WorkspaceError:
                    folders[parent] = None
            real_parent = folders[parent]
            if real_parent is None or not base or base in (".", ".."):
                continue
            full = real_parent / base
            if os.path.islink(full):
                full = Path(os.path.realpath(full))
                if not _inside(full, self.root):
                    continue
            yield name, full

    def read_text(self, path: str | os.PathLike[str], limit: int = EDIT_LIMIT) -> tuple[Path, str]:
        """The real path and text of a regular UTF-8 text file inside the root of at most `limit` bytes;
        a WorkspaceError for anything else (binary, too large, a fifo or device, missing)."""
        real = self.resolve(path)
        limit = min(limit, HARD_LIMIT)
        try:
            data = fileio.read_bounded(real, limit=limit, what="file", beneath=self.root)
        except fileio.RefusedFile as exc:
            raise WorkspaceError(f"{self._name(real)}: {exc.reason}") from None
        except FileNotFoundError:
            raise WorkspaceError(f"{self._name(real)}: no such file") from None
        except OSError as exc:
            raise WorkspaceError(f"{self._name(real)}: {exc.strerror or exc}") from None
        if is_binary(data):
            raise WorkspaceError(f"{self._name(real)}: a binary file; only text files are read and changed")
        return real, data.decode("utf-8")

    def write_text(self, real: Path, text: str, limit: int = EDIT_LIMIT) -> None:
        """Replace a file inside the root atomically (a temporary file in its folder, renamed over it),
        keeping its permission bits. `real` is a path `resolve` returned: its folder is opened from the root
        without following a link, so a path outside the root, or one a link was swapped into since, is not
        written."""
        data = text.encode("utf-8")
        if len(data) > min(limit, HARD_LIMIT):
            raise WorkspaceError(f"{self._name(real)}: the edited file would be over {limit:,} bytes")
        try:  # the folder opened without following a link: one swapped in since `resolve` is refused
            folder = fileio.open_dir_beneath(self.root, real.parent)
        except fileio.RefusedFile as exc:
            raise WorkspaceError(f"{self._name(real)}: {exc.reason}; not written") from None
        try:
            try:
                st = os.stat(real.name, dir_fd=folder, follow_symlinks=False)
                if not stat.S_ISREG(st.st_mode):
                    raise WorkspaceError(f"{self._name(real)}: no longer a regular file; not written")
                mode = stat.S_IMODE(st.st_mode)
            except FileNotFoundError:
                mode = 0o644
            tmp = f".{real.name}.llm-router-{os.getpid()}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode, dir_fd=folder)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.chmod(handle.fileno(), mode)
                    os.fsync(handle.fileno())
                os.replace(tmp, real.name, src_dir_fd=folder, dst_dir_fd=folder)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp, dir_fd=folder)
                raise
        finally:
            os.close(folder)

    def _name(self, real: Path) -> str:
        try:
            return real.relative_to(self.root).as_posix()
        except ValueError:
            return str(real)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def is_binary(data: bytes) -> bool:
    """A NUL byte in the first 8 KiB, or bytes that are not UTF-8, make a file binary."""
    if b"\x00" in data[:SNIFF]:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False
