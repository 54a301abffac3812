"""Session state shared by hook processes: keyed by host and session, changed under a lock by parallel hooks
(as Codex runs them), and used by Gemini's BeforeModel only for the prompt it was decided for."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from test_hook import PROVIDER, QUESTION, accepted, hook, payload, prompt, tool

from llm_router.hosts import session

HARD = {"LLM_ROUTER_ENFORCE": "hard", **PROVIDER}
# Each process imports everything first, then waits for the same moment, so that all of them read and
# write the session state at once, as parallel hooks do when the host starts them together. The disk is
# made slow (each rename takes 50 ms) so that their reads and writes overlap even on a busy machine.
RACER = """
import os, sys, time
from llm_router.hosts import handlers, hook
rename = os.replace
os.replace = lambda a, b: (time.sleep(0.05), rename(a, b))[1]
start = float(sys.argv[1])
time.sleep(max(0.0, start - time.time()))
sys.exit(hook.main(["claude-code"]))
"""


def state_files(home: Path) -> list[Path]:
    return sorted((home / ".llm-router" / "sessions").glob("*.json"))


def test_parallel_tool_hooks_each_count_their_own_denial(home: Path) -> None:
    prompt(text=QUESTION, **HARD)  # holds every tool, 6 denials at most
    stdin = json.dumps(payload("claude-code", "PreToolUse-Edit")).encode()
    start = time.time() + 3.0
    env = {**os.environ, **HARD}
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(start)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        for _ in range(10)
    ]
    for racer in racers:  # every stdin is written before the moment comes, not one after another
        assert racer.stdin is not None
        racer.stdin.write(stdin)
        racer.stdin.close()
    outputs = [r.stdout.read().decode() for r in racers if r.stdout is not None]
    assert [r.wait(timeout=120) for r in racers] == [0] * len(racers)
    holds = sorted(int(m.group(1)) for out in outputs if (m := re.search(r"hold (\d+) of 6", out)))
    assert holds == [1, 2, 3, 4, 5, 6]  # no two processes saw the same count; the others went through
    (path,) = state_files(home)
    assert json.loads(path.read_text())["turn"]["denials"] == 6


def test_two_hosts_with_the_same_session_id_keep_their_own_state(home: Path) -> None:
    codex = hook("codex", payload("codex", "UserPromptSubmit", session_id="same", prompt=QUESTION), **HARD)
    assert accepted("codex", "UserPromptSubmit", codex) is not None
    claude_tool = hook("claude-code", payload("claude-code", "PreToolUse-Edit", session_id="same"), **HARD)
    assert claude_tool.out == ""  # Claude Code's session "same" routed nothing: nothing to hold
    assert len(state_files(home)) == 1 and state_files(home)[0].name.startswith("codex--")


def test_a_session_file_holds_a_hash_of_the_prompt_and_none_of_its_text(home: Path) -> None:
    text = "what is the capital of Burkina Faso?"
    prompt(text=text, **PROVIDER)
    (path,) = state_files(home)
    turn = json.loads(path.read_text())["turn"]
    assert turn["prompt_hash"] == session.prompt_hash(
        text, "claude-code", payload("claude-code", "PreToolUse-Edit")["session_id"]
    )
    assert "Burkina" not in path.read_text()


def test_odd_session_ids_get_files_of_their_own(home: Path) -> None:
    ids = ["a/b", "a_b", "a\\b", "." * 300, "\udfff"]
    paths = {session.path_for("codex", sid) for sid in ids}
    assert len(paths) == len(ids)
    assert all(Path(p).parent == home / ".llm-router" / "sessions" for p in paths)


def test_a_stuck_lock_holder_delays_a_hook_but_does_not_stop_it(home: Path) -> None:
    import fcntl

    prompt(text=QUESTION, **HARD)
    (path,) = state_files(home)
    with open(str(path) + ".lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        output = accepted("claude-code", "PreToolUse", tool("Edit", **HARD))
    assert output is not None and "hold 1 of 6" in output["hookSpecificOutput"]["permissionDecisionReason"]


# --- Gemini: BeforeModel and the stored turn ------------------------------------------------------------

GEMINI = "gemini-cli"
HARD_PROMPT = (
    "Design a multi-region active-active architecture for a payments service with exactly-once semantics"
)


def before_agent(text: str) -> None:
    hook(GEMINI, payload(GEMINI, "BeforeAgent", prompt=text))


def before_model(*messages: dict[str, object], model: str = "gemini-2.5-pro") -> dict[str, object] | None:
    data = payload(GEMINI, "BeforeModel")
    data["llm_request"]["model"] = model
    data["llm_request"]["messages"] = [{"role": "system", "content": "You are a CLI agent."}, *messages]
    return accepted(GEMINI, "BeforeModel", hook(GEMINI, data))


def test_before_model_ignores_a_turn_decided_for_another_prompt() -> None:
    before_agent(HARD_PROMPT)  # stored: a complex turn, which keeps gemini-2.5-pro
    output = before_model({"role": "user", "content": "what is 2+2?"})
    assert output is not None
    assert output["hookSpecificOutput"]["llm_request"]["model"] == "gemini-2.5-flash-lite"  # type: ignore[index]


def test_before_model_uses_the_stored_turn_of_its_prompt_through_tool_calls(home: Path) -> None:
    before_agent("what is 2+2?")
    tool_result = {"role": "user", "parts": [{"functionResponse": {"name": "calc", "response": {"x": 4}}}]}
    output = before_model(
        {"role": "user", "content": "what is 2+2?"}, {"role": "model", "content": "."}, tool_result
    )
    assert output is not None
    assert output["hookSpecificOutput"]["llm_request"]["model"] == "gemini-2.5-flash-lite"  # type: ignore[index]
    (path,) = state_files(home)
    assert json.loads(path.read_text())["counts"]["prompts"] == 1  # decided once, by BeforeAgent


def test_a_lock_file_that_is_a_link_leaves_the_update_unlocked_but_done(home: Path) -> None:
    path = Path(session.path_for("codex", "s"))
    path.parent.mkdir(parents=True)
    Path(str(path) + ".lock").symlink_to("/dev/zero")
    with session.update("codex", "s") as state:
        state["x"] = 1
    assert session.load("codex", "s") == {"x": 1}
