"""Prompt text stays out of `~/.llm-router` unless config.yaml says `store_prompts: true`, and everything
there is private (files 0600, folders 0700).

One distinctive prompt goes through the hooks (routing, tool holds, zero_claude on Claude Code and Gemini,
a provider error that quotes it, a rule that fails on it), the MCP tools and `llm-router query`; then every
byte under the home is searched for any 12-character piece of it."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from click.testing import CliRunner
from mcp import Client

from llm_router import fileio
from llm_router.cli import cli
from llm_router.mcp.server import build_server
from llm_router.mcp.session import McpSession
from llm_router.privacy import WITHHELD, stored_decision, withhold
from llm_router.testing import FakeProvider

FIXTURES = Path(__file__).parent / "fixtures" / "hosts"
PROMPT = "Zanzibar quokkas juggle seventeen tangerines at dawn; what is 2+2 in marmalade units?"
PIECE = 12
# A rule that fails on the prompt: its error (a KeyError) quotes the prompt in the trace's note.
POLICY = """\
version: 1
enforce: hard
rules:
  - {id: probe, when: "budget[prompt].used_pct > 50", then: {route: simple}}
"""
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:pydantic", "ignore::DeprecationWarning:litellm")


def pieces(text: str) -> set[bytes]:
    return {text[i : i + PIECE].encode() for i in range(len(text) - PIECE + 1)}


def files_holding_the_prompt(root: Path) -> list[str]:
    wanted = pieces(PROMPT)
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and any(piece in p.read_bytes() for piece in wanted)
    )


def payload(host: str, name: str, cwd: Path, **changes: Any) -> dict[str, Any]:
    data = json.loads((FIXTURES / host / f"{name}.json").read_text())
    data.update(cwd=str(cwd), **changes)
    return data


def run_hook(host: str, stdin: dict[str, Any], env: dict[str, str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "llm_router.hosts.hook", host],
        input=json.dumps(stdin).encode(),
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr, proc.stderr


def gemini_turn(cwd: Path, env: dict[str, str]) -> None:
    run_hook("gemini-cli", payload("gemini-cli", "BeforeAgent", cwd, prompt=PROMPT), env)
    before_model = payload("gemini-cli", "BeforeModel", cwd)
    before_model["llm_request"]["messages"][-1]["content"] = PROMPT
    run_hook("gemini-cli", before_model, env)


async def mcp_calls(env: dict[str, str], cwd: Path) -> None:
    async with Client(build_server(McpSession(env=env, cwd=cwd))) as client:
        routed = await client.call_tool("llm_route", {"prompt": PROMPT})
        assert not routed.is_error and routed.structured_content is not None
        answered = await client.call_tool(
            "llm_query", {"prompt": PROMPT, "decision_id": routed.structured_content["id"]}
        )
        assert not answered.is_error, answered
        assert not (await client.call_tool("llm_auto", {"prompt": PROMPT})).is_error


@pytest.fixture(scope="module")
def used_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A home after one prompt went through every entry point that writes under it, with default settings."""
    root = tmp_path_factory.mktemp("privacy")
    home, work, llm_home = root / "home", root / "work", root / "home" / ".llm-router"
    work.mkdir()
    home.mkdir()
    (work / ".llm-router.yaml").write_text(POLICY)
    with FakeProvider() as fake:
        fake.script("gpt-5", "quote", "ok")  # the prompt's chain; its first call is refused, quoting it
        env = {
            **{k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL", "_API_BASE"))},
            "HOME": str(home),
            "LLM_ROUTER_HOME": str(llm_home),
            "OPENAI_API_KEY": "sk-test",
            "OPENAI_BASE_URL": fake.openai_base,
        }
        zero = {**env, "LLM_ROUTER_MODE": "zero_claude"}
        run_hook("claude-code", payload("claude-code", "UserPromptSubmit", work, prompt=PROMPT), env)
        run_hook("claude-code", payload("claude-code", "PreToolUse-Edit", work), env)
        run_hook("claude-code", payload("claude-code", "UserPromptSubmit", work, prompt=PROMPT), zero)
        run_hook("claude-code", payload("claude-code", "UserPromptSubmit", work, prompt=PROMPT), zero)
        run_hook("codex", payload("codex", "UserPromptSubmit", work, prompt=PROMPT), env)
        gemini_turn(work, zero)
        anyio.run(mcp_calls, env, work)
        query = ["llm-router", "query", PROMPT, "--models", "openai/gpt-4o-mini", "--json"]
        proc = subprocess.run(query, capture_output=True, text=True, env=env, cwd=work, timeout=120)
        assert proc.returncode == 0, proc.stderr
        crash = (  # an internal error of a hook whose message quotes the prompt, logged as main() logs it
            "import traceback; from llm_router.hosts.hook import log_error\n"
            f"try:\n    raise KeyError({PROMPT!r})\nexcept KeyError as exc:\n"
            "    log_error('claude-code', 'UserPromptSubmit', repr(exc), traceback.format_exc(),"
            f" {{'prompt': {PROMPT!r}}})"
        )
        subprocess.run([sys.executable, "-c", crash], env=env, check=True, timeout=60)
        assert [s.step for s in fake.seen].count("quote") == 1 and len(fake.seen) >= 5
    yield llm_home


def test_the_scenario_wrote_decisions_usage_sessions_and_a_log(used_home: Path) -> None:
    names = {p.name for p in used_home.rglob("*")}
    assert {"usage.db", "sessions", "hooks.log", "cache"} <= names


def test_no_piece_of_the_prompt_is_stored_by_default(used_home: Path) -> None:
    assert files_holding_the_prompt(used_home) == []


def test_every_file_under_the_home_is_0600_and_every_folder_0700(used_home: Path) -> None:
    modes = {str(p.relative_to(used_home)): stat.S_IMODE(p.stat().st_mode) for p in used_home.rglob("*")}
    wrong = {
        name: oct(mode)
        for name, mode in modes.items()
        if mode != (0o700 if Path(used_home, name).is_dir() else 0o600)
    }
    assert wrong == {}
    assert stat.S_IMODE(used_home.stat().st_mode) == 0o700


def test_the_usage_db_wal_and_shm_are_private(used_home: Path) -> None:
    extras = [p for p in used_home.glob("usage.db-*")]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in extras)


