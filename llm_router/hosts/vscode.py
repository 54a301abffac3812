"""VS Code: the MCP server in the user profile's mcp.json (or .vscode/mcp.json), key `servers`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from llm_router.hosts.base import PLAIN, FileEdit, InstallOptions, Target, mcp_server_edit
from llm_router.hosts.commands import mcp_command

NAME = "vscode"
MCP_NAME = "llm-router"


def user_dir(home: Path) -> Path:
    """The VS Code user profile folder on this platform."""
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "Code" / "User"
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA") or home / "AppData" / "Roaming") / "Code" / "User"
    return home / ".config" / "Code" / "User"


def edits(target: Target, options: InstallOptions = PLAIN) -> list[FileEdit]:
    """One edit: `servers.llm-router` (VS Code reads mcp.json as JSON with comments)."""
    path = (
        target.project / ".vscode" / "mcp.json"
        if target.project is not None
        else user_dir(target.home) / "mcp.json"
    )
    command, args = mcp_command(portable=target.project is not None)  # a project's file is committed
    return [
        mcp_server_edit(
            path, "servers", MCP_NAME, {"type": "stdio", "command": command, "args": args}, comments=True
        )
    ]
