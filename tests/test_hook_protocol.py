"""Rendering outcomes in each host's words, the rules each host holds output to, and the session state."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from llm_router.cli import cli
from llm_router.hosts import session
from llm_router.hosts.protocol import Outcome, problems, render


def test_a_block_is_decision_block_with_a_reason_for_claude_and_codex() -> None:
    for host in ("claude-code", "codex"):
        output = render(host, "UserPromptSubmit", Outcome(block="the answer"))
        assert output == {"decision": "block", "reason": "the answer"}
        assert problems(host, "UserPromptSubmit", output) == []


def test_gemini_blocks_with_deny() -> None:
    assert render("gemini-cli", "BeforeAgent", Outcome(block="no")) == {"decision": "deny", "reason": "no"}


def test_context_is_cut_below_claude_codes_limit() -> None:
    output = render("claude-code", "UserPromptSubmit", Outcome(context="x" * 20_000))
    assert output is not None and len(output["hookSpecificOutput"]["additionalContext"]) <= 10_000
    assert problems("claude-code", "UserPromptSubmit", output) == []


def test_codex_never_gets_a_system_message() -> None:
    output = render("codex", "SessionStart", Outcome(context="status", notice="status"))
    assert output == {"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": "status"}}


def test_nothing_to_say_prints_nothing() -> None:
    assert render("claude-code", "PreToolUse", Outcome()) is None
    assert render("claude-code", "PreToolUse", None) is None


@pytest.mark.parametrize(
    ("output", "complaint"),
    [
        ({"decision": "approve"}, "decision must be one of"),
        ({"decision": "block", "reason": ""}, "non-empty reason"),
        ({"additionalContext": "x"}, "unknown key 'additionalContext'"),
        ({"hookSpecificOutput": {"hookEventName": "PreToolUse"}}, "hookEventName must be"),
        ({"hookSpecificOutput": {"hookEventName": "UserPromptSubmit", "model": "x"}}, "unknown key"),
        ([], "not a JSON object"),
    ],
)
def test_problems_names_what_claude_code_would_reject(output: object, complaint: str) -> None:
    assert any(complaint in p for p in problems("claude-code", "UserPromptSubmit", output))


def test_session_state_round_trips_under_its_lock(home: Path) -> None:
    state = session.new_turn({}, {"hold": "heavy", "decision": {"id": "d1"}})
    session.count(state, "prompts")
    session.save("codex", "abc/../x", state)
    files = list((home / ".llm-router" / "sessions").glob("*.json"))  # and its .lock beside it
    assert len(files) == 1 and files[0].name.startswith("codex--abc_.._x~")  # never escapes the folder
    assert session.load("codex", "abc/../x") == json.loads(files[0].read_text())
    assert session.holding(session.load("codex", "abc/../x")) is not None


def test_a_hold_lapses_after_its_time_to_live() -> None:
    state = session.new_turn({}, {"hold": "all"}, now=time.time() - session.HOLD_TTL_S - 1)
    assert session.holding(state) is None


def test_an_unreadable_state_file_is_an_empty_state(home: Path) -> None:
    path = Path(session.path_for("claude-code", "s"))
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert session.load("claude-code", "s") == {}


def test_the_hook_cli_command_handles_an_event() -> None:
    result = CliRunner().invoke(cli, ["hook", "claude-code"], input="not json")
    assert result.exit_code == 0 and result.stdout == ""
