"""Build the llm-router MCP server with the tools of one slim mode, and list their schemas."""

from __future__ import annotations

import inspect
import io
import json
import logging
import os
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, cast

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp_types import ToolAnnotations
from pydantic import BaseModel, ConfigDict, ValidationError

from llm_router import __version__
from llm_router.mcp.session import McpSession

log = logging.getLogger("llm_router.mcp")

CORE = ("llm_route", "llm_query", "llm_auto", "llm_usage", "llm_set_mode")
ROUTING = CORE + (
    "llm_classify",
    "llm_stream",
    "llm_code",
    "llm_analyze",
    "llm_research",
    "llm_generate",
    "llm_budget",
)
FULL = ROUTING + (
    "llm_savings",
    "llm_health",
    "llm_providers",
    "llm_policy",
    "llm_check_usage",
    "llm_image",
    "llm_video",
    "llm_audio",
    "llm_refresh_claude_usage",
    "llm_orchestrate",
    "llm_pipeline_templates",
    "llm_fs_find",
    "llm_fs_edit_many",
    "llm_fs_analyze",
    "llm_fs_undo",
)
# The tools that send the prompt to a model (the others only read local state or decide).
GENERATES = frozenset(
    {
        "llm_query",
        "llm_auto",
        "llm_stream",
        "llm_code",
        "llm_analyze",
        "llm_research",
        "llm_generate",
        "llm_image",
        "llm_video",
        "llm_audio",
    }
    | {"llm_fs_edit_many", "llm_fs_analyze", "llm_orchestrate"}
)
CHANGES = frozenset({"llm_set_mode", "llm_fs_undo"})  # tools that change state without calling a model
SLIM_MODES: dict[str, tuple[str, ...]] = {"core": CORE, "routing": ROUTING, "full": FULL}

INSTRUCTIONS = (
    "llm-router routes prompts to the cheapest model that can do the job, by the user's YAML policy. "
    "llm_route decides without running; llm_query executes (a chain, a model, or a decision id); "
    "llm_auto decides and executes."
)


def slim_mode(env: Mapping[str, str]) -> str:
    """The slim mode named by LLM_ROUTER_SLIM (default full); a ValueError for an unknown one."""
    mode = (env.get("LLM_ROUTER_SLIM") or "full").strip().lower()
    if mode not in SLIM_MODES:
        raise ValueError(f"LLM_ROUTER_SLIM must be one of {', '.join(SLIM_MODES)}, not {mode!r}")
    return mode


def all_tools(session: McpSession) -> dict[str, Callable[..., Any]]:
    """Every tool, bound to the session, by name."""
    from llm_router.mcp.tools_admin import admin_tools
    from llm_router.mcp.tools_fs import fs_tools
    from llm_router.mcp.tools_media import media_tools
    from llm_router.mcp.tools_pipelines import pipeline_tools
    from llm_router.mcp.tools_route import routing_tools

    tools = routing_tools(session) | admin_tools(session) | media_tools(session)
    return tools | fs_tools(session) | pipeline_tools(session)


def tool_names(slim: str, tiers: Mapping[str, str] | None = None) -> list[str]:
    """The tools of slim mode `slim`: each tool is in the mode it first appears in and every larger one,
    unless the policy's `mcp.tools` names another first mode for it (core | routing | full) or `off`."""
    order = tuple(SLIM_MODES)
    tiers = tiers or {}

    def first(name: str) -> str:
        return tiers.get(name) or next(mode for mode in order if name in SLIM_MODES[mode])

    return [
        name for name in FULL if tiers.get(name) != "off" and order.index(first(name)) <= order.index(slim)
    ]


