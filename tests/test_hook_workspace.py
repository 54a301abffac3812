"""Prompts that need the workspace stay with the host's agent, through the real hook entry, the policy, MCP.

A routed chain sees only the prompt's text, so the built-in rules never point a coding tool's model at
`llm_query` for "fix the failing test in auth.py": the hook prints nothing (the agent, which can open
auth.py, does it), holds no tool, and in zero_claude mode says how to hand the prompt to the agent.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from test_hook import PROVIDER, accepted, hook, payload, prompt, tool  # the real hook entry, as hosts run it

from llm_router import router
from llm_router.decision import Request

WORKSPACE_PROMPT = "fix the failing test in auth.py"
TEXT_PROMPT = "write a python function that reverses a string"  # the same kind of work, all in the prompt

Decide = Callable[..., object]


@pytest.fixture
def decide(tmp_path: Path) -> Callable[..., object]:
    """The built-in policy's decision for a prompt from a host, with OpenAI configured."""

    def _decide(text: str, host: str, **env: str) -> object:
        settings = router.Settings(env={**os.environ, **PROVIDER, **env}, cwd=tmp_path)
        return router.decide(Request(text, host=host), settings=settings)

    return _decide


@pytest.mark.parametrize("host", ["claude-code", "codex"])
def test_the_prompt_hook_leaves_a_fix_in_a_named_file_to_the_agent(host: str) -> None:
    run = prompt(host=host, text=WORKSPACE_PROMPT, **PROVIDER)
    assert accepted(host, "UserPromptSubmit", run) is None


def test_the_same_hook_points_a_prompt_that_needs_nothing_else_at_llm_query() -> None:
    output = accepted("claude-code", "UserPromptSubmit", prompt(text=TEXT_PROMPT, **PROVIDER))
    assert output is not None and "llm_query" in output["hookSpecificOutput"]["additionalContext"]


def test_tools_are_not_held_after_a_prompt_that_needs_the_workspace() -> None:
    prompt(text=WORKSPACE_PROMPT, LLM_ROUTER_ENFORCE="hard", **PROVIDER)
    assert tool("Edit", LLM_ROUTER_ENFORCE="hard", **PROVIDER).out == ""


def test_gemini_cli_before_agent_adds_no_routing_context() -> None:
    run = hook("gemini-cli", payload("gemini-cli", "BeforeAgent", prompt=WORKSPACE_PROMPT), **PROVIDER)
    output = accepted("gemini-cli", "BeforeAgent", run)
    assert output is None or "llm_query" not in str(output)


def test_zero_claude_blocks_it_with_how_to_hand_it_to_the_agent_instead_of_answering_blindly() -> None:
    run = prompt(text=WORKSPACE_PROMPT, LLM_ROUTER_MODE="zero_claude", **PROVIDER)
    output = accepted("claude-code", "UserPromptSubmit", run)
    assert output is not None and output["decision"] == "block"
    assert "workspace" in output["reason"] and "claude:" in output["reason"]


@pytest.mark.parametrize("host", ["claude-code", "codex", "gemini-cli", "vscode", "cursor", "mcp"])
def test_in_a_host_with_its_own_agent_the_decision_is_passthrough(decide: Decide, host: str) -> None:
    d = decide(WORKSPACE_PROMPT, host)
    assert (d.action, d.rule, d.needs_workspace) == ("passthrough", "workspace-in-host", True)  # type: ignore[attr-defined]


@pytest.mark.parametrize("host", ["gateway", "cli"])
def test_the_gateway_and_the_cli_route_it(decide: Decide, host: str) -> None:
    # the gateway forwards the whole request, tools included; the CLI has no agent to leave it to
    d = decide(WORKSPACE_PROMPT, host)
    assert (d.action, d.rule) == ("route", "by-difficulty")  # type: ignore[attr-defined]


def test_a_prompt_that_needs_nothing_beyond_its_text_is_routed_from_a_host(decide: Decide) -> None:
    d = decide(TEXT_PROMPT, "claude-code")
    assert (d.action, d.needs_workspace, d.needs_tools) == ("route", False, False)  # type: ignore[attr-defined]


def test_needs_tools_alone_also_stays_with_the_agent(decide: Decide) -> None:
    d = decide("fetch https://example.com/changelog and summarise what changed", "claude-code")
    assert (d.needs_workspace, d.needs_tools) == (False, True)  # type: ignore[attr-defined]
    assert (d.action, d.rule) == ("passthrough", "workspace-in-host")  # type: ignore[attr-defined]


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_mcp_code_tool_refuses_it_and_says_why(anyio_backend: str) -> None:
    from test_mcp_tools import call, server

    result = await call(server(**PROVIDER), "llm_code", {"prompt": WORKSPACE_PROMPT})
    assert result.is_error
    assert "workspace-in-host" in str(result.content) and "name a model" in str(result.content)
