"""What installing into a host means: a list of reversible edits, each to one of the host's files."""

from __future__ import annotations

import copy
import json
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llm_router.errors import HostConfigError
from llm_router.hosts.commands import is_our_hook_command
from llm_router.hosts.files import dump_json, parse_json_object


@dataclass(frozen=True)
class Target:
    """Where an install goes: the user's HOME, or a project folder with `--project`."""

    home: Path
    project: Path | None = None

    @property
    def root(self) -> Path:
        return self.project if self.project is not None else self.home


@dataclass(frozen=True)
class FileEdit:
    """One reversible change to one host file; `add`/`remove` map the file's text (None: absent) to text."""

    path: Path
    what: str
    add: Callable[[str | None], str | None]
    remove: Callable[[str | None], str | None]
    present: Callable[[str | None], bool]  # does the text hold exactly what `add` would put there?
    same: Callable[[str, str], bool]  # do two texts hold the same data?
    empty: Callable[[str], bool]  # does the text hold nothing at all?


# --- JSON files -------------------------------------------------------------------------------------------


def _json_same(a: str, b: str) -> bool:
    try:
        return bool(json.loads(a or "{}") == json.loads(b or "{}"))
    except ValueError:
        return False


def _json_empty(text: str) -> bool:
    try:
        return not text.strip() or json.loads(text) == {}
    except ValueError:
        return False


def json_edit(
    path: Path, what: str, add: Callable[[dict[str, Any]], None], remove: Callable[[dict[str, Any]], None]
) -> FileEdit:
    """A FileEdit for a JSON object file, from functions that change the parsed object in place."""

    def apply(fn: Callable[[dict[str, Any]], None], text: str | None) -> str | None:
        data = parse_json_object(text, path)
        new = copy.deepcopy(data)
        fn(new)
        if new == data:
            return text
        return dump_json(new, text)

    def present(text: str | None) -> bool:
        return text is not None and apply(add, text) == text and apply(remove, text) != text

    return FileEdit(
        path, what, lambda t: apply(add, t), lambda t: apply(remove, t), present, _json_same, _json_empty
    )


def mcp_server_edit(path: Path, key: str, name: str, entry: Mapping[str, Any]) -> FileEdit:
    """Register `entry` as MCP server `name` under the top-level `key` (mcpServers, servers)."""

    def add(data: dict[str, Any]) -> None:
        servers = data.setdefault(key, {})
        if not isinstance(servers, dict):
            raise HostConfigError(f"{path}: `{key}` is not a JSON object; left unchanged")
        servers[name] = dict(entry)

    def remove(data: dict[str, Any]) -> None:
        servers = data.get(key)
        if isinstance(servers, dict) and name in servers:
            del servers[name]
            if not servers:
                del data[key]

    return json_edit(path, f"MCP server {name!r}", add, remove)


def _strip_our_hooks(groups: list[Any]) -> list[Any]:
    kept = []
    for group in groups:
        if isinstance(group, dict) and isinstance(group.get("hooks"), list):
            hooks = [
                h
                for h in group["hooks"]
                if not (isinstance(h, dict) and is_our_hook_command(h.get("command")))
            ]
            if not hooks and group["hooks"]:
                continue
            group = {**group, "hooks": hooks}
        kept.append(group)
    return kept


def hooks_edit(path: Path, groups: Mapping[str, Mapping[str, Any]]) -> FileEdit:
    """Add one matcher group per event under `hooks` (the Claude Code shape, shared by Codex and Gemini)."""

    def add(data: dict[str, Any]) -> None:
        hooks = data.setdefault("hooks", {})
        if not isinstance(hooks, dict):
            raise HostConfigError(f"{path}: `hooks` is not a JSON object; left unchanged")
        for event, group in groups.items():
            current = hooks.get(event, [])
            if not isinstance(current, list):
                raise HostConfigError(f"{path}: `hooks.{event}` is not a list; left unchanged")
            ours = [g for g in current if g not in _strip_our_hooks([g])]
            if ours == [dict(group)]:
                continue  # already installed as it should be: keep its place
            hooks[event] = _strip_our_hooks(current) + [copy.deepcopy(dict(group))]

    def remove(data: dict[str, Any]) -> None:
        hooks = data.get("hooks")
        if not isinstance(hooks, dict):
            return
        for event in list(hooks):
            if isinstance(hooks[event], list):
                kept = _strip_our_hooks(hooks[event])
                if kept != hooks[event]:
                    if kept:
                        hooks[event] = kept
                    else:
                        del hooks[event]
        if not hooks:
            del data["hooks"]

    return json_edit(path, "hooks", add, remove)


# --- TOML files (edited as text: Python has no TOML writer, and a rewrite would lose comments) ------------

BLOCK_BEGIN = "# BEGIN llm-router (added by `llm-router install`; `llm-router uninstall` removes it)"
BLOCK_END = "# END llm-router"
_BLOCK = re.compile(r"\n?" + re.escape(BLOCK_BEGIN) + r"\n.*?^" + re.escape(BLOCK_END) + r"\n?", re.S | re.M)


def _toml(text: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise HostConfigError(f"{path}: not valid TOML ({exc}); left unchanged") from exc


def _toml_same(a: str, b: str) -> bool:
    try:
        return tomllib.loads(a) == tomllib.loads(b)
    except tomllib.TOMLDecodeError:
        return False


def toml_block_edit(path: Path, what: str, block: str, defines: tuple[str, ...]) -> FileEdit:
    """Append `block` (TOML text defining the table at key path `defines`) between marker comments."""
    wrapped = f"{BLOCK_BEGIN}\n{block.rstrip()}\n{BLOCK_END}\n"

    def remove(text: str | None) -> str | None:
        if text is None or BLOCK_BEGIN not in text:
            return text
        return _BLOCK.sub("", text, count=1)

    def add(text: str | None) -> str | None:
        base = remove(text) or ""
        data: Any = _toml(base, path)
        for key in defines:
            data = data.get(key) if isinstance(data, dict) else None
        if data is not None:
            raise HostConfigError(
                f"{path}: already defines [{'.'.join(defines)}] outside llm-router's block; "
                "remove it, then run the command again"
            )
        if text is not None and BLOCK_BEGIN in text:
            new = _BLOCK.sub(lambda m: ("\n" if m.group(0).startswith("\n") else "") + wrapped, text, count=1)
        else:
            sep = "" if not base else ("\n" if base.endswith("\n") else "\n\n")
            new = base + sep + wrapped
        _toml(new, path)
        return text if new == text else new

    def present(text: str | None) -> bool:
        return text is not None and wrapped in text

    return FileEdit(path, what, add, remove, present, _toml_same, lambda t: not t.strip())
