"""`policy test` suites: cases run against a policy, diffs on failure, coverage, and located suite errors."""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path
from typing import Protocol

import pytest

from llm_router.errors import PolicyError
from llm_router.policy.suite import SuiteReport, run_suites
from llm_router.router import Settings

POLICY = """\
version: 1
budgets:
  - {id: openai-month, provider: openai, period: month, limit_usd: 20}
chains:
  simple: [ollama/llama3.1, openai/gpt-4o-mini]
  cheap: [openai/gpt-4o-mini, ollama/llama3.1]
rules:
  - id: night-block
    when: "hour < 6"
    then: {action: block, message: closed at night}
  - id: budget-guard
    when: "budget['openai-month'].used_pct >= 80"
    then: {route: cheap}
  - id: simple-confident
    when: "complexity == 'simple' and confidence >= threshold"
    then: {route: simple}
"""

# Features fixed by the suite, so that the cases test the rules and not the classifier.
SIMPLE = "features: {complexity: simple, confidence: 9, difficulty: 0.1, task: query}"


class Write(Protocol):
    def __call__(self, cases: str, header: str = ...) -> Path: ...


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "team"
    (folder / "tests").mkdir(parents=True)
    (folder / "routing.yaml").write_text(POLICY, encoding="utf-8")
    return folder


@pytest.fixture
def write_suite(policy_dir: Path) -> Write:
    """Write a suite (cases only; the policy line and shared context are added) and return its path."""

    def write(cases: str, header: str = f"policy: ../routing.yaml\ncontext: {{{SIMPLE}}}\n") -> Path:
        path = policy_dir / "tests" / "routing.test.yaml"
        path.write_text(header + "cases:\n" + textwrap.indent(textwrap.dedent(cases), "  "), encoding="utf-8")
        return path

    return write


def run(path: Path, **settings: object) -> SuiteReport:
    return run_suites([path], settings=Settings(env=dict(os.environ), **settings))  # type: ignore[arg-type]


def located(path: Path) -> list[str]:
    with pytest.raises(PolicyError) as info:
        run(path)
    return [f"{p.line}:{p.col} {p.code} {p.pointer}" for p in info.value.problems]


# --- running cases ---------------------------------------------------------------------------------


def test_a_case_whose_decision_has_every_expected_field_passes(write_suite: Write) -> None:
    report = run(
        write_suite("""
        - name: simple goes to the simple chain
          prompt: what is 2+2?
          expect: {action: route, tier: simple, rule: simple-confident, chain_head: ollama/llama3.1}
    """)
    )
    assert (report.ok, report.total, report.failed) == (True, 1, 0)


def test_a_failing_case_lists_expected_and_got_for_each_differing_field(write_suite: Write) -> None:
    report = run(
        write_suite("""
        - name: wrong guess
          prompt: what is 2+2?
          expect: {action: route, tier: complex, chain_head: openai/o3}
    """)
    )
    assert not report.ok
    assert [str(m) for m in report.cases[0].mismatches] == [
        'tier: expected "complex", got "simple"',
        'chain_head: expected "openai/o3", got "ollama/llama3.1"',
    ]


def test_the_text_report_shows_each_failure_with_its_location_and_deciding_rule(write_suite: Write) -> None:
    path = write_suite("""
        - name: wrong guess
          prompt: what is 2+2?
          expect: {tier: complex}
    """)
    text = run(path).render()
    assert f"FAIL  wrong guess  ({path}:5)" in text
    assert 'tier: expected "complex", got "simple"' in text
    assert "decided by rule 'simple-confident'" in text
    assert text.endswith("1 case(s): 0 passed, 1 failed")


def test_expecting_a_rule_the_policy_lacks_says_so(write_suite: Write) -> None:
    report = run(
        write_suite("""
        - name: typo in the rule id
          prompt: what is 2+2?
          expect: {rule: simple-confidnet}
    """)
    )
    assert report.cases[0].mismatches[0].hint == "the policy has no rule with this id"


def test_the_whole_chain_and_its_usable_models_can_be_expected(write_suite: Write) -> None:
    report = run(
        write_suite("""
        - name: only ollama is configured
          prompt: what is 2+2?
          context: {configured: [ollama, openai], open_breakers: [openai]}
          expect: {chain: [ollama/llama3.1, openai/gpt-4o-mini], usable: [ollama/llama3.1], executable: true}
    """)
    )
    assert report.ok, report.render()


