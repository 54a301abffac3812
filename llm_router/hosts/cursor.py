"""Cursor: the MCP server in ~/.cursor/mcp.json (or .cursor/mcp.json), key `mcpServers`."""

from __future__ import annotations

from llm_router.hosts.base import PLAIN, FileEdit, InstallOptions, Target, mcp_server_edit
from llm_router.hosts.commands import mcp_command

NAME = "cursor"
MCP_NAME = "llm-router"


def edits(target: Target, options: InstallOptions = PLAIN) -> list[FileEdit]:
    """One edit: `mcpServers.llm-router` (Cursor reads mcp.json as JSON with comments)."""
    path = (target.project or target.home) / ".cursor" / "mcp.json"
    command, args = mcp_command(portable=target.project is not None)  # a project's file is committed
    return [
        mcp_server_edit(
            path, "mcpServers", MCP_NAME, {"type": "stdio", "command": command, "args": args}, comments=True
        )
    ]
