"""Claude Code: hooks in settings.json, the MCP server in ~/.claude.json (or .mcp.json for a project), and
with `--gateway` the `env.ANTHROPIC_BASE_URL` that sends its requests through the local gateway."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llm_router.errors import HostConfigError
from llm_router.hosts.base import (
    PLAIN,
    FileEdit,
    InstallOptions,
    Target,
    hooks_edit,
    json_edit,
    mcp_server_edit,
)
from llm_router.hosts.commands import hook_command, mcp_command

NAME = "claude-code"
MCP_NAME = "llm-router"
BASE_URL_VAR = "ANTHROPIC_BASE_URL"
# event -> (matcher or None, timeout in seconds). The prompt hook may execute a prompt (zero_claude).
# PreToolUse matches every tool: it holds tools back while a turn waits for llm_query, and for the subagent
# tool (`Task`, `Agent` in newer builds) it picks the subagent's model.
EVENTS: dict[str, tuple[str | None, int]] = {
    "SessionStart": (None, 10),
    "UserPromptSubmit": (None, 120),
    "PreToolUse": ("*", 10),
    "SessionEnd": (None, 5),
}
# Through the gateway every request is routed there: no tool is held, no subagent model is chosen here.
GATEWAY_EVENTS: dict[str, tuple[str | None, int]] = {
    "SessionStart": (None, 10),
    "UserPromptSubmit": (None, 30),
    "SessionEnd": (None, 5),
}


def hook_groups(
    host: str = NAME,
    events: dict[str, tuple[str | None, int]] = EVENTS,
    *,
    gateway: bool = False,
    portable: bool = False,
) -> dict[str, dict]:
    """The matcher group llm-router adds under each event."""
    command = hook_command(host, gateway=gateway, portable=portable)
    groups: dict[str, dict] = {}
    for event, (matcher, timeout) in events.items():
        group: dict = {} if matcher is None else {"matcher": matcher}
        group["hooks"] = [{"type": "command", "command": command, "timeout": timeout}]
        groups[event] = group
    return groups


def base_url_edit(path: Path, url: str) -> FileEdit:
    """`env.ANTHROPIC_BASE_URL = url` in a settings file; a different value of the user's is a conflict."""

    def add(data: dict[str, Any]) -> None:
        env = data.setdefault("env", {})
        if not isinstance(env, dict):
            raise HostConfigError(f"{path}: `env` is not a JSON object; left unchanged")
        current = env.get(BASE_URL_VAR)
        if current not in (None, url):
            raise HostConfigError(
                f"{path}: already sets env.{BASE_URL_VAR} to {current!r}; remove it (or run "
                f"`llm-router uninstall --host {NAME}` if an earlier install wrote it), then run the "
                "command again"
            )
        env[BASE_URL_VAR] = url

    def remove(data: dict[str, Any]) -> None:
        env = data.get("env")
        if isinstance(env, dict) and env.get(BASE_URL_VAR) == url:
            del env[BASE_URL_VAR]
            if not env:
                del data["env"]

    return json_edit(path, f"env.{BASE_URL_VAR} (gateway)", add, remove)


def edits(target: Target, options: InstallOptions = PLAIN) -> list[FileEdit]:
    """Hooks into settings.json; the MCP server into ~/.claude.json.

    With --project: hooks (and the gateway's URL) into .claude/settings.local.json, which Claude Code keeps
    out of git, so this machine's paths may go there; the MCP server into .mcp.json, which teams commit, by
    name.
    """
    project = target.project is not None
    command, args = mcp_command(portable=project)
    entry = {"type": "stdio", "command": command, "args": args}
    if target.project is not None:
        settings = target.project / ".claude" / "settings.local.json"
        mcp_file = target.project / ".mcp.json"
    else:
        settings, mcp_file = target.home / ".claude" / "settings.json", target.home / ".claude.json"
    gateway = options.gateway is not None
    groups = hook_groups(events=GATEWAY_EVENTS if gateway else EVENTS, gateway=gateway)
    result = [hooks_edit(settings, groups), mcp_server_edit(mcp_file, "mcpServers", MCP_NAME, entry)]
    if options.gateway is not None:
        result.append(base_url_edit(settings, options.gateway))
    return result
