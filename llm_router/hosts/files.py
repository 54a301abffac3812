"""Reading and writing the hosts' own settings files safely: strict parsing, atomic writes, backups."""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from llm_router.errors import HostConfigError


def read_text(path: Path) -> str | None:
    """The file's text, or None when it does not exist."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise HostConfigError(f"{path}: cannot read it ({exc})") from exc


def parse_json_object(text: str | None, path: Path) -> dict[str, Any]:
    """The JSON object in `text` ({} for a missing or blank file); anything else is a HostConfigError."""
    if text is None or not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HostConfigError(
            f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); left unchanged. "
            "Fix or remove the file (comments are not supported), then run the command again."
        ) from exc
    if not isinstance(data, dict):
        raise HostConfigError(f"{path}: expected a JSON object at the top level; left unchanged")
    return data


def detect_indent(text: str | None) -> str | int:
    """The indentation the file uses (2 spaces when it cannot tell)."""
    if text:
        match = re.search(r"^[{\[]\s*\n([ \t]+)\S", text, re.MULTILINE)
        if match:
            ws = match.group(1)
            return "\t" if ws.startswith("\t") else len(ws)
    return 2


def dump_json(data: dict[str, Any], like: str | None) -> str:
    """`data` as JSON in the style of the text it replaces (indent, trailing newline)."""
    out = json.dumps(data, indent=detect_indent(like), ensure_ascii=False)
    newline = like is None or like.endswith("\n") or not like.strip()
    return out + "\n" if newline else out


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
    target.parent.mkdir(parents=True, exist_ok=True)
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