def policy_tiers(session: McpSession) -> dict[str, str]:
    """The policy's `mcp.tools` (tool -> first slim mode, or off); nothing when the policy cannot be read
    (its tools then report the problem) and names that are not tools are left out with a warning."""
    from llm_router.policy.load import load_policy_partial

    settings = session.settings
    try:
        loaded, _ = load_policy_partial(
            env=settings.env, cwd=settings.cwd, config=settings.config, home=settings.home
        )
    except Exception as exc:  # noqa: BLE001 - an unreadable policy must not stop the server
        log.warning("llm-router: the policy's mcp.tools could not be read: %s", exc)
        return {}
    section = (loaded.data.get("mcp") or {}).get("tools") or {}
    tiers = {str(k): str(v) for k, v in section.items() if k in FULL and v in (*SLIM_MODES, "off")}
    for name in sorted(set(section) - set(tiers)):
        log.warning("llm-router: mcp.tools names %r, which is not a tool of this server", name)
    return tiers


def build_server(session: McpSession | None = None, slim: str | None = None) -> MCPServer:
    """The MCP server with the tools of `slim` (default: LLM_ROUTER_SLIM from the session's environment), as
    the policy's `mcp.tools` adjusts them."""
    session = session or McpSession()
    slim = slim or slim_mode(session.env)
    return RouterServer(session, slim, all_tools(session))


class RouterServer(MCPServer):
    """The server, whose tool list follows the policy's `mcp.tools`. The policy is read when a client first
    lists or calls tools, not when the server is built: starting it never loads the policy engine."""

    def __init__(self, session: McpSession, slim: str, functions: Mapping[str, Callable[..., Any]]):
        self._session, self._slim, self._functions = session, slim, functions
        self._settled = False
        tools = [make_tool(name, functions[name]) for name in tool_names(slim)]
        super().__init__("llm-router", instructions=INSTRUCTIONS, version=__version__, tools=tools)

    def settle(self) -> None:
        """Apply the policy's `mcp.tools` once: add the tools it moves into this mode, drop the others."""
        if self._settled:
            return
        self._settled = True
        tiers = policy_tiers(self._session)
        if not tiers:
            return
        built = {tool.name: tool for tool in self._tool_manager.list_tools()}
        wanted = tool_names(self._slim, tiers)
        # ToolManager can add a function but not a built tool: its table is set in order, as its
        # constructor sets it.
        self._tool_manager._tools = {
            name: built.get(name) or make_tool(name, self._functions[name]) for name in wanted
        }

    async def list_tools(self) -> list[Any]:
        self.settle()
        return await super().list_tools()

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        self.settle()
        return await super().call_tool(name, arguments, context)


class PlainTool(Tool):
    """A tool that refuses arguments it does not declare, and whose argument errors read as one plain line
    naming what it accepts instead of pydantic's report."""

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        try:
            result = await super().run(arguments, context, convert_result)
        except ToolError as exc:
            cause = exc.__cause__
            if not isinstance(cause, ValidationError):
                raise
            raise ToolError(argument_errors(self.name, self.accepted(), cause)) from cause
        return compact_text(result)

    def accepted(self) -> list[str]:
        """The arguments this tool declares, in order."""
        return list(self.parameters.get("properties", {}))


def compact_text(result: Any) -> Any:
    """`result` with the JSON of its text content written without indentation. The SDK renders a tool's
    structured answer as text indented by two spaces, which costs the host's context a third more for nothing
    (the llm_policy summary: 12.0k -> 7.7k characters)."""
    for block in getattr(result, "content", None) or ():
        text = getattr(block, "text", None)
        if (
            getattr(block, "type", None) != "text"
            or not isinstance(text, str)
            or not text.startswith(("{", "["))
        ):
            continue
        try:
            block.text = json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))
        except ValueError:
            continue
    return result


def argument_errors(tool: str, accepted: list[str], error: ValidationError) -> str:
    """One line for every problem with a call's arguments; unknown ones are named with what is accepted."""
    unknown = [str(e["loc"][0]) for e in error.errors() if e["type"] == "extra_forbidden" and e["loc"]]
    problems = [
        f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg'].lower()}"
        + (f" (got {type(e['input']).__name__})" if e["type"].endswith("_type") else "")
        for e in error.errors()
        if e["type"] != "extra_forbidden"
    ]
    if unknown:
        takes = f"{tool} accepts {', '.join(accepted)}" if accepted else f"{tool} takes no arguments"
        names = ", ".join(repr(name) for name in unknown)
        problems.append(f"unknown argument{'s' * (len(unknown) > 1)} {names} ({takes})")
    return "invalid arguments: " + "; ".join(problems)


