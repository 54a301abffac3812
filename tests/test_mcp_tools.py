"""The MCP server's tools, driven in-process by the SDK's own client: listing, routing, errors, knobs."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer

from llm_router.mcp.server import CORE, FULL, ROUTING, build_server, schema_tokens, slim_mode, tool_schemas
from llm_router.mcp.session import McpSession
from llm_router.testing import FakeProvider

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
    assert error_text(result).startswith("invalid arguments: prompt: input should be a valid string (got ")


async def test_a_blank_prompt_is_an_error_result() -> None:
    result = await call(server(), "llm_query", {"prompt": "   "})
    assert "prompt is empty" in error_text(result)


async def test_a_missing_prompt_is_an_error_result() -> None:
    result = await call(server(), "llm_auto", {})
    assert error_text(result) == "invalid arguments: prompt: field required"


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


async def test_route_returns_the_decision_with_chain_tier_and_id() -> None:
    srv = server(GEMINI_API_KEY="test-key")
    result = await call(srv, "llm_route", {"prompt": "What is the capital of Peru?"})
    route = result.structured_content
    assert not result.is_error, result.content
    assert route["tier"] and route["chain"] and route["id"]
    assert set(route["usable"]) <= set(route["chain"])


async def test_classify_returns_features_only() -> None:
    result = await call(server(), "llm_classify", {"prompt": "Refactor this class into two smaller ones"})
    assert not result.is_error, result.content
    features = {
        "tokens",
        "task",
        "complexity",
        "difficulty",
        "confidence",
        "needs_workspace",
        "needs_tools",
        "signals",
    }
    assert set(result.structured_content) == features


async def test_set_mode_changes_the_next_decisions_of_this_session_only() -> None:
    prompt = "What is the capital of Peru?"
    srv = server(GEMINI_API_KEY="test-key")
    async with Client(srv) as client:
        before = (await client.call_tool("llm_route", {"prompt": prompt})).structured_content
        mode = await client.call_tool("llm_set_mode", {"profile": "premium", "policy": "conservative"})
        after = (await client.call_tool("llm_route", {"prompt": prompt})).structured_content
    other = await call(server(GEMINI_API_KEY="test-key"), "llm_route", {"prompt": prompt})
    other_session = other.structured_content
    assert mode.structured_content["overrides"] == {"profile": "premium", "policy": "conservative"}
    assert mode.structured_content["effective"]["profile"] == "premium"
    assert (before["profile"], before["policy"]) == ("balanced", "balanced")
    assert (after["profile"], after["policy"]) == ("premium", "conservative")
    assert after["chain"] != before["chain"]
    assert other_session["chain"] == before["chain"]


async def test_set_mode_reset_returns_to_the_policy_values() -> None:
    async with Client(server()) as client:
        await client.call_tool("llm_set_mode", {"profile": "budget"})
        reset = await client.call_tool("llm_set_mode", {"reset": True})
    assert reset.structured_content["overrides"] == {}
    assert reset.structured_content["effective"]["profile"] == "balanced"


async def test_set_mode_rejects_a_policy_preset_the_policy_does_not_define() -> None:
    result = await call(server(), "llm_set_mode", {"policy": "reckless"})
    assert "unknown policy 'reckless'" in error_text(result)


async def test_policy_validate_reports_the_layered_policy_valid() -> None:
    result = await call(server(), "llm_policy", {"action": "validate"})
    assert result.structured_content == {"action": "validate", "valid": True, "problems": []}


async def test_policy_validate_reports_every_problem_of_a_broken_file() -> None:
    broken = Path.cwd() / "broken.yaml"
    broken.write_text("version: 1\nprofile: luxurious\n")
    result = await call(server(), "llm_policy", {"action": "validate", "path": str(broken)})
    assert result.structured_content["valid"] is False
    assert any("broken.yaml" in p for p in result.structured_content["problems"])


async def test_policy_show_returns_the_merged_policy_with_provenance() -> None:
    result = await call(server(), "llm_policy", {"action": "show"})
    assert result.structured_content["policy"]["version"] == 1
    assert result.structured_content["provenance"]


async def test_policy_explain_returns_the_decision_with_its_rule_trace() -> None:
    result = await call(server(), "llm_policy", {"action": "explain", "prompt": "claude: hello"})
    decision = result.structured_content["decision"]
    assert decision["rule"] == "explicit-claude"
    assert decision["trace"][0]["matched"] is True


async def test_usage_budget_and_subscription_window_read_the_local_store() -> None:
    srv = server()
    async with Client(srv) as client:
        usage = await client.call_tool("llm_usage", {"since": "today"})
        budget = await client.call_tool("llm_budget", {})
        window = await client.call_tool("llm_check_usage", {})
    assert usage.structured_content["report"]["calls"] == 0
    assert budget.structured_content["report"] == {"budgets": []}
    assert window.structured_content["report"]["active"] is False


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    """A fake OpenAI/Ollama/Anthropic server on 127.0.0.1."""
    with FakeProvider() as provider:
        yield provider


async def test_query_with_a_model_returns_that_models_answer(fake: FakeProvider) -> None:
    fake.script("gpt-4o-mini", "ok", answer="Lima.")
    srv = server(**fake.env())
    result = await call(srv, "llm_query", {"prompt": "Capital of Peru?", "model": "openai/gpt-4o-mini"})
    assert not result.is_error, result.content
    assert result.structured_content["text"] == "Lima."
    assert result.structured_content["model"] == "openai/gpt-4o-mini"
    assert result.structured_content["attempts"] == 1


async def test_auto_decides_and_executes_through_the_chain(fake: FakeProvider) -> None:
    result = await call(server(**fake.env()), "llm_auto", {"prompt": "What is the capital of Peru?"})
    answer = result.structured_content
    assert not result.is_error, result.content
    assert answer["text"] == fake.answer_for(answer["model"])
    assert answer["tier"] and answer["decision_id"]


async def test_query_by_decision_id_carries_out_that_decision_without_deciding_again(
    fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    routed = await call(server(**fake.env()), "llm_route", {"prompt": "What is the capital of Peru?"})
    decision = routed.structured_content

    def no_second_decision(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("llm_query re-decided a stored decision")

    monkeypatch.setattr("llm_router.router.decide", no_second_decision)
    # Another server process (as when a hook decided): the decision comes from the store by id.
    result = await call(
        server(**fake.env()),
        "llm_query",
        {"prompt": "What is the capital of Peru?", "decision_id": decision["id"]},
    )
    assert not result.is_error, result.content
    assert result.structured_content["decision_id"] == decision["id"]
    assert result.structured_content["model"] == decision["usable"][0]


async def test_stream_sends_the_text_as_progress_notifications(fake: FakeProvider) -> None:
    fake.script("gpt-4o-mini", "ok", answer="one two three four five six")
    chunks: list[str] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        chunks.append(message or "")

    async with Client(server(**fake.env())) as client:
        result = await client.call_tool(
            "llm_stream",
            {"prompt": "Count to six", "model": "openai/gpt-4o-mini"},
            progress_callback=progress,
        )
    assert not result.is_error, result.content
    assert result.structured_content["text"] == "one two three four five six"
    assert "".join(chunks) == "one two three four five six"


async def test_a_prompt_the_policy_leaves_to_the_host_is_not_executed(fake: FakeProvider) -> None:
    result = await call(server(**fake.env()), "llm_auto", {"prompt": "claude: explain this stack trace"})
    assert "leaves this prompt to the host's own model" in error_text(result)
    assert fake.seen == []


async def test_no_configured_provider_for_the_chain_is_an_error_result() -> None:
    result = await call(server(), "llm_auto", {"prompt": "What is the capital of Peru?"})
    assert "not configured" in error_text(result)


async def test_an_exhausted_budget_is_an_error_result(fake: FakeProvider, tmp_path: Any) -> None:
    config = tmp_path / "budget.yaml"
    config.write_text(
        "version: 1\nbudgets:\n  - {id: openai-month, provider: openai, period: month, limit_usd: 0}\n"
    )
    session = McpSession(
        env=dict(os.environ) | {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.openai_base},
        config=config,
    )
    result = await call(build_server(session), "llm_auto", {"prompt": "What is the capital of Peru?"})
    assert "budget" in error_text(result)
    assert fake.seen == []


async def test_research_prefers_a_configured_web_grounded_model(fake: FakeProvider) -> None:
    env = fake.env() | {"PERPLEXITY_API_KEY": "pplx-test", "PERPLEXITY_API_BASE": fake.openai_base}
    result = await call(
        server(**env), "llm_research", {"prompt": "What changed in the latest Python release?"}
    )
    assert not result.is_error, result.content
    assert result.structured_content["model"].startswith("perplexity/")


async def test_health_checks_each_configured_provider_without_spending_tokens(fake: FakeProvider) -> None:
    result = await call(server(OLLAMA_BASE_URL=fake.url), "llm_health", {})
    report = result.structured_content["report"]
    assert not result.is_error, result.content
    assert [(c["provider"], c["ok"]) for c in report["providers"]] == [("ollama", True)]
    assert "openai" in report["not_configured"]
    assert fake.seen == []


async def test_savings_compare_recorded_calls_with_the_one_baseline_model(fake: FakeProvider) -> None:
    srv = server(**fake.env())
    async with Client(srv) as client:
        await client.call_tool("llm_query", {"prompt": "Capital of Peru?", "model": "openai/gpt-4o-mini"})
        savings = await client.call_tool("llm_savings", {"since": "all"})
    report = savings.structured_content["report"]
    assert not savings.is_error, savings.content
    assert report["calls"] == 1
    assert report["baseline_model"]
    assert report["baseline_cost_usd"] > report["cost_usd"]


async def test_usage_counts_the_calls_made_through_the_server(fake: FakeProvider) -> None:
    async with Client(server(**fake.env())) as client:
        await client.call_tool("llm_query", {"prompt": "Capital of Peru?", "model": "openai/gpt-4o-mini"})
        usage = await client.call_tool("llm_usage", {"since": "today"})
    report = usage.structured_content["report"]
    assert report["calls"] == 1
    assert [m["model"] for m in report["models"]] == ["openai/gpt-4o-mini"]
