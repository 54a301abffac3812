"""The Claude Code and Codex hooks, run as the hosts run them: a fresh process, the host's JSON on stdin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from llm_router.hosts.protocol import CLAUDE_SPECIFIC, CLAUDE_TOP, problems
from llm_router.store import load_decision, open_db

FIXTURES = Path(__file__).parent / "fixtures" / "hosts"
QUESTION = "what is 2+2?"  # a confident, simple, question-type prompt
UNSURE = "how big is a python int"  # near a band edge, no clear task: below the conservative threshold


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out) if self.out.strip() else None


def payload(host: str, name: str, **changes: Any) -> dict[str, Any]:
    """A fixture as the host sends it, with cwd pointed at the test's working folder."""
    data = json.loads((FIXTURES / host / f"{name}.json").read_text())
    data["cwd"] = os.getcwd()
    data.update(changes)
    return data


def hook(host: str, stdin: dict[str, Any] | str | bytes, **env: str) -> Run:
    """Run the hook entry point in a fresh process."""
    raw = json.dumps(stdin).encode() if isinstance(stdin, dict) else stdin
    raw = raw.encode() if isinstance(raw, str) else raw
    proc = subprocess.run(
        [sys.executable, "-m", "llm_router.hosts.hook", host],
        input=raw,
        capture_output=True,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )
    return Run(proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def prompt(host: str = "claude-code", text: str = QUESTION, **env: str) -> Run:
    return hook(host, payload(host, "UserPromptSubmit", prompt=text), **env)


def tool(name: str, host: str = "claude-code", **env: str) -> Run:
    fixture = {"claude-code": "PreToolUse-Edit", "codex": "PreToolUse"}[host]
    return hook(host, payload(host, fixture, tool_name=name), **env)


PROVIDER = {"OPENAI_API_KEY": "sk-test"}


def accepted(host: str, event: str, run: Run) -> dict[str, Any] | None:
    """The hook's output, asserted to be what the host accepts."""
    assert run.code == 0 and "Traceback" not in run.err
    if not run.out.strip():
        return None
    output = run.json
    assert problems(host, event, output) == []
    return output


# --- robustness -------------------------------------------------------------------------------------------


GARBAGE = [
    b"",
    b"not json",
    b"[1, 2]",
    b"\xff\xfe",
    b'{"prompt": ',
    b"\xed\xa0\x80",  # a surrogate encoded as if it were a character
    b"\xef\xbb\xbf{}",  # a byte-order mark
    b"\x00",
    b'{"hook_event_name": "\\ud800"}',
    b'{"session_id": "\\udfff\\u0000/..", "hook_event_name": "Stop"}',
]


@pytest.mark.parametrize("garbage", GARBAGE)
@pytest.mark.parametrize("host", ["claude-code", "codex", "gemini-cli"])
def test_garbage_stdin_exits_0_with_no_traceback(host: str, garbage: bytes) -> None:
    run = hook(host, garbage)
    assert (run.code, run.out) == (0, "")
    assert "Traceback" not in run.err and len(run.err.strip().splitlines()) <= 1


# Tool names no host should send, as JSON escapes (lone surrogates) and as raw bytes that are not UTF-8.
ODD_NAMES = ["Edit\ud800", "\udfffBash", "\ude00\ud83d", "Edit\x00\u2028\uffff", "\ud83d\ude00"]
ODD_BYTES = [b"Edit\xff", b"Edit\xed\xa0\x80", b"\xc0\xafBash", b"Edit\xf4\x90\x80\x80"]


def raw_tool_call(host: str, name: bytes) -> bytes:
    """A PreToolUse payload whose tool_name is `name`, byte for byte."""
    fixture = {"claude-code": "PreToolUse-Edit", "codex": "PreToolUse"}[host]
    data = payload(host, fixture, tool_name="@NAME@")
    return json.dumps(data).encode().replace(b"@NAME@", name)


@pytest.mark.parametrize("name", [json.dumps(n)[1:-1].encode() for n in ODD_NAMES] + ODD_BYTES)
@pytest.mark.parametrize("host", ["claude-code", "codex"])
def test_a_deny_echoing_an_odd_tool_name_is_valid_utf8_json(host: str, name: bytes) -> None:
    knobs = {"LLM_ROUTER_ENFORCE": "hard", **PROVIDER}
    prompt(host, **knobs)
    run = hook(host, raw_tool_call(host, name), PYTHONIOENCODING="ascii:surrogateescape", **knobs)
    output = accepted(host, "PreToolUse", run)  # hook() decodes stdout as strict UTF-8
    assert output is not None and output["hookSpecificOutput"]["permissionDecision"] == "deny"
    assert "holds" in output["hookSpecificOutput"]["permissionDecisionReason"]


@pytest.mark.parametrize("host", ["claude-code", "codex", "gemini-cli"])
def test_a_prompt_with_lone_surrogates_gets_valid_utf8_json(host: str) -> None:
    event = "BeforeAgent" if host == "gemini-cli" else "UserPromptSubmit"
    data = payload(host, event, prompt="what is 2+2?\ud800", session_id="s\udfff")
    output = accepted(host, event, hook(host, data, LC_ALL="C", **PROVIDER))
    assert output is not None


def test_an_internal_error_lets_the_prompt_through_with_one_line_and_a_log(home: Path) -> None:
    (home / ".llm-router").mkdir()
    (home / ".llm-router" / "routing.yaml").write_text("version: 1\nenforce: sometimes\n")
    run = prompt(**PROVIDER)
    assert (run.code, run.out) == (0, "")
    assert len(run.err.strip().splitlines()) == 1 and "llm-router" in run.err
    assert "UserPromptSubmit" in (home / ".llm-router" / "hooks.log").read_text()


def test_unknown_events_print_nothing() -> None:
    run = hook("claude-code", payload("claude-code", "SessionStart", hook_event_name="Notification"))
    assert (run.code, run.out) == (0, "")


# --- no usable provider: never block, never hold --------------------------------------------------------


@pytest.mark.parametrize("knobs", [{}, {"LLM_ROUTER_ENFORCE": "hard"}, {"LLM_ROUTER_MODE": "zero_claude"}])
def test_with_no_provider_the_prompt_hook_never_blocks_or_holds(knobs: dict[str, str]) -> None:
    run = prompt(**knobs)
    output = accepted("claude-code", "UserPromptSubmit", run)
    assert output is None or "decision" not in output
    assert tool("Edit", **knobs).out == ""


# --- smart (the default) --------------------------------------------------------------------------------


def test_smart_points_a_confident_prompt_at_llm_query_with_a_saved_decision(home: Path) -> None:
    output = accepted("claude-code", "UserPromptSubmit", prompt(**PROVIDER))
    assert output is not None and "decision" not in output
    context = output["hookSpecificOutput"]["additionalContext"]
    assert "mcp__llm-router__llm_query" in context and "openai/gpt-4o-mini" in context
    decision_id = context.split('decision_id="')[1].split('"')[0]
    saved = load_decision(open_db(home / ".llm-router" / "usage.db"), decision_id)
    assert saved is not None
    assert saved["tier"] == "simple" and saved["host"] == "claude-code"
    assert [(step["rule"], step["matched"]) for step in saved["trace"]] == [("by-difficulty", True)]


def test_smart_holds_heavy_tools_for_a_question_until_llm_query_is_used() -> None:
    prompt(**PROVIDER)
    denied = accepted("claude-code", "PreToolUse", tool("Edit"))
    assert denied is not None and denied["hookSpecificOutput"]["permissionDecision"] == "deny"
    assert "mcp__llm-router__llm_query" in denied["hookSpecificOutput"]["permissionDecisionReason"]
    assert tool("Read").out == ""  # reading is not held
    assert tool("mcp__llm-router__llm_query").out == ""
    assert tool("Edit").out == ""  # routed: released


def test_smart_gives_up_holding_after_three_denials_in_a_turn() -> None:
    prompt(**PROVIDER)
    outs = [tool("Bash").out for _ in range(4)]
    assert [bool(o) for o in outs] == [True, True, True, False]
    prompt(**PROVIDER)  # a new turn holds again
    assert tool("Bash").out


def test_smart_lets_an_unsure_prompt_through(home: Path) -> None:
    (home / ".llm-router").mkdir()
    (home / ".llm-router" / "routing.yaml").write_text("version: 1\npolicy: conservative\n")
    assert prompt(text=UNSURE, LLM_ROUTER_POLICY="conservative", **PROVIDER).out == ""
    assert tool("Edit").out == ""


def test_smart_does_not_hold_tools_for_a_coding_task() -> None:
    output = accepted(
        "claude-code",
        "UserPromptSubmit",
        prompt(text="write a python function that reverses a string", **PROVIDER),
    )
    assert output is not None and "until that tool" not in output["hookSpecificOutput"]["additionalContext"]
    assert tool("Edit").out == ""


# --- the other enforcement modes ------------------------------------------------------------------------


def test_off_does_nothing() -> None:
    knobs = {"LLM_ROUTER_ENFORCE": "off", **PROVIDER}
    assert prompt(**knobs).out == "" and tool("Edit", **knobs).out == ""
    assert hook("claude-code", payload("claude-code", "SessionStart"), **knobs).out == ""


def test_soft_names_the_tool_and_chain_but_never_holds() -> None:
    knobs = {"LLM_ROUTER_ENFORCE": "soft", **PROVIDER}
    output = accepted("claude-code", "UserPromptSubmit", prompt(**knobs))
    assert output is not None and "llm_query" in output["hookSpecificOutput"]["additionalContext"]
    assert tool("Edit", **knobs).out == "" and tool("Bash", **knobs).out == ""


def test_hard_holds_every_tool_until_routed() -> None:
    knobs = {"LLM_ROUTER_ENFORCE": "hard", **PROVIDER}
    prompt(text="write a python function that reverses a string", **knobs)
    assert tool("Read", **knobs).out and tool("Edit", **knobs).out
    tool("mcp__llm-router__llm_query", **knobs)
    assert tool("Read", **knobs).out == ""


# --- Codex ----------------------------------------------------------------------------------------------


def test_codex_prompt_output_has_only_claude_codes_documented_keys() -> None:
    output = accepted("codex", "UserPromptSubmit", prompt("codex", **PROVIDER))
    assert output is not None and set(output) <= CLAUDE_TOP
    assert set(output["hookSpecificOutput"]) <= CLAUDE_SPECIFIC["UserPromptSubmit"]
    assert "systemMessage" not in output


def test_codex_tool_hold_uses_claude_codes_pretooluse_shape() -> None:
    prompt("codex", **PROVIDER)
    output = accepted("codex", "PreToolUse", tool("Bash", host="codex"))
    assert output is not None and output["hookSpecificOutput"]["permissionDecision"] == "deny"


def test_codex_session_start_and_stop_are_valid() -> None:
    start = accepted("codex", "SessionStart", hook("codex", payload("codex", "SessionStart")))
    assert start is not None and "llm-router" in start["hookSpecificOutput"]["additionalContext"]
    assert hook("codex", payload("codex", "Stop")).out == ""


# --- session start and end ------------------------------------------------------------------------------


def test_session_start_is_one_status_line_naming_mode_and_providers() -> None:
    output = accepted(
        "claude-code", "SessionStart", hook("claude-code", payload("claude-code", "SessionStart"), **PROVIDER)
    )
    assert output is not None
    line = output["systemMessage"]
    assert "\n" not in line and "mode normal" in line and "enforce smart" in line and "openai" in line


def test_session_start_without_providers_says_how_to_configure_one() -> None:
    output = accepted(
        "claude-code", "SessionStart", hook("claude-code", payload("claude-code", "SessionStart"))
    )
    assert output is not None and "OPENAI_API_KEY" in output["systemMessage"]


def test_session_end_reports_the_session() -> None:
    prompt(**PROVIDER)
    prompt(**PROVIDER)
    output = accepted("claude-code", "SessionEnd", hook("claude-code", payload("claude-code", "SessionEnd")))
    assert output is not None and output["systemMessage"].startswith(
        "llm-router session: 2 prompts, 2 routed"
    )


# --- what the hook process imports ----------------------------------------------------------------------


def imported_by_prompt_hook(**env: str) -> tuple[set[str], str]:
    """(the modules a prompt hook imported through the import system, from -X importtime; its stdout)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "llm_router.hosts.hook", "claude-code"],
        input=json.dumps(payload("claude-code", "UserPromptSubmit")).encode(),
        capture_output=True,
        env={**os.environ, **env},
        check=True,
        timeout=120,
    )
    return {
        line.rsplit("|", 1)[-1].strip() for line in proc.stderr.decode().splitlines()
    }, proc.stdout.decode()


def test_the_prompt_hook_imports_no_heavy_library() -> None:
    prompt(**PROVIDER)  # warm the policy cache
    imported, out = imported_by_prompt_hook(**PROVIDER)
    assert "additionalContext" in out
    modules = {name.split(".")[0] for name in imported}
    assert modules.isdisjoint({"litellm", "mcp", "jsonschema", "pydantic", "click", "yaml", "sqlite_utils"})


def test_the_installed_hook_command_runs(home: Path) -> None:
    from llm_router.hosts.commands import hook_argv

    proc = subprocess.run(hook_argv("claude-code"), input=b"{}", capture_output=True, check=False, timeout=60)
    assert (proc.returncode, proc.stdout) == (0, b"")