def make_tool(name: str, fn: Callable[..., Any]) -> Tool:
    """A tool that refuses unknown arguments (its input schema says `additionalProperties: false`), whose
    advertised schemas carry no generated titles (they cost tokens and say nothing)."""
    read_only = name not in GENERATES and name not in CHANGES
    tool = PlainTool.from_function(
        fn,
        name=name,
        description=inspect.cleandoc(fn.__doc__ or ""),
        annotations=ToolAnnotations(read_only_hint=read_only, open_world_hint=not read_only),
    )
    strict = forbid_extra(tool.fn_metadata.arg_model)
    tool.fn_metadata.arg_model = strict
    tool.parameters = strict.model_json_schema(by_alias=True)
    strip_titles(tool.parameters)
    strip_titles(tool.fn_metadata.output_schema)
    return tool


def forbid_extra(model: type[BaseModel]) -> Any:
    """`model` refusing fields it does not declare (the SDK's argument models ignore them)."""
    config = ConfigDict(**{**model.model_config, "extra": "forbid"})  # type: ignore[typeddict-item]
    return type(model.__name__, (model,), {"model_config": config, "__module__": model.__module__})


def strip_titles(schema: Any) -> None:
    """Remove the `title` pydantic puts on every schema and property, in place."""
    if isinstance(schema, dict):
        if isinstance(schema.get("title"), str):
            del schema["title"]
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                for prop in value.values():
                    strip_titles(prop)
            elif key != "properties":
                strip_titles(value)
    elif isinstance(schema, list):
        for item in schema:
            strip_titles(item)


async def tool_schemas(server: MCPServer) -> list[dict[str, Any]]:
    """The tools as `tools/list` advertises them."""
    return [t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in await server.list_tools()]


def schema_tokens(tools: list[dict[str, Any]]) -> int:
    """The size of the tool list in tokens, estimated as compact JSON characters / 4."""
    return len(json.dumps(tools, separators=(",", ":"))) // 4


class _WatchedLines:
    """The lines of stdin, setting `closed` when the client closes it."""

    def __init__(self, lines: Any, closed: anyio.Event):
        self.lines = lines
        self.closed = closed

    async def __aiter__(self) -> AsyncIterator[str]:
        async for line in self.lines:
            yield line
        self.closed.set()


async def serve_stdio(server: MCPServer, grace_s: float = 2.0) -> None:
    """Serve over stdin/stdout until stdin closes; calls still running then get `grace_s` to answer and are
    cancelled, and a client that closed our stdout is not an error (the MCP stdio shutdown sequence)."""
    from mcp.server.stdio import stdio_server

    # MCPServer.run_stdio_async has no hook for the end of stdin, so this does what it does, plus the watch.
    lowlevel = server._lowlevel_server
    closed = anyio.Event()
    text = io.TextIOWrapper(os.fdopen(os.dup(0), "rb"), encoding="utf-8", errors="replace")
    stdin = _WatchedLines(anyio.wrap_file(text), closed)
    try:
        async with anyio.create_task_group() as tg:

            async def cancel_after_stdin_closes() -> None:
                await closed.wait()
                await anyio.sleep(grace_s)
                tg.cancel_scope.cancel()

            tg.start_soon(cancel_after_stdin_closes)
            async with stdio_server(stdin=cast(Any, stdin)) as (read_stream, write_stream):
                await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())
            tg.cancel_scope.cancel()
    except* (BrokenPipeError, ConnectionResetError):
        log.info("the client closed the connection")
    finally:
        text.close()