def test_no_configured_provider_is_the_default(write_suite: Write) -> None:
    report = run(
        write_suite("""
        - name: nothing configured
          prompt: what is 2+2?
          expect: {usable: [], executable: false}
    """)
    )
    assert report.ok, report.render()


def test_difficulty_and_confidence_bounds_are_checked(write_suite: Write) -> None:
    report = run(
        write_suite("""
        - name: bounds
          prompt: what is 2+2?
          expect: {difficulty_min: 0.05, difficulty_max: 0.2, confidence_min: 10}
    """)
    )
    assert [str(m) for m in report.cases[0].mismatches] == ["confidence_min: expected at least 10, got 9"]


@pytest.mark.parametrize("spent", ["{spent_usd: 17}", "{used_pct: 85}"])
def test_budget_spending_in_the_context_reaches_budget_rules(write_suite: Write, spent: str) -> None:
    report = run(
        write_suite(f"""
        - name: budget pressure
          prompt: what is 2+2?
          context: {{budgets: {{openai-month: {spent}}}}}
          expect: {{rule: budget-guard, tier: cheap, chain_head: openai/gpt-4o-mini}}
    """)
    )
    assert report.ok, report.render()


def test_now_sets_the_hour_rules_see(write_suite: Write) -> None:
    report = run(
        write_suite("""
        - name: at night
          prompt: what is 2+2?
          context: {now: "2026-01-06T03:30"}
          expect: {action: block, rule: night-block}
        - name: by default it is noon
          prompt: what is 2+2?
          expect: {action: route}
    """)
    )
    assert report.ok, report.render()


def test_knobs_override_the_policy_for_the_case(write_suite: Write) -> None:
    report = run(
        write_suite("""
        - name: zero_claude
          prompt: what is 2+2?
          context: {knobs: {profile: premium, mode: zero_claude}}
          expect: {profile: premium, mode: zero_claude}
    """)
    )
    assert report.ok, report.render()


def test_env_in_the_context_loads_the_policy_with_those_variables(write_suite: Write) -> None:
    report = run(
        write_suite("""
        - name: profile from the environment
          prompt: what is 2+2?
          context: {env: {LLM_ROUTER_PROFILE: budget}}
          expect: {profile: budget}
    """)
    )
    assert report.ok, report.render()


def test_a_case_context_overrides_the_shared_context_key_by_key(write_suite: Write) -> None:
    report = run(
        write_suite("""
        - name: shared features, own confidence
          prompt: what is 2+2?
          context: {features: {confidence: 1}}
          expect: {complexity: simple, confidence_max: 1}
    """)
    )
    assert report.ok, report.render()


def test_a_suite_with_a_policy_ignores_the_users_own_policy(write_suite: Write, home: Path) -> None:
    (home / ".llm-router").mkdir()
    (home / ".llm-router" / "routing.yaml").write_text("profile: premium\n", encoding="utf-8")
    report = run(
        write_suite("""
        - name: the team profile
          prompt: what is 2+2?
          expect: {profile: balanced}
    """)
    )
    assert report.ok, report.render()


def test_a_suite_without_a_policy_uses_the_normally_layered_one(write_suite: Write, policy_dir: Path) -> None:
    path = write_suite(
        """
        - name: --config decides
          prompt: what is 2+2?
          expect: {rule: simple-confident}
        """,
        header=f"context: {{{SIMPLE}}}\n",
    )
    report = run(path, config=policy_dir / "routing.yaml")
    assert report.ok, report.render()


# --- coverage and the JSON report ------------------------------------------------------------------


def test_coverage_lists_the_rules_no_case_matched(write_suite: Write) -> None:
    report = run(
        write_suite("""
        - name: simple
          prompt: what is 2+2?
          expect: {action: route}
    """)
    )
    assert "simple-confident" not in report.coverage
    assert {"night-block", "budget-guard"} <= set(report.coverage)


def test_the_text_report_lists_unreached_rules_with_their_location_when_asked(write_suite: Write) -> None:
    text = run(
        write_suite("""
        - name: simple
          prompt: what is 2+2?
          expect: {action: route}
    """)
    ).render(coverage=True)
    assert re.search(r"^  not reached: night-block  \(\S*routing\.yaml:8\)$", text, re.MULTILINE)


