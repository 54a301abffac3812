"""Policies that try to run away, from the outside: catastrophic regexes and string growth in `route`, in the
hooks and in `policy validate` / `lint`; and rules that read `budget` or `health` whole."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from llm_router import router
from llm_router.cli import cli
from llm_router.decision import Request
from llm_router.policy.namespace import CONTEXT_NAMES

NEAR_MISS = "a" * 78 + "!"  # 79 characters on which (a|aa)+$ backtracks for ever on `re`
CATASTROPHIC = """\
version: 1
classifier:
  signals:
    - {id: spin, match: '(a|aa)+$', weight: 1}
rules:
  - id: spin
    when: "matches(prompt, '(a|aa)+$') and tokens > 0"
    then: {route: simple}
"""
GROWTH = 'version: 1\nrules:\n  - id: grow\n    when: "len(' + " + ".join(["prompt"] * 60) + ') > 0"\n'
GROWTH += "    then: {route: simple}\n"


def llm_router(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from llm_router.cli import main; main()", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,  # on `re`, without a bound, these runs take hours
        env=dict(os.environ),
    )


def steps(decision: dict[str, object]) -> dict[str, str]:
    return {s["rule"]: s["note"] for s in decision["trace"]}  # type: ignore[index, union-attr]


def test_route_stops_a_catastrophic_regex_and_notes_why(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(CATASTROPHIC)
    proc = llm_router("route", "--json", "--config", str(policy), NEAR_MISS)
    assert proc.returncode == 0, proc.stderr
    decision = json.loads(proc.stdout)
    assert steps(decision)["spin"].startswith("over budget: matches(): the pattern '(a|aa)+$' ran out")
    assert decision["rule"] != "spin"


def test_route_stops_string_growth_on_a_one_megabyte_prompt(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(GROWTH)
    line = json.dumps({"prompt": "word " * 200_000}) + "\n"
    proc = llm_router("route", "--batch", "-", "--config", str(policy), stdin=line)
    assert proc.returncode == 0, proc.stderr
    assert steps(json.loads(proc.stdout))["grow"].startswith("over budget: + needs")


def test_the_prompt_hook_lets_a_prompt_through_past_a_catastrophic_rule(home: Path) -> None:
    (home / ".llm-router").mkdir()
    (home / ".llm-router" / "routing.yaml").write_text(CATASTROPHIC)
    payload = {
        "session_id": "s",
        "hook_event_name": "UserPromptSubmit",
        "prompt": NEAR_MISS,
        "cwd": os.getcwd(),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "llm_router.hosts.hook", "claude-code"],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "OPENAI_API_KEY": "sk-test"},
    )
    assert proc.returncode == 0 and "internal error" not in proc.stderr
    assert "llm-router routed this prompt" in proc.stdout


def test_the_mcp_route_tool_answers_past_a_catastrophic_rule(home: Path) -> None:
    import anyio
    from mcp import Client

    from llm_router.mcp.server import build_server
    from llm_router.mcp.session import McpSession

    (home / ".llm-router").mkdir()
    (home / ".llm-router" / "routing.yaml").write_text(CATASTROPHIC)

    async def route() -> object:
        async with Client(build_server(McpSession(env=dict(os.environ)))) as client:
            return await client.call_tool("llm_route", {"prompt": NEAR_MISS})

    result = anyio.run(route)
    assert not result.is_error and result.structured_content["rule"] != "spin"  # type: ignore[attr-defined]


def test_validate_warns_about_nested_quantifiers_where_they_are(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(CATASTROPHIC)
    result = CliRunner().invoke(cli, ["policy", "validate", str(policy)])
    assert result.exit_code == 0
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert [w.split(" ")[1] for w in warnings] == [f"{policy}:7:29:", f"{policy}:4:26:"]
    assert all("nested-quantifier" in w for w in warnings)


def test_validate_json_lists_the_warnings(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(CATASTROPHIC)
    result = CliRunner().invoke(cli, ["policy", "validate", "--json", str(policy)])
    (report,) = json.loads(result.stdout)
    assert report["ok"] and [w["pointer"] for w in report["warnings"]] == [
        "/rules/0/when",
        "/classifier/signals/0/match",
    ]


def test_lint_reports_nested_quantifiers_in_rules_and_classifier_patterns(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(CATASTROPHIC)
    result = CliRunner().invoke(cli, ["policy", "lint", "--config", str(policy)])
    assert result.exit_code == 1
    assert result.stdout.count("nested-quantifier") == 2 and "(a|aa)+$" in result.stdout


def test_a_pattern_too_large_to_compile_is_rejected_at_load(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "version: 1\nclassifier:\n  rules:\n"
        "    - {id: big, match: '(((a{100}){100}){100}){10}', set: {task: math}}\n"
    )
    proc = llm_router("policy", "validate", str(policy))
    assert proc.returncode == 3 and f"{policy}:4:" in proc.stderr and "too-large" in proc.stderr


# --- rules that read budget or health whole --------------------------------------------------------------

BUDGETS = "budgets:\n  - {id: day, provider: openai, period: day, limit_usd: 5}\n"


def test_route_batch_decides_a_rule_that_reads_len_of_budget(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "version: 1\n" + BUDGETS + "rules:\n  - {id: b, when: 'len(budget) > 0', then: {route: simple}}\n"
    )
    lines = json.dumps({"prompt": "hello"}) + "\n" + json.dumps({"prompt": "hi"}) + "\n"
    proc = llm_router("route", "--batch", "-", "--config", str(policy), stdin=lines)
    assert proc.returncode == 0, proc.stderr
    decisions = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [d["rule"] for d in decisions] == ["b", "b"]
    assert decisions[0]["trace"][0]["saw"]["budget"]["day"]["used_pct"] == 0


@pytest.mark.parametrize("name", sorted(CONTEXT_NAMES))
def test_a_rule_reading_any_context_name_whole_is_decided_and_explained(name: str, tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "version: 1\n"
        + BUDGETS
        + f"rules:\n  - {{id: r, when: '{name} is not None', then: {{route: simple}}}}\n"
    )
    settings = router.Settings(config=policy)
    cp = router.load(settings)
    for _ in range(2):  # the second decision reuses what the first one cached
        decision = router.decide(Request(prompt="hello"), settings=settings, policy=cp, now=1_800_000_000.0)
        assert decision.rule == "r"
        assert name in json.loads(decision.to_json())["trace"][0]["saw"]
        assert name in decision.to_dict()["trace"][0]["saw"]
