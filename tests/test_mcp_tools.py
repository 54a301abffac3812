"""The MCP server's tools, driven in-process by the SDK's own client: listing, routing, errors, knobs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer

from llm_router.mcp.server import CORE, FULL, ROUTING, build_server, schema_tokens, slim_mode, tool_schemas
from llm_router.mcp.session import McpSession

pytestmark = pytest.mark.anyio

ACCEPTANCE_TOOLS = {
    "llm_route",
    "llm_classify",
    "llm_query",
    "llm_code",
    "llm_analyze",
    "llm_research",
    "llm_usage",
    "llm_savings",
    "llm_budget",
    "llm_health",
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def server(slim: str | None = None, **env: str) -> MCPServer:
    """A server for this test's HOME, with extra environment variables."""
    return build_server(McpSession(env=dict(os.environ) | env), slim=slim)


async def call(srv: MCPServer, name: str, arguments: Mapping[str, Any]) -> Any:
    async with Client(srv) as client:
        return await client.call_tool(name, dict(arguments))


def error_text(result: Any) -> str:
    assert result.is_error, result
    return " ".join(c.text for c in result.content)


async def test_default_mode_lists_every_tool() -> None:
    async with Client(server()) as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert names == set(FULL)
    assert names >= ACCEPTANCE_TOOLS


@pytest.mark.parametrize("slim, expected", [("core", CORE), ("routing", ROUTING), ("full", FULL)])
async def test_slim_mode_picks_the_tools(slim: str, expected: tuple[str, ...]) -> None:
    async with Client(server(slim)) as client:
        names = [t.name for t in (await client.list_tools()).tools]
    assert names == list(expected)


async def test_core_mode_schemas_are_a_fraction_of_full() -> None:
    core = schema_tokens(await tool_schemas(server("core")))
    full = schema_tokens(await tool_schemas(server("full")))
    assert core < full / 2


def test_slim_mode_comes_from_the_environment() -> None:
    assert slim_mode({}) == "full"
    assert slim_mode({"LLM_ROUTER_SLIM": "Core"}) == "core"
    with pytest.raises(ValueError, match="LLM_ROUTER_SLIM must be one of"):
        slim_mode({"LLM_ROUTER_SLIM": "tiny"})


async def test_every_tool_has_a_description_typed_arguments_and_an_output_schema() -> None:
    for tool in await tool_schemas(server()):
        assert tool["description"].strip(), tool["name"]
        assert tool["inputSchema"]["type"] == "object", tool["name"]
        assert tool["outputSchema"]["type"] == "object", tool["name"]
        assert "title" not in tool["inputSchema"], tool["name"]


async def test_generation_tools_are_open_world_and_the_rest_read_only() -> None:
    async with Client(server()) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert tools["llm_query"].annotations.open_world_hint is True
    assert tools["llm_query"].annotations.read_only_hint is False
    assert tools["llm_route"].annotations.read_only_hint is True


@pytest.mark.parametrize("prompt", [42, None, ["a list"], {"text": "x"}])
async def test_a_prompt_that_is_not_a_string_is_an_error_result(prompt: Any) -> None:
    result = await call(server(), "llm_route", {"prompt": prompt})
    assert "prompt" in error_text(result)


async def test_a_blank_prompt_is_an_error_result() -> None:
    result = await call(server(), "llm_query", {"prompt": "   "})
    assert "prompt is empty" in error_text(result)


async def test_a_missing_prompt_is_an_error_result() -> None:
    result = await call(server(), "llm_auto", {})
    assert "prompt" in error_text(result)


async def test_an_unknown_model_is_an_error_result_naming_it() -> None:
    result = await call(server(), "llm_query", {"prompt": "hello", "model": "nosuch/model-x"})
    assert "unknown model 'nosuch/model-x'" in error_text(result)


async def test_a_model_whose_provider_is_not_configured_says_how_to_configure_it() -> None:
    result = await call(server(), "llm_query", {"prompt": "hello", "model": "openai/gpt-4o-mini"})
    assert "no provider configured" in error_text(result)
    assert "OPENAI_API_KEY" in error_text(result)


async def test_model_and_decision_id_together_are_an_error_result() -> None:
    result = await call(server(), "llm_query", {"prompt": "hi", "model": "openai/x", "decision_id": "d1"})
    assert error_text(result)


async def test_an_unknown_decision_id_is_an_error_result() -> None:
    result = await call(server(), "llm_query", {"prompt": "hi", "decision_id": "no-such-decision"})
    assert "no-such-decision" in error_text(result)


async def test_providers_lists_configured_ones_first_with_hints_for_the_rest() -> None:
    result = await call(server(OPENAI_API_KEY="sk-test"), "llm_providers", {})
    rows = result.structured_content["providers"]
    assert rows[0]["name"] == "openai"
    assert rows[0]["configured"] is True
    assert rows[0]["how_to_configure"] == ""
    ollama = next(r for r in rows if r["name"] == "ollama")
    assert ollama["configured"] is False
    assert ollama["how_to_configure"] == "set OLLAMA_BASE_URL"


async def test_set_mode_rejects_a_value_outside_its_choices() -> None:
    result = await call(server(), "llm_set_mode", {"profile": "luxury"})
    assert "profile" in error_text(result)
