"""Cursor: the MCP server in ~/.cursor/mcp.json (or .cursor/mcp.json), key `mcpServers`."""

from __future__ import annotations

from llm_router.hosts.base import FileEdit, Target, mcp_server_edit
from llm_router.hosts.commands import mcp_command

NAME = "cursor"
MCP_NAME = "llm-router"


def edits(target: Target) -> list[FileEdit]:
    """One edit: `mcpServers.llm-router`."""
    path = (target.project or target.home) / ".cursor" / "mcp.json"
    command, args = mcp_command()
    return [
        mcp_server_edit(path, "mcpServers", MCP_NAME, {"type": "stdio", "command": command, "args": args})
    ]