def test_the_json_report_has_counts_cases_and_coverage(write_suite: Write) -> None:
    data = run(
        write_suite("""
        - name: wrong
          prompt: what is 2+2?
          expect: {tier: complex}
    """)
    ).to_dict()
    assert (data["ok"], data["total"], data["passed"], data["failed"]) == (False, 1, 0, 1)
    assert data["cases"][0]["mismatches"] == [{"field": "tier", "expected": "complex", "got": "simple"}]
    assert {"rule": "night-block", "location": data["coverage"]["unreached"][0]["location"]} in data[
        "coverage"
    ]["unreached"]


# --- invalid suites are located errors -------------------------------------------------------------


def test_an_unknown_key_in_a_case_is_located_at_the_key(write_suite: Write) -> None:
    path = write_suite("""
        - name: typo
          prompt: x
          expct: {action: route}
    """)
    assert "7:5 unknown-key /cases/0/expct" in located(path)


def test_a_value_of_the_wrong_type_is_located_at_the_value(write_suite: Write) -> None:
    path = write_suite("""
        - name: bad
          prompt: x
          expect: {executable: yes}
    """)
    assert located(path) == ["7:26 schema /cases/0/expect/executable"]


def test_a_duplicate_key_is_located(write_suite: Write) -> None:
    path = write_suite("""
        - name: dup
          name: dup again
          prompt: x
          expect: {action: route}
    """)
    assert any(p.startswith("6:5 duplicate-key") for p in located(path))


def test_a_missing_policy_file_is_located_at_the_policy_key(write_suite: Write) -> None:
    path = write_suite(
        """
        - name: x
          prompt: x
          expect: {action: route}
        """,
        header="policy: ../nowhere.yaml\n",
    )
    assert located(path) == ["1:9 missing-file /policy"]


def test_a_budget_the_policy_lacks_is_located(write_suite: Write) -> None:
    path = write_suite("""
        - name: x
          prompt: x
          context: {budgets: {anthropic-month: {spent_usd: 1}}}
          expect: {action: route}
    """)
    assert located(path) == ["7:25 unknown-budget /cases/0/context/budgets/anthropic-month"]


def test_a_time_that_is_not_a_date_is_located(write_suite: Write) -> None:
    path = write_suite("""
        - name: x
          prompt: x
          context: {now: "tuesday"}
          expect: {action: route}
    """)
    assert located(path) == ["7:20 bad-time /cases/0/context/now"]


def test_problems_of_every_suite_are_reported_together(write_suite: Write, tmp_path: Path) -> None:
    first = write_suite("""
        - {name: x, prompt: x, expect: {nope: 1}}
    """)
    second = tmp_path / "other.test.yaml"
    second.write_text("cases: []\n", encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        run_suites([first, second], settings=Settings())
    assert {p.file for p in info.value.problems} == {str(first), str(second)}


# --- through the CLI -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expect", "code"),
    [("{action: route}", 0), ("{action: block}", 4), ("{acton: route}", 3)],
    ids=["pass", "fail", "invalid"],
)
def test_policy_test_exits_0_on_pass_4_on_failure_and_3_on_an_invalid_suite(
    write_suite: Write, expect: str, code: int
) -> None:
    from llm_router.cli import main

    path = write_suite(f"""
        - name: x
          prompt: what is 2+2?
          expect: {expect}
    """)
    with pytest.raises(SystemExit) as info:
        main(["policy", "test", str(path)])
        raise SystemExit(0)
    assert info.value.code == code


def test_a_case_can_give_the_features_of_the_whole_request(policy_dir: Path) -> None:
    (policy_dir / "routing.yaml").write_text(
        POLICY + "  - {id: tools-to-cheap, when: 'has_tools and n_messages > 3', then: {route: cheap}}\n"
    )
    path = policy_dir / "tests" / "routing.test.yaml"
    path.write_text(
        textwrap.dedent("""\
        policy: ../routing.yaml
        context: {features: {complexity: complex, confidence: 9, difficulty: 0.9, task: code}, host: gateway}
        cases:
          - name: a tool loop goes to the cheap chain
            prompt: fix the failing test
            context: {request: {has_tools: true, n_messages: 6}}
            expect: {rule: tools-to-cheap}
          - name: without tools it does not
            prompt: fix the failing test
            context: {request: {n_messages: 6}}
            expect: {rule: by-difficulty}
        """)
    )
    report = run(path)
    assert report.ok, report.render()
