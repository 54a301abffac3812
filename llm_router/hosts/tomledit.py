"""Reversible edits of a TOML file (Codex's config.toml) made as text, so the user's comments and layout stay.

Python reads TOML but has no writer, and rewriting the file from parsed data would lose every comment. So
llm-router adds whole tables as a marked block at the end, and top-level keys as lines tagged with a comment;
removing them deletes exactly those lines, and a user's own line that a key replaced is put back.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from llm_router.errors import HostConfigError
from llm_router.hosts.base import FileEdit

# The block markers name the table, so several blocks can live in one file. The first release wrote one
# unnamed block (the MCP server); it is still recognised and removed.
_LEGACY_BEGIN = "# BEGIN llm-router (added by `llm-router install`; `llm-router uninstall` removes it)"
_LEGACY_END = "# END llm-router"
KEY_TAG = "# llm-router: set by `llm-router install`; `llm-router uninstall` removes this line"
REPLACED = "# llm-router replaced this line (uninstall puts it back): "
_HEADER = re.compile(r"^\s*\[")
_BEGIN = "# BEGIN llm-router"


def _markers(table: str) -> tuple[str, str]:
    begin = f"# BEGIN llm-router [{table}] (added by `llm-router install`; `llm-router uninstall` removes it)"
    return begin, f"# END llm-router [{table}]"


def _block_re(begin: str, end: str) -> re.Pattern[str]:
    return re.compile(r"\n?" + re.escape(begin) + r"\n.*?^" + re.escape(end) + r"\n?", re.S | re.M)


def parse(text: str, path: Path) -> dict[str, Any]:
    """The TOML document in `text`; a HostConfigError naming the file when it is not valid TOML."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise HostConfigError(f"{path}: not valid TOML ({exc}); left unchanged") from exc


def _same(a: str, b: str) -> bool:
    try:
        return tomllib.loads(a) == tomllib.loads(b)
    except tomllib.TOMLDecodeError:
        return False


def _lookup(data: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def block_edit(path: Path, what: str, block: str, defines: tuple[str, ...]) -> FileEdit:
    """Append `block` (TOML text defining the table at key path `defines`) between marker comments."""
    table = ".".join(defines)
    begin, end = _markers(table)
    wrapped = f"{begin}\n{block.rstrip()}\n{end}\n"
    patterns = [_block_re(begin, end)]
    if defines[0] == "mcp_servers":
        patterns.append(_block_re(_LEGACY_BEGIN, _LEGACY_END))

    def remove(text: str | None) -> str | None:
        if text is None:
            return text
        for pattern in patterns:
            text = pattern.sub("", text, count=1)
        return text

    def add(text: str | None) -> str | None:
        base = remove(text) or ""
        if _lookup(parse(base, path), defines) is not None:
            raise HostConfigError(
                f"{path}: already defines [{table}] outside llm-router's block; "
                "remove it, then run the command again"
            )
        match = patterns[0].search(text or "")
        if text is not None and match:
            lead = "\n" if match.group(0).startswith("\n") else ""
            new = text[: match.start()] + lead + wrapped + text[match.end() :]
        else:
            sep = "" if not base else ("\n" if base.endswith("\n") else "\n\n")
            new = base + sep + wrapped
        parse(new, path)
        return text if new == text else new

    def present(text: str | None) -> bool:
        return text is not None and wrapped in text

    return FileEdit(path, what, add, remove, present, _same, lambda t: not t.strip())


def _key_line(key: str, value: str) -> str:
    return f"{key} = {json.dumps(value)}  {KEY_TAG}\n"


def top_keys_edit(path: Path, what: str, values: Mapping[str, str]) -> FileEdit:
    """Set top-level string keys, each on a tagged line; a user's own line for the key is kept as a comment
    above ours and put back on removal."""
    ours = {key: _key_line(key, value) for key, value in values.items()}

    def remove(text: str | None) -> str | None:
        if text is None:
            return text
        lines = text.splitlines(keepends=True)
        kept = []
        for line in lines:
            if line.rstrip("\r\n").endswith(KEY_TAG) and line.split("=", 1)[0].strip() in ours:
                continue
            if line.startswith(REPLACED) and _key_of(line[len(REPLACED) :]) in ours:
                line = line[len(REPLACED) :]
            kept.append(line)
        return "".join(kept)

    def add(text: str | None) -> str | None:
        base = remove(text) or ""
        data = parse(base, path)
        lines = base.splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        top_end = next((i for i, line in enumerate(lines) if _HEADER.match(line)), len(lines))
        for key, line in ours.items():
            if key in data:
                index = next((i for i in range(top_end) if _key_of(lines[i]) == key), None)
                if index is None or not _single_line_value(lines[index]):
                    raise HostConfigError(
                        f"{path}: sets `{key}` in a way llm-router cannot change safely; "
                        f"set `{key} = {json.dumps(values[key])}` by hand, or remove it and run the command "
                        "again"
                    )
                lines[index : index + 1] = [REPLACED + lines[index], line]
            else:
                at = 0
                while (
                    at < top_end and lines[at].lstrip().startswith("#") and not lines[at].startswith(_BEGIN)
                ):
                    at += 1  # keep the file's opening comment first (never step into a block of ours)
                lines.insert(at, line)
            top_end += 1
        new = "".join(lines)
        parsed = parse(new, path)
        if any(parsed.get(k) != v for k, v in values.items()):
            raise HostConfigError(f"{path}: could not set {', '.join(values)} safely; left unchanged")
        return text if new == text else new

    def present(text: str | None) -> bool:
        return text is not None and all(line in text.splitlines(keepends=True) for line in ours.values())

    return FileEdit(path, what, add, remove, present, _same, lambda t: not t.strip())


def _key_of(line: str) -> str | None:
    match = re.match(r"\s*([A-Za-z0-9_-]+)\s*=", line)
    return match.group(1) if match else None


def _single_line_value(line: str) -> bool:
    try:
        tomllib.loads(line)
    except tomllib.TOMLDecodeError:
        return False
    return True
