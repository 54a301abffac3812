"""Claude Code: hooks in settings.json, the MCP server in ~/.claude.json (or .mcp.json for a project)."""

from __future__ import annotations

from llm_router.hosts.base import FileEdit, Target, hooks_edit, mcp_server_edit
from llm_router.hosts.commands import hook_command, mcp_command

NAME = "claude-code"
MCP_NAME = "llm-router"
# event -> (matcher or None, timeout in seconds). The prompt hook may execute a prompt (zero_claude).
EVENTS: dict[str, tuple[str | None, int]] = {
    "SessionStart": (None, 10),
    "UserPromptSubmit": (None, 120),
    "PreToolUse": ("*", 10),
    "SessionEnd": (None, 5),
}


def hook_groups(host: str = NAME, events: dict[str, tuple[str | None, int]] = EVENTS) -> dict[str, dict]:
    """The matcher group llm-router adds under each event."""
    command = hook_command(host)
    groups: dict[str, dict] = {}
    for event, (matcher, timeout) in events.items():
        group: dict = {} if matcher is None else {"matcher": matcher}
        group["hooks"] = [{"type": "command", "command": command, "timeout": timeout}]
        groups[event] = group
    return groups


def edits(target: Target) -> list[FileEdit]:
    """Hooks into settings.json; the MCP server into ~/.claude.json.

    With --project: hooks into .claude/settings.local.json (their absolute paths are this machine's, and
    Claude Code keeps that file out of git), the MCP server into .mcp.json.
    """
    command, args = mcp_command()
    entry = {"type": "stdio", "command": command, "args": args}
    if target.project is not None:
        settings = target.project / ".claude" / "settings.local.json"
        mcp_file = target.project / ".mcp.json"
    else:
        settings, mcp_file = target.home / ".claude" / "settings.json", target.home / ".claude.json"
    return [hooks_edit(settings, hook_groups()), mcp_server_edit(mcp_file, "mcpServers", MCP_NAME, entry)]
