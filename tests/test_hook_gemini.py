"""Gemini CLI hooks: BeforeAgent adds context, BeforeModel routes each model call; stdout is JSON alone."""

from __future__ import annotations

import json
from typing import Any

from test_hook import PROVIDER, accepted, hook, payload

from llm_router.hosts.gemini_model import last_user_text, model_for

HOST = "gemini-cli"


def before_agent(text: str = "what is 2+2?", **env: str) -> dict[str, Any] | None:
    return accepted(HOST, "BeforeAgent", hook(HOST, payload(HOST, "BeforeAgent", prompt=text), **env))


def before_model(
    text: str = "what is 2+2?", model: str = "gemini-2.5-pro", **env: str
) -> dict[str, Any] | None:
    data = payload(HOST, "BeforeModel")
    data["llm_request"]["model"] = model
    data["llm_request"]["messages"][-1]["content"] = text
    run = hook(HOST, data, **env)
    if run.out:
        assert run.out.count("\n") == 1 and json.loads(run.out) is not None  # the JSON object alone
    return accepted(HOST, "BeforeModel", run)


def test_before_model_moves_a_trivial_prompt_off_gemini_pro() -> None:
    before_agent()
    output = before_model()
    assert output is not None
    request = output["hookSpecificOutput"]["llm_request"]
    assert request["model"] == "gemini-2.5-flash-lite"
    assert request["messages"][-1]["content"] == "what is 2+2?"  # the rest of the request is kept


def test_before_model_decides_on_its_own_when_before_agent_did_not_run() -> None:
    output = before_model()
    assert output is not None and output["hookSpecificOutput"]["llm_request"]["model"] != "gemini-2.5-pro"


def test_before_model_leaves_the_call_alone_when_the_model_already_fits() -> None:
    before_agent()
    assert before_model(model="gemini-2.5-flash-lite") is None


def test_before_model_does_nothing_with_enforcement_off() -> None:
    before_agent(LLM_ROUTER_ENFORCE="off")
    assert before_model(LLM_ROUTER_ENFORCE="off") is None


def test_before_agent_adds_context_pointing_at_the_gemini_tool_name() -> None:
    output = before_agent(**PROVIDER)
    assert output is not None
    assert "mcp_llmrouter_llm_query" in output["hookSpecificOutput"]["additionalContext"]


def test_before_agent_without_a_provider_adds_nothing() -> None:
    assert before_agent() is None


def test_session_start_and_end_are_valid_gemini_output() -> None:
    start = accepted(HOST, "SessionStart", hook(HOST, payload(HOST, "SessionStart")))
    assert start is not None and start["systemMessage"].startswith("llm-router:")
    before_agent(**PROVIDER)
    end = accepted(HOST, "SessionEnd", hook(HOST, payload(HOST, "SessionEnd")))
    assert end is not None and "1 prompts" in end["systemMessage"]


def test_model_for_prefers_the_chains_gemini_model_then_the_tier_default() -> None:
    assert (
        model_for({"tier": "moderate", "chain": ["openai/gpt-5", "gemini/gemini-2.5-flash"]})
        == "gemini-2.5-flash"
    )
    assert model_for({"tier": "complex", "chain": ["openai/o3"]}) == "gemini-2.5-pro"
    assert model_for({"tier": "custom", "chain": []}) is None


def test_last_user_text_reads_strings_and_parts() -> None:
    assert (
        last_user_text({"messages": [{"role": "user", "content": "a"}, {"role": "model", "content": "b"}]})
        == "a"
    )
    assert last_user_text({"messages": [{"role": "user", "parts": [{"text": "x"}, {"text": "y"}]}]}) == "xy"
    assert last_user_text({}) == ""
