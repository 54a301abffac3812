"""`llm-router mcp`: serve the router as MCP tools over stdio or streamable HTTP."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import click

from llm_router.cli.common import CONFIG_OPTION


@click.command()
@click.option(
    "--transport",
    type=click.Choice(["stdio", "streamable-http"]),
    default="stdio",
    show_default=True,
    help="stdio for hosts that launch the server; streamable-http for clients that connect over HTTP.",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="HTTP port.")
@click.option("--host", "bind", default="127.0.0.1", show_default=True, help="HTTP address to listen on.")
@CONFIG_OPTION
@click.option(
    "--list-tools",
    is_flag=True,
    help="Print the tools of each slim mode and their schema size in tokens (JSON chars / 4), then exit.",
)
def mcp(transport: str, port: int, bind: str, config: Path | None, list_tools: bool) -> None:
    """Serve the router as MCP tools. LLM_ROUTER_SLIM=core|routing|full (default full) picks the tools.

    Logs go to stderr; stdout carries only the protocol. The server exits when stdin closes.
    """
    import anyio

    from llm_router.mcp.server import build_server, serve_stdio, slim_mode
    from llm_router.mcp.session import McpSession

    if list_tools:
        _print_tool_sizes()
        return
    try:
        slim_mode(os.environ)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    server = build_server(McpSession(env=dict(os.environ), config=config))
    try:
        if transport == "stdio":
            anyio.run(serve_stdio, server)
        else:
            server.run("streamable-http", host=bind, port=port)
    except KeyboardInterrupt:
        pass
    _exit_now_if_calls_linger()


def _print_tool_sizes() -> None:
    """One line per slim mode: its tools and the size of their schemas."""
    import anyio

    from llm_router.cli.common import emit_json
    from llm_router.mcp.server import SLIM_MODES, build_server, schema_tokens, tool_schemas
    from llm_router.mcp.session import McpSession

    out = {}
    for mode in SLIM_MODES:
        tools = anyio.run(tool_schemas, build_server(McpSession(env=dict(os.environ)), slim=mode))
        names = [t["name"] for t in tools]
        out[mode] = {
            "tools": names,
            "count": len(tools),
            "schema_tokens": schema_tokens(tools),
            "tool_tokens": {t["name"]: schema_tokens([t]) for t in tools},
        }
    emit_json(out)


def _exit_now_if_calls_linger() -> None:
    """A model call abandoned when the client went away must not keep the process alive after it."""
    if any(t.is_alive() and not t.daemon and t is not threading.main_thread() for t in threading.enumerate()):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
