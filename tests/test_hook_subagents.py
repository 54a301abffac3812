"""Claude Code's subagent tool (Task, or Agent in newer builds): the PreToolUse hook puts the subagent on the
Claude model its prompt's tier maps to, in the shape Claude Code documents, and otherwise leaves it alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_hook import FIXTURES, accepted, hook, payload

from llm_router.cli import cli

TRIVIAL = "what is 2+2?"
REASON = "<any text: shown in Claude Code's debug log>"


def subagent(prompt: str = TRIVIAL, tool: str = "Task", **tool_input: Any) -> dict[str, Any] | None:
    """The hook's answer to the subagent tool, asserted to be what Claude Code accepts."""
    stdin = payload("claude-code", f"PreToolUse-{tool}")
    stdin["tool_input"] = {**stdin["tool_input"], "prompt": prompt, **tool_input}
    return accepted("claude-code", "PreToolUse", hook("claude-code", stdin))


def policy(home: Path, text: str) -> None:
    (home / ".llm-router").mkdir(exist_ok=True)
    (home / ".llm-router" / "routing.yaml").write_text(text)


def model_of(output: dict[str, Any] | None) -> str | None:
    return None if output is None else output["hookSpecificOutput"]["updatedInput"].get("model")


def test_a_trivial_subagent_prompt_runs_on_haiku_in_the_documented_shape() -> None:
    output = subagent()
    assert output is not None and output["hookSpecificOutput"]["permissionDecisionReason"].startswith(
        "llm-router"
    )
    output["hookSpecificOutput"]["permissionDecisionReason"] = REASON
    assert output == json.loads((FIXTURES / "claude-code" / "PreToolUse-Task.output.json").read_text())


def test_the_agent_tool_of_newer_builds_gets_the_same_answer() -> None:
    assert model_of(subagent(tool="Agent")) == "haiku"


def test_a_hard_subagent_prompt_runs_on_a_stronger_model() -> None:
    prompt = (
        "Design a distributed consensus protocol for our multi-region database, evaluate the trade-offs "
        "between Raft and Paxos for our latency budget, and prove its safety."
    )
    assert model_of(subagent(prompt)) in ("sonnet", "opus")


def test_a_subagent_prompt_about_the_workspace_is_still_routed() -> None:
    # Subagents have the workspace and tools, so the rule that keeps workspace prompts with the host's agent
    # must not leave every subagent on the session's model.
    prompt = "Find every file in the repository that imports parse_config and list their paths."
    assert model_of(subagent(prompt)) in ("haiku", "sonnet", "opus")


def test_a_model_the_caller_named_is_respected() -> None:
    assert subagent(model="opus") is None


def test_an_agent_file_that_pins_a_model_is_respected() -> None:
    agents = Path(".claude/agents")
    agents.mkdir(parents=True)
    (agents / "reviewer.md").write_text("---\nname: reviewer\nmodel: opus\n---\nReview the change.\n")
    assert subagent(subagent_type="reviewer") is None


def test_an_agent_file_that_inherits_its_model_is_routed(home: Path) -> None:
    agents = home / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "helper.md").write_text("---\nname: helper\nmodel: inherit\n---\nHelp.\n")
    assert model_of(subagent(subagent_type="helper")) == "haiku"


def test_the_tier_to_model_map_comes_from_the_policy(home: Path) -> None:
    policy(home, "version: 1\nhosts:\n  claude-code:\n    subagent_models: {simple: sonnet}\n")
    assert model_of(subagent()) == "sonnet"


def test_inherit_leaves_a_tier_on_the_sessions_model(home: Path) -> None:
    policy(home, "version: 1\nhosts:\n  claude-code:\n    subagent_models: {simple: inherit}\n")
    assert subagent() is None


def test_enforce_off_leaves_subagents_alone(home: Path) -> None:
    policy(home, "version: 1\nenforce: 'off'\n")
    assert subagent() is None


def test_a_prompt_for_claude_by_prefix_leaves_the_subagent_alone() -> None:
    assert subagent("claude: what is 2+2?") is None


def test_a_broken_policy_lets_the_subagent_run_as_asked(home: Path) -> None:
    policy(home, "version: 1\nenforce: sometimes\n")
    stdin = payload("claude-code", "PreToolUse-Task")
    run = hook("claude-code", stdin)
    assert (run.code, run.out) == (0, "")
    assert "internal error, prompt let through" in run.err


def test_other_tools_do_not_load_the_policy() -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "llm_router.hosts.hook", "claude-code"],
        input=json.dumps(payload("claude-code", "PreToolUse-Read")).encode(),
        capture_output=True,
        check=True,
    )
    modules = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.decode().splitlines()}
    assert not {
        m for m in modules if m.startswith(("llm_router.policy", "llm_router.router", "llm_router.hosts.sub"))
    }


def test_an_unknown_tier_in_the_map_is_a_located_policy_error(home: Path) -> None:
    policy(home, "version: 1\nhosts:\n  claude-code:\n    subagent_models:\n      trivial: haiku\n")
    result = CliRunner().invoke(cli, ["policy", "validate"])
    assert result.exit_code == 3
    assert "routing.yaml:5" in result.output and "no tier or chain named 'trivial'" in result.output


@pytest.mark.parametrize("model", ["gpt-4o", "claude-opus-4-5"])
def test_only_claude_codes_model_aliases_are_accepted(home: Path, model: str) -> None:
    policy(home, f"version: 1\nhosts:\n  claude-code:\n    subagent_models: {{simple: {model}}}\n")
    result = CliRunner().invoke(cli, ["policy", "validate"])
    assert result.exit_code == 3 and "subagent_models" in result.output
