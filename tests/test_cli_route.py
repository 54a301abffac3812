"""`llm-router route` and `llm-router policy ...` as a user runs them."""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from llm_router.cli import COMMANDS, cli

DECISION_FIELDS = {
    "action",
    "chain",
    "tier",
    "rule",
    "rule_location",
    "task",
    "complexity",
    "difficulty",
    "confidence",
    "reason",
    "trace",
    "policy_revision",
    "usable",
    "id",
}
PROMPTS40 = Path(__file__).parent / "data/prompts40.jsonl"


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=input)
    return result.exit_code, result.stdout, result.stderr


def test_route_json_prints_every_decision_field() -> None:
    code, out, _ = run("route", "what is 2+2?", "--json")
    assert code == 0
    decision = json.loads(out)
    assert decision.keys() >= DECISION_FIELDS
    assert decision["trace"] and {"rule", "matched", "saw"} <= decision["trace"][0].keys()


def test_route_text_names_the_tier_and_rule() -> None:
    code, out, _ = run("route", "what is 2+2?")
    assert code == 0
    assert out.startswith("route -> simple") and "rule by-difficulty" in out


def test_route_without_prompt_or_batch_is_a_usage_error() -> None:
    code, _, err = run("route")
    assert code == 2 and "give a PROMPT" in err and "--batch FILE" in err


def test_route_with_a_prompt_and_batch_is_a_usage_error() -> None:
    code, _, err = run("route", "hello", "--batch", "-", input='{"prompt": "hi"}\n')
    assert code == 2 and "not both" in err


@pytest.mark.parametrize("argv", [["route", "--json"], ["route", "-", "--json"]])
def test_route_reads_the_prompt_from_stdin_as_query_does(argv: list[str]) -> None:
    code, out, _ = run(*argv, input="what is 2+2?\n")
    from_argument = json.loads(run("route", "what is 2+2?", "--json")[1])
    assert code == 0
    decision = json.loads(out)
    assert (decision["tier"], decision["rule"]) == (from_argument["tier"], from_argument["rule"])


