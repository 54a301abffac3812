"""MCP tool arguments: unknown ones and bad values are refused in one line, names agree with the CLI's
options, and times come back as ISO 8601."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import click
import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer

from llm_router.cli import cli
from llm_router.decision import Decision
from llm_router.mcp.server import FULL, build_server, make_tool, tool_schemas
from llm_router.mcp.session import McpSession
from llm_router.store import db_path, open_db, save_decision

pytestmark = pytest.mark.anyio

PROMPTED = {"llm_route", "llm_classify", "llm_auto", "llm_stream", "llm_query"} | {
    "llm_code",
    "llm_analyze",
    "llm_research",
    "llm_generate",
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def server() -> MCPServer:
    return build_server(McpSession(env=dict(os.environ)))


async def call(name: str, arguments: Mapping[str, Any], srv: MCPServer | None = None) -> Any:
    async with Client(srv or server()) as client:
        return await client.call_tool(name, dict(arguments))


def error_text(result: Any) -> str:
    assert result.is_error, result
    return " ".join(c.text for c in result.content)


async def test_every_tool_schema_refuses_arguments_it_does_not_declare() -> None:
    for tool in await tool_schemas(server()):
        assert tool["inputSchema"]["additionalProperties"] is False, tool["name"]


@pytest.mark.parametrize("name", FULL)
async def test_an_unknown_argument_is_an_error_naming_the_accepted_ones(name: str) -> None:
    schema = next(t for t in await tool_schemas(server()) if t["name"] == name)["inputSchema"]
    accepted = list(schema["properties"])
    arguments = {"prompt": "What is 2+2?"} if "prompt" in accepted else {}
    text = error_text(await call(name, arguments | {"colour": "blue"}))
    assert "unknown argument 'colour'" in text
    assert (f"{name} accepts {', '.join(accepted)}" if accepted else f"{name} takes no arguments") in text
    assert "\n" not in text


@pytest.mark.parametrize(
    ("name", "arguments", "accepted"),
    [
        ("llm_usage", {"period": "day"}, "llm_usage accepts since"),
        ("llm_health", {"timeout_s": 1}, "llm_health accepts timeout"),
        ("llm_policy", {"sections": "rules"}, "llm_policy accepts action, prompt, path, section"),
    ],
)
async def test_the_old_or_misspelt_names_are_refused(
    name: str, arguments: dict[str, Any], accepted: str
) -> None:
    assert accepted in error_text(await call(name, arguments))


async def test_a_tool_built_later_refuses_unknown_arguments_too() -> None:
    async def llm_echo(text: str) -> dict[str, str]:
        """Echo the text."""
        return {"text": text}

    srv = MCPServer("t", tools=[make_tool("llm_echo", llm_echo)])
    result = await call("llm_echo", {"text": "hi", "loud": True}, srv)
    assert "unknown argument 'loud' (llm_echo accepts text)" in error_text(result)


async def test_a_negative_timeout_is_refused() -> None:
    text = error_text(await call("llm_health", {"timeout": -1}))
    assert text == "invalid arguments: timeout: input should be greater than 0"


async def test_a_since_that_is_not_a_time_is_refused_naming_the_forms() -> None:
    text = error_text(await call("llm_usage", {"since": "yesterday"}))
    assert "since: 'yesterday' is not a time" in text and "7d, 2w, today, week, month, all" in text


@pytest.mark.parametrize("tool", ["llm_usage", "llm_savings"])
async def test_report_tools_take_since_in_the_forms_the_cli_takes(tool: str) -> None:
    for since in ("30m", "7d", "today", "week", "month", "all", "2026-05-01"):
        result = await call(tool, {"since": since})
        assert not result.is_error, (since, result.content)


@pytest.mark.parametrize(
    ("tool", "command"),
    [("llm_usage", "usage"), ("llm_savings", "savings"), ("llm_health", "health")],
)
async def test_tool_arguments_have_the_names_of_the_cli_options(tool: str, command: str) -> None:
    schema = next(t for t in await tool_schemas(server()) if t["name"] == tool)["inputSchema"]
    cmd = cli.get_command(click.Context(cli), command)
    assert cmd is not None
    options = {option for param in cmd.params for option in param.opts}
    assert {f"--{name}" for name in schema["properties"]} <= options


async def test_usage_reports_its_start_as_iso_8601() -> None:
    report = (await call("llm_usage", {"since": "today"})).structured_content["report"]
    start = datetime.fromisoformat(report["since"])
    assert start.tzinfo is not None and (start.hour, start.minute) == (0, 0)


async def test_the_subscription_window_gives_its_times_as_iso_8601(decision: Decision) -> None:
    opened = time.time() - 600
    save_decision(open_db(db_path()), decision, now=opened)
    window = (await call("llm_check_usage", {})).structured_content["report"]
    assert window["active"] is True
    hour = int(opened) - int(opened) % 3600  # a window opens at the start of its first message's hour
    assert datetime.fromisoformat(window["started_at"]).timestamp() == hour
    resets = datetime.fromisoformat(window["resets_at"])
    assert resets.timestamp() == hour + 5 * 3600 and resets.tzinfo is not None


@pytest.fixture
def decision() -> Decision:
    """A decision Claude Code let through (it opens a subscription window)."""
    from llm_router import router
    from llm_router.decision import Request

    made = router.decide(Request(prompt="claude: hello", host="claude-code"), settings=router.Settings())
    return made._replace(action="passthrough")


@pytest.mark.parametrize("name", sorted(PROMPTED))
@pytest.mark.parametrize("prompt", ["", "  \n"])
async def test_an_empty_prompt_is_an_error_for_every_tool_that_takes_one(name: str, prompt: str) -> None:
    assert "prompt is empty" in error_text(await call(name, {"prompt": prompt}))


async def test_an_empty_prompt_to_explain_is_an_error() -> None:
    assert "prompt is empty" in error_text(await call("llm_policy", {"action": "explain", "prompt": ""}))
