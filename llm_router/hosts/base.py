"""What installing into a host means: a list of reversible edits, each to one of the host's files."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llm_router.errors import HostConfigError
from llm_router.hosts import jsonc
from llm_router.hosts.commands import is_our_hook_command
from llm_router.hosts.files import parse_json_object, render_json


@dataclass(frozen=True)
class Target:
    """Where an install goes: the user's HOME, or a project folder with `--project`."""

    home: Path
    project: Path | None = None

    @property
    def root(self) -> Path:
        return self.project if self.project is not None else self.home


@dataclass(frozen=True)
class InstallOptions:
    """How a host is installed: `gateway` is the local gateway's URL when its requests go through it."""

    gateway: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"gateway": self.gateway}

    @classmethod
    def from_dict(cls, data: Any) -> InstallOptions:
        gateway = data.get("gateway") if isinstance(data, dict) else None
        return cls(gateway=gateway if isinstance(gateway, str) and gateway else None)


PLAIN = InstallOptions()  # no gateway


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


def _json_data(text: str) -> Any:
    return jsonc.loads(text) if text.strip() else {}


def _json_same(a: str, b: str) -> bool:
    try:
        return bool(_json_data(a) == _json_data(b))
    except ValueError:
        return False


def _json_empty(text: str) -> bool:
    try:
        return _json_data(text) == {}
    except ValueError:
        return False


def json_edit(
    path: Path,
    what: str,
    add: Callable[[dict[str, Any]], None],
    remove: Callable[[dict[str, Any]], None],
    *,
    comments: bool = False,
) -> FileEdit:
    """A FileEdit for a JSON object file, from functions that change the parsed object in place. The text is
    changed only where the object changed, so the user's formatting (and comments, where the host reads JSONC:
    `comments=True`) stays."""

    def apply(fn: Callable[[dict[str, Any]], None], text: str | None) -> str | None:
        data = parse_json_object(text, path, comments=comments)
        new = copy.deepcopy(data)
        fn(new)
        if new == data:
            return text
        return render_json(new, text, comments=comments)

    def present(text: str | None) -> bool:
        return text is not None and apply(add, text) == text and apply(remove, text) != text

    return FileEdit(
        path, what, lambda t: apply(add, t), lambda t: apply(remove, t), present, _json_same, _json_empty
    )


def mcp_server_edit(
    path: Path, key: str, name: str, entry: Mapping[str, Any], *, comments: bool = False
) -> FileEdit:
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

    return json_edit(path, f"MCP server {name!r}", add, remove, comments=comments)


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


def hooks_edit(path: Path, groups: Mapping[str, Mapping[str, Any]], *, comments: bool = False) -> FileEdit:
    """Add one matcher group per event under `hooks` (the Claude Code shape, shared by Codex and Gemini)."""

    def add(data: dict[str, Any]) -> None:
        hooks = data.setdefault("hooks", {})
        if not isinstance(hooks, dict):
            raise HostConfigError(f"{path}: `hooks` is not a JSON object; left unchanged")
        for event in [e for e in hooks if e not in groups and isinstance(hooks[e], list)]:
            kept = _strip_our_hooks(hooks[event])  # ours from another mode of install (--gateway or not)
            if kept != hooks[event]:
                if kept:
                    hooks[event] = kept
                else:
                    del hooks[event]
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

    return json_edit(path, "hooks", add, remove, comments=comments)