def test_a_piped_prompt_is_routed_by_the_installed_command() -> None:
    proc = subprocess.run(
        ["llm-router", "route", "--json"],
        input="what is 2+2?\n",
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["action"] == "route"


@pytest.mark.parametrize("command", ["route", "query", "explain"])
@pytest.mark.parametrize("prompt", ["", "   ", "\n"])
def test_an_empty_prompt_is_a_usage_error(command: str, prompt: str) -> None:
    argv = ["policy", "explain", prompt] if command == "explain" else [command, prompt]
    code, _, err = run(*argv)
    assert code == 2 and "the prompt is empty" in err


def test_an_empty_prompt_on_stdin_is_a_usage_error() -> None:
    code, _, err = run("route", input="\n")
    assert code == 2 and "the prompt is empty" in err


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_help_only_prints(name: str, home: Path) -> None:
    before = sorted(p for p in home.rglob("*"))
    code, out, _ = run(name, "--help")
    assert code == 0 and "Usage:" in out
    assert sorted(p for p in home.rglob("*")) == before


@pytest.mark.parametrize("sub", ["validate", "show", "explain", "test", "lint"])
def test_every_policy_help_only_prints(sub: str) -> None:
    code, out, _ = run("policy", sub, "--help")
    assert code == 0 and "Usage:" in out


def test_batch_gives_one_decision_per_line_and_flags_bad_lines() -> None:
    lines = PROMPTS40.read_text() + "not json\n" + '{"text": "no prompt"}\n'
    code, out, _ = run("route", "--batch", "-", "--json", input=lines)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert len(rows) == 42
    assert all(r.keys() >= DECISION_FIELDS for r in rows[:40])
    assert [r["line"] for r in rows[40:]] == [41, 42]


def test_a_batch_decision_traces_the_rules_that_matched_and_trace_adds_the_rest() -> None:
    prompt = json.dumps({"prompt": "what is 2+2?"}) + "\n"
    short = json.loads(run("route", "--batch", "-", "--json", input=prompt)[1])
    full = json.loads(run("route", "--batch", "-", "--json", "--trace", input=prompt)[1])
    assert [(s["rule"], s["matched"]) for s in short["trace"]] == [("by-difficulty", True)]
    assert [s["rule"] for s in full["trace"]][0] == "explicit-claude" and len(full["trace"]) > 5
    assert [s for s in full["trace"] if s["matched"] or s["note"]] == short["trace"]
    same = {k for k in full if k not in ("trace", "id")}  # the id is new per decision (it holds the time)
    assert {k: full[k] for k in same} == {k: short[k] for k in same}


def test_route_json_and_explain_json_differ_only_in_how_much_they_trace() -> None:
    route = json.loads(run("route", "what is 2+2?", "--json")[1])
    explain = json.loads(run("policy", "explain", "what is 2+2?", "--json")[1])
    assert [s["rule"] for s in route["trace"]] == ["by-difficulty"]
    assert len(explain["trace"]) > len(route["trace"]) and explain["trace"][-1] == route["trace"][-1]


def test_a_rule_that_fails_is_in_the_trace_of_a_batch_decision(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        'version: 1\nrules:\n  - id: broken\n    when: "tokens / 0 > 1"\n    then: {route: complex}\n'
    )
    prompt = json.dumps({"prompt": "what is 2+2?"}) + "\n"
    row = json.loads(run("route", "--batch", "-", "--json", "--config", str(policy), input=prompt)[1])
    assert [(s["rule"], s["matched"]) for s in row["trace"]] == [("broken", False), ("by-difficulty", True)]
    assert "ZeroDivisionError" in row["trace"][0]["note"]


def test_policy_and_profile_knobs_change_routing_over_forty_prompts(monkeypatch: pytest.MonkeyPatch) -> None:
    def batch(**env: str) -> list[dict[str, object]]:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        code, out, _ = run("route", "--batch", str(PROMPTS40), "--json")
        assert code == 0
        return [json.loads(line) for line in out.splitlines()]

    aggressive = batch(LLM_ROUTER_POLICY="aggressive")
    conservative = batch(LLM_ROUTER_POLICY="conservative")
    assert [d["tier"] for d in aggressive] != [d["tier"] for d in conservative]
    monkeypatch.delenv("LLM_ROUTER_POLICY")
    budget = batch(LLM_ROUTER_PROFILE="budget")
    premium = batch(LLM_ROUTER_PROFILE="premium")
    assert [d["chain"] for d in budget] != [d["chain"] for d in premium]


def test_four_kinds_of_problem_are_each_located_with_exit_3(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\n"
        "profile: budget\n"
        "profile: premium\n"  # 3: duplicate key
        "polcy: aggressive\n"  # 4: misspelled top-level key
        "rules:\n"
        "  - id: a\n"
        '    when: "tokens >"\n'  # 7: syntax error
        "    then: {route: simple}\n"
        "  - id: b\n"
        '    when: "prompt.__class__"\n'  # 10: dunder attribute
        "    then: {route: simple}\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", "from llm_router.cli import main; main()", "policy", "validate", str(bad)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr
    located = {
        (line.split(":")[1], line.split(" ")[1])
        for line in proc.stderr.splitlines()
        if line.startswith(str(bad))
    }
    assert located == {
        ("3", "duplicate-key"),
        ("4", "unknown-key"),
        ("7", "expr-syntax"),
        ("10", "forbidden"),
    }


def test_an_invalid_user_policy_makes_route_exit_3(home: Path) -> None:
    (home / ".llm-router").mkdir()
    (home / ".llm-router" / "routing.yaml").write_text("enforce: sometimes\n")
    code, _, err = run("route", "hello")
    assert code == 3
    assert "routing.yaml:1:" in err and "enum" in err


def test_a_single_line_user_policy_is_valid(home: Path) -> None:
    (home / ".llm-router").mkdir()
    (home / ".llm-router" / "routing.yaml").write_text("mode: zero_claude\n")
    code, out, _ = run("route", "hello", "--json", "--host", "claude-code")
    assert code == 0 and json.loads(out)["mode"] == "zero_claude"


def test_enforce_off_means_the_mode_off(home: Path) -> None:
    (home / ".llm-router").mkdir()
    (home / ".llm-router" / "routing.yaml").write_text("enforce: off\n")
    code, out, _ = run("route", "hello", "--json")
    assert code == 0 and json.loads(out)["enforce"] == "off"


def test_policy_show_says_where_each_value_came_from(home: Path) -> None:
    (home / ".llm-router").mkdir()
    (home / ".llm-router" / "routing.yaml").write_text("profile: premium\n")
    code, out, _ = run("policy", "show")
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("/profile ="))
    assert '"premium"' in line and "routing.yaml:1" in line
    code, out, _ = run("policy", "show", "--json")
    shown = json.loads(out)
    assert shown["policy"]["profile"] == "premium"
    assert shown["provenance"]["/profile"].endswith("routing.yaml:1")


def test_policy_explain_shows_contributions_and_each_rule() -> None:
    code, out, _ = run("policy", "explain", "design a distributed tracing strategy for 40 services")
    assert code == 0
    assert "classifier (what raised or lowered the difficulty)" in out
    assert "MATCH by-difficulty" in out and "explicit-claude" in out


def test_policy_lint_finds_an_unreachable_rule_and_an_unknown_model(tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        "chains:\n  simple: [openai/no-such-model-xyz]\n"
        "rules:\n  - {id: all, when: 'true', then: {route: simple}}\n"
    )
    code, out, _ = run("policy", "lint", "--config", str(extra))
    assert code == 1
    assert "unreachable-rule" in out and "unknown-model" in out and "no-such-model-xyz" in out


def test_builtin_policy_lints_clean() -> None:
    code, out, _ = run("policy", "lint")
    assert (code, out.strip()) == (0, "no findings")


def test_a_batch_line_that_is_not_json_gets_the_error_json_gives_it() -> None:
    bad = [
        '\ufeff{"prompt": "x"}',
        '{"prompt": "x"} y',
        '{"prompt": "x"',
        "{'prompt': 'x'}",
        '{"prompt": "\t"}',
    ]
    code, out, _ = run("route", "--batch", "-", "--json", input="\n".join(bad) + "\n")
    errors = []
    for line in bad:
        with pytest.raises(ValueError) as err:
            json.loads(line + "\n")  # as the batch reads it
        errors.append(f"not JSON: {err.value}")
    assert code == 1
    assert [json.loads(row)["error"] for row in out.splitlines()] == errors


def test_a_batch_line_with_spaces_around_its_json_is_decided() -> None:
    lines = '  {"prompt": "what is 2+2?"}  \n\n \t\n{"prompt": "what is 2+2?"}\r\n'
    code, out, _ = run("route", "--batch", "-", "--json", input=lines)
    rows = [json.loads(row) for row in out.splitlines()]
    assert code == 0 and [r["rule"] for r in rows] == ["by-difficulty", "by-difficulty"]


def test_a_batch_decides_each_line_as_router_decide_does(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import io
    import os

    from llm_router import router
    from llm_router.cli import route
    from llm_router.decision import Request

    now = 1_800_000_000.5
    monkeypatch.setattr(route.time, "time", lambda: now)
    settings = router.Settings(env={**os.environ, "OPENAI_API_KEY": "sk-test"}, cwd=tmp_path)
    items = [
        {"prompt": p, "host": h, "session": s}
        for p, h, s in [("what is 2+2?", "codex", "a"), ("claude: hi", "cli", 7)]
    ]
    items += [{"prompt": json.loads(line)["prompt"]} for line in PROMPTS40.read_text().splitlines()]
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    assert (
        route._route_batch(io.StringIO("".join(json.dumps(i) + "\n" for i in items)), settings, "cli", True)
        == 0
    )
    want = [
        router.decide(
            Request(i["prompt"], i.get("host", "cli"), session=str(i.get("session", ""))),
            settings=settings,
            now=now,
        ).to_json(full_trace=True)
        for i in items
    ]
    assert out.getvalue().splitlines() == want


class Pieces(io.RawIOBase):
    """A byte stream that arrives in the given pieces, one per read, as a pipe delivers what was written."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = list(pieces)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self.pieces:
            return 0
        piece = self.pieces.pop(0)
        buffer[: len(piece)] = piece
        return len(piece)


def test_batch_lines_read_in_pieces_are_the_lines_a_text_file_gives() -> None:
    from llm_router.cli.route import _blocks

    data = '{"prompt": "é"}\r\n{"prompt": "b"}\r{"prompt": "c"}\n\n{"prompt": "last"}'.encode()
    cut = [1, 13, 14, 16, 17, 34, 35, len(data)]  # inside é, between \r and \n, at the end
    pieces = [data[a:b] for a, b in zip([0, *cut], cut, strict=False)]
    text = io.TextIOWrapper(io.BufferedReader(Pieces(pieces)), encoding="utf-8")
    got = [line for block in _blocks(text, lambda: None) for line in block]
    assert got == list(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_a_program_feeding_a_batch_one_line_at_a_time_gets_each_decision_before_the_next_line() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "llm_router", "route", "--batch", "-", "--json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": ""},  # stdout block-buffered, as for most users
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        for prompt in ("what is 2+2?", "prove that there are infinitely many primes"):
            proc.stdin.write(json.dumps({"prompt": prompt}) + "\n")
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], 60)  # a bound on a hang, not a speed check
            assert ready, "no decision came back for a line while the batch waited for more"
            assert json.loads(proc.stdout.readline())["action"] == "route"
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0 and proc.stdout.read() == ""
    finally:
        proc.kill()
