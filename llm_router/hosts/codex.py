"""Codex CLI: the MCP server as a `[mcp_servers.llm-router]` block in config.toml, hooks in hooks.json, and
with `--gateway` a `[model_providers.llm-router]` block selected by the top-level `model_provider`."""

from __future__ import annotations

import json

from llm_router.hosts import gateway_link
from llm_router.hosts.base import PLAIN, FileEdit, InstallOptions, Target, hooks_edit
from llm_router.hosts.claude_code import hook_groups
from llm_router.hosts.commands import mcp_command
from llm_router.hosts.tomledit import block_edit, top_keys_edit

NAME = "codex"
MCP_NAME = "llm-router"
PROVIDER = "llm-router"
MODEL = "auto"  # the gateway decides a request for `auto` by the policy; a concrete model id is respected
# Codex matches tool names by regular expression, so "match every tool" is ".*".
EVENTS: dict[str, tuple[str | None, int]] = {
    "SessionStart": (None, 10),
    "UserPromptSubmit": (None, 120),
    "PreToolUse": (".*", 10),
    "Stop": (None, 5),
}
GATEWAY_EVENTS: dict[str, tuple[str | None, int]] = {
    "SessionStart": (None, 10),
    "UserPromptSubmit": (None, 30),
    "Stop": (None, 5),
}
PROJECT_GATEWAY_REFUSED = (
    "Codex reads `model_provider` only from the user's ~/.codex/config.toml, not from a project's "
    ".codex/config.toml: install Codex's gateway without --project (`llm-router install --host codex "
    "--gateway`), or leave --gateway out for the project"
)


def mcp_block(*, portable: bool = False) -> str:
    """The TOML table that registers the MCP server."""
    command, args = mcp_command(portable=portable)
    return (
        f"[mcp_servers.{MCP_NAME}]\n"
        f"command = {json.dumps(command)}\n"
        f"args = [{', '.join(json.dumps(a) for a in args)}]\n"
        "startup_timeout_sec = 20\n"
        "tool_timeout_sec = 180\n"
    )


def provider_block(url: str) -> str:
    """The TOML table that makes the gateway a Codex model provider (the Responses API, as Codex requires)."""
    return (
        f"[model_providers.{PROVIDER}]\n"
        'name = "llm-router gateway"\n'
        f"base_url = {json.dumps(url.rstrip('/') + '/v1')}\n"
        'wire_api = "responses"\n'
        f"env_key = {json.dumps(gateway_link.CODEX_ENV_KEY)}\n"
    )


def edits(target: Target, options: InstallOptions = PLAIN) -> list[FileEdit]:
    """config.toml and hooks.json under ~/.codex, or .codex in the project (whose files a team commits: the
    commands there are names on PATH). With --gateway (user only): the provider block and its selection."""
    project = target.project is not None
    folder = (target.project or target.home) / ".codex"
    config = folder / "config.toml"
    gateway = options.gateway is not None and not project
    result = [
        block_edit(
            config, f"MCP server {MCP_NAME!r}", mcp_block(portable=project), ("mcp_servers", MCP_NAME)
        ),
        hooks_edit(
            folder / "hooks.json",
            hook_groups(NAME, GATEWAY_EVENTS if gateway else EVENTS, gateway=gateway, portable=project),
        ),
    ]
    if gateway and options.gateway is not None:
        result += [
            block_edit(
                config,
                f"model provider {PROVIDER!r}",
                provider_block(options.gateway),
                ("model_providers", PROVIDER),
            ),
            top_keys_edit(config, "model_provider (gateway)", {"model_provider": PROVIDER, "model": MODEL}),
        ]
    return result