def test_the_search_finds_the_prompt_when_store_prompts_is_on(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    llm_home = home / ".llm-router"
    llm_home.mkdir(mode=0o700)
    (llm_home / "config.yaml").write_text("store_prompts: true\n")
    (llm_home / "config.yaml").chmod(0o600)
    with FakeProvider() as fake:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("OPENAI_BASE_URL", fake.openai_base)
        query = ["query", PROMPT, "--models", "openai/gpt-4o-mini"]
        assert CliRunner().invoke(cli, query).exit_code == 0
    assert "usage.db" in " ".join(files_holding_the_prompt(llm_home))


# --- the stored form of a decision ----------------------------------------------------------------------


def step(saw: dict[str, Any], note: str = "") -> dict[str, Any]:
    return {
        "rule": "r",
        "location": "f:1",
        "when": "...",
        "matched": False,
        "saw": saw,
        "effect": "",
        "note": note,
    }


def test_a_stored_decision_withholds_what_a_rule_saw_of_the_prompt() -> None:
    stored = stored_decision({"id": "d", "trace": [step({"prompt": PROMPT[:80], "tier": "simple"})]})
    assert stored["trace"][0]["saw"] == {"prompt": WITHHELD, "tier": "simple"}


def test_a_stored_decision_withholds_the_note_of_a_step_that_saw_the_prompt() -> None:
    stored = stored_decision({"trace": [step({"prompt": "x"}, note=f"error: KeyError: {PROMPT!r}")]})
    assert stored["trace"][0]["note"] == WITHHELD


def test_a_name_not_known_to_be_safe_is_withheld_when_it_holds_text() -> None:
    stored = stored_decision({"trace": [step({"system": "you are ...", "has_tools": True})]})
    assert stored["trace"][0]["saw"] == {"system": WITHHELD, "has_tools": True}


def test_safe_names_and_their_notes_are_kept() -> None:
    saw = {"configured": ["openai"], "budget": {"m": {"used_pct": 3.0}}, "host": "cli"}
    stored = stored_decision({"trace": [step(saw, note="error: ZeroDivisionError")]})
    assert stored["trace"][0] == step(saw, note="error: ZeroDivisionError")


def test_store_prompts_keeps_the_trace_as_it_is() -> None:
    decision = {"trace": [step({"prompt": PROMPT[:80]}, note="x")]}
    assert stored_decision(decision, keep_prompts=True) == decision


# --- free text ------------------------------------------------------------------------------------------


def test_withhold_replaces_every_quoted_piece_of_the_prompt() -> None:
    text = f"400 Rejected: {PROMPT[5:60]!r} (policy {PROMPT[-20:]})"
    out = withhold(text, [PROMPT])
    assert out.startswith("400 Rejected: '[…]'") and not pieces(PROMPT) & pieces(out)


def test_withhold_leaves_short_common_runs_alone() -> None:
    assert withhold("rate limited: try again", ["please try again later"]) == "rate limited: try again"


def test_withhold_finds_pieces_of_a_long_prompt() -> None:
    long_prompt = "filler " * 500_000 + PROMPT
    assert withhold(f"saw {PROMPT[:30]} here" * 200, [long_prompt]).count(PROMPT[:30]) == 0


# --- fileio ---------------------------------------------------------------------------------------------


def test_private_dir_creates_every_missing_folder_0700(tmp_path: Path) -> None:
    fileio.private_dir(tmp_path / "a" / "b")
    assert [stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "a", tmp_path / "a" / "b")] == [0o700, 0o700]


