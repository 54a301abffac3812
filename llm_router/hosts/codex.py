"""Codex CLI: the MCP server as a `[mcp_servers.llm-router]` block in config.toml, hooks in hooks.json."""

from __future__ import annotations

import json

from llm_router.hosts.base import FileEdit, Target, hooks_edit, toml_block_edit
from llm_router.hosts.claude_code import hook_groups
from llm_router.hosts.commands import mcp_command

NAME = "codex"
MCP_NAME = "llm-router"
# Codex matches tool names by regular expression, so "match every tool" is ".*".
EVENTS: dict[str, tuple[str | None, int]] = {
    "SessionStart": (None, 10),
    "UserPromptSubmit": (None, 120),
    "PreToolUse": (".*", 10),
    "Stop": (None, 5),
}


def mcp_block() -> str:
    """The TOML table that registers the MCP server."""
    command, args = mcp_command()
    return (
        f"[mcp_servers.{MCP_NAME}]\n"
        f"command = {json.dumps(command)}\n"
        f"args = [{', '.join(json.dumps(a) for a in args)}]\n"
        "startup_timeout_sec = 20\n"
        "tool_timeout_sec = 180\n"
    )


def edits(target: Target) -> list[FileEdit]:
    """config.toml and hooks.json under ~/.codex, or .codex in the project."""
    folder = (target.project or target.home) / ".codex"
    return [
        toml_block_edit(
            folder / "config.toml", f"MCP server {MCP_NAME!r}", mcp_block(), ("mcp_servers", MCP_NAME)
        ),
        hooks_edit(folder / "hooks.json", hook_groups(NAME, EVENTS)),
    ]
