"""Reading and writing the hosts' own settings files safely: parsed as each host reads them, atomic writes,
backups."""

from __future__ import annotations

import json
import os
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

from llm_router import fileio
from llm_router.errors import HostConfigError
from llm_router.hosts import jsonc


def read_text(path: Path) -> str | None:
    """The file's text, or None when it does not exist (a special or oversized file is a HostConfigError).

    A file its owner cannot read counts as unreadable even for root: the user made it so, and we leave it be.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise HostConfigError(f"{path}: cannot read it ({exc}); left unchanged") from exc
    if stat.S_ISREG(mode) and not mode & stat.S_IRUSR:
        raise HostConfigError(f"{path}: cannot read it (its owner has no read permission); left unchanged")
    try:
        raw = fileio.read_bounded(path, limit=fileio.HOST_SETTINGS_LIMIT, what="host settings file")
        return raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as text mode reads it
    except FileNotFoundError:
        return None
    except fileio.RefusedFile as exc:
        raise HostConfigError(f"{path}: cannot read it: it {exc.reason}; left unchanged") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise HostConfigError(f"{path}: cannot read it ({exc}); left unchanged") from exc


def parse_json_object(text: str | None, path: Path, *, comments: bool = False) -> dict[str, Any]:
    """The JSON object in `text` ({} for a missing or blank file); JSONC (comments, trailing commas) when
    `comments`, as the host that reads the file accepts it. Anything else is a HostConfigError."""
    if text is None or not text.strip():
        return {}
    try:
        data = jsonc.loads(text, comments=comments)
    except jsonc.JsoncError as exc:
        kind = "JSON with comments" if comments else "JSON"
        hint = "" if comments else " (the host reads it as plain JSON: no comments or trailing commas)"
        raise HostConfigError(
            f"{path}:{exc.line}:{exc.col}: not valid {kind} ({exc.message}){hint}; left unchanged. "
            "Fix the file, then run the command again."
        ) from exc
    if not isinstance(data, dict):
        raise HostConfigError(f"{path}: expected a JSON object at the top level; left unchanged")
    return data


def render_json(data: dict[str, Any], like: str | None, *, comments: bool = False) -> str:
    """`like` changed to hold `data`, keeping its comments and formatting; a new file when `like` is empty."""
    if like is None or not like.strip():
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return jsonc.rewrite(like, data, comments=comments)


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def backup(path: Path, backups_dir: Path) -> Path | None:
    """Copy `path` (when it exists) into `backups_dir/<timestamp>/`, readable by the owner only."""
    text = read_text(path)
    if text is None:
        return None
    stamp = time.strftime("%Y%m%dT%H%M%S")
    flat = str(path.resolve()).strip("/").replace("/", "__")
    target = backups_dir / stamp / flat
    n = 1
    while target.exists():
        n += 1
        target = backups_dir / f"{stamp}-{n}" / flat
    fileio.private_dir(backups_dir)  # backups live under ~/.llm-router: folders 0700, files 0600
    fileio.private_dir(target.parent)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    return target


def unified_diff(path: Path, before: str | None, after: str | None) -> str:
    """A unified diff from `before` to `after` (None: the file does not exist)."""
    import difflib

    lines = difflib.unified_diff(
        (before or "").splitlines(keepends=True),
        (after or "").splitlines(keepends=True),
        fromfile=str(path) if before is not None else "/dev/null",
        tofile=str(path) if after is not None else "/dev/null",
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )
