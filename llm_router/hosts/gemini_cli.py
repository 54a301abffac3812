"""Gemini CLI: the MCP server and the hooks in settings.json (JSON with comments; timeouts in ms)."""

from __future__ import annotations

from llm_router.hosts.base import PLAIN, FileEdit, InstallOptions, Target, hooks_edit, mcp_server_edit
from llm_router.hosts.commands import hook_command, mcp_command

NAME = "gemini-cli"
MCP_NAME = "llmrouter"  # Gemini names tools mcp_<server>_<tool>: no "_" or "-" in the server name
EVENTS: dict[str, int] = {
    "SessionStart": 10_000,
    "BeforeAgent": 120_000,
    "BeforeModel": 120_000,
    "SessionEnd": 5_000,
}


def hook_groups(*, portable: bool = False) -> dict[str, dict]:
    """The matcher group llm-router adds under each Gemini event."""
    command = hook_command(NAME, portable=portable)
    return {
        event: {
            "hooks": [{"name": f"llm-router-{event}", "type": "command", "command": command, "timeout": ms}]
        }
        for event, ms in EVENTS.items()
    }


def edits(target: Target, options: InstallOptions = PLAIN) -> list[FileEdit]:
    """Two edits of one settings.json: the MCP server, then the hooks. A project's settings.json is shared
    through git, so its commands are names on PATH. Gemini CLI has no gateway mode: `options` is unused."""
    project = target.project is not None
    path = (target.project or target.home) / ".gemini" / "settings.json"
    command, args = mcp_command(portable=project)
    entry = {"command": command, "args": args, "timeout": 180_000}
    mcp = mcp_server_edit(path, "mcpServers", MCP_NAME, entry, comments=True)
    return [mcp, hooks_edit(path, hook_groups(portable=project), comments=True)]