def test_private_dir_tightens_a_folder_an_older_version_left_open(tmp_path: Path) -> None:
    (tmp_path / "open").mkdir(mode=0o755)
    (tmp_path / "open").chmod(0o755)
    fileio.private_dir(tmp_path / "open")
    assert stat.S_IMODE((tmp_path / "open").stat().st_mode) == 0o700


def test_write_private_replaces_the_file_with_a_0600_one(tmp_path: Path) -> None:
    target = tmp_path / "state" / "f.json"
    target.parent.mkdir()
    target.write_text("old")
    target.chmod(0o644)
    fileio.write_private(target, "new")
    assert target.read_text() == "new" and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["f.json"]


def test_append_private_creates_0600_and_tightens_a_looser_file(tmp_path: Path) -> None:
    with fileio.append_private(tmp_path / "new.log") as handle:
        handle.write("a\n")
    (tmp_path / "old.log").write_text("x\n")
    (tmp_path / "old.log").chmod(0o644)
    with fileio.append_private(tmp_path / "old.log") as handle:
        handle.write("y\n")
    assert (tmp_path / "old.log").read_text() == "x\ny\n"
    assert {stat.S_IMODE((tmp_path / n).stat().st_mode) for n in ("new.log", "old.log")} == {0o600}


def test_private_file_creates_an_empty_0600_file_and_keeps_an_existing_ones_content(tmp_path: Path) -> None:
    fileio.private_file(tmp_path / "db")
    (tmp_path / "old").write_text("data")
    (tmp_path / "old").chmod(0o644)
    fileio.private_file(tmp_path / "old")
    assert (tmp_path / "db").read_bytes() == b"" and (tmp_path / "old").read_text() == "data"
    assert {stat.S_IMODE((tmp_path / n).stat().st_mode) for n in ("db", "old")} == {0o600}


def test_install_keeps_its_manifest_and_backups_private(home: Path) -> None:
    (home / ".claude").mkdir()
    (home / ".claude" / "settings.json").write_text('{"model": "opus"}\n')
    result = CliRunner().invoke(cli, ["install", "--host", "claude-code"])
    assert result.exit_code == 0, result.output
    llm_home = home / ".llm-router"
    assert {"installed.json", "backups"} <= {p.name for p in llm_home.iterdir()}
    for path in [llm_home, *llm_home.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
