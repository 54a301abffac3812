"""What a `when:` expression may spend: user regexes under a CPU-time limit, strings and lists it builds and
reads under a per-rule and per-decision allowance, patterns too large to compile rejected, and the nested
quantifiers that `policy validate` and `lint` warn about."""

from __future__ import annotations

import ast
import contextlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llm_router.policy import meter
from llm_router.policy.expr import ExprBudgetError, ExprError, ExprRuntimeError, Meter, compile_expr
from llm_router.policy.namespace import CONTEXT_NAMES
from llm_router.policy.patterns import PatternError, check, nested_quantifiers

RUNAWAY = Path(__file__).parent / "data" / "runaway_expressions.txt"
BIG = ("a" * 30 + "! ") * 40_000  # 1.28 MB: runs of a's that catastrophic patterns backtrack over


def big_ns(**changes: Any) -> dict[str, Any]:
    return {"prompt": BIG, "claude_prefix": "claude:", "tokens": 320_000, **changes}


def runaway() -> list[str]:
    lines = RUNAWAY.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("# ")]


# --- the runaway corpus ----------------------------------------------------------------------------------


def test_the_runaway_corpus_covers_string_growth_scans_and_catastrophic_regexes() -> None:
    payloads = runaway()
    assert len(payloads) >= 25
    assert sum("matches(" in p for p in payloads) >= 6
    assert sum(" + " in p for p in payloads) >= 8


@pytest.mark.parametrize("payload", runaway())
def test_every_runaway_payload_compiles(payload: str) -> None:
    ast.parse(payload, mode="eval")
    compile_expr(payload, CONTEXT_NAMES)


@pytest.mark.parametrize("payload", runaway())
def test_every_runaway_payload_stops_over_budget_on_a_large_prompt(payload: str) -> None:
    with pytest.raises(ExprBudgetError):
        compile_expr(payload, CONTEXT_NAMES).evaluate(big_ns())


# --- regexes -----------------------------------------------------------------------------------------------


def test_a_catastrophic_regex_is_stopped_by_its_cpu_time_limit() -> None:
    rule = compile_expr("matches(prompt, '(a|aa)+$')", CONTEXT_NAMES)
    with pytest.raises(ExprBudgetError, match="ran out of 0.10 s of CPU time"):
        rule.evaluate({"prompt": "a" * 79 + "!"})


def test_regex_time_is_shared_by_the_rules_of_one_decision() -> None:
    rule = compile_expr("matches(prompt, '(a|aa)+$')", CONTEXT_NAMES)
    allowance = Meter()
    messages = []
    for _ in range(7):
        with pytest.raises(ExprBudgetError) as info:
            rule.evaluate({"prompt": "a" * 79 + "!"}, allowance)
        messages.append(str(info.value))
    assert all("CPU time" in m for m in messages[:5])
    assert all("no regex time left" in m for m in messages[5:])
    assert allowance.regex_s == pytest.approx(0.0, abs=1e-9)  # five rules took 0.1 s each


def test_an_ordinary_regex_still_matches() -> None:
    rule = compile_expr(r"matches(prompt, r'\bselect\b.+\bfrom\b')", CONTEXT_NAMES)
    assert rule.evaluate({"prompt": "SELECT a FROM b"}) is True
    assert rule.evaluate({"prompt": "hello"}) is False


def test_a_pattern_too_large_to_compile_is_rejected_when_the_rule_is_compiled() -> None:
    with pytest.raises(ExprError) as info:
        compile_expr("matches(prompt, '(((a{100}){100}){100}){10}')", CONTEXT_NAMES)
    assert info.value.code == "too-large" and "10,101,010" in info.value.message


def test_an_invalid_pattern_points_inside_the_literal() -> None:
    with pytest.raises(ExprError) as info:
        compile_expr("matches(prompt, r'ab(c')", CONTEXT_NAMES)
    assert (info.value.code, info.value.offset) == ("bad-regex", 20)


def test_a_pattern_built_at_run_time_is_checked_when_it_runs() -> None:
    rule = compile_expr("matches(prompt, claude_prefix)", CONTEXT_NAMES)
    with pytest.raises(ExprBudgetError, match="repeat counts multiply"):
        rule.evaluate({"prompt": "x", "claude_prefix": "(?:a{1000}){1000}"})


def test_constant_patterns_are_listed_with_their_offsets() -> None:
    rule = compile_expr("tokens > 1 and matches(prompt, 'ab+') or matches(prompt, r'\\d')", CONTEXT_NAMES)
    assert rule.patterns == ((32, "ab+", True), (59, "\\d", True))


@pytest.mark.parametrize(
    ("pattern", "position"),
    [("(a+)+", 0), ("(a|aa)*", 0), (r"(\w+\s?)*", 0), (r"x(?:y|\d+z)+", 1), ("(.+/)*", 0), ("(a+|b)*", 0)],
)
def test_nested_quantifiers_are_found_where_their_group_opens(pattern: str, position: int) -> None:
    assert [p for p, _ in nested_quantifiers(pattern)] == [position]


@pytest.mark.parametrize(
    "pattern",
    [
        "(a|b)*",
        "(?>a+)+",
        "(a+)++",
        "(?:ab|cd)+",
        "(a{2})*",
        r"(?:[\w+#-]+ ){0,5}x",
        r"\((x+)\)+",
        "a+b+c*",
        r"(?:[\w.-]+/)*",
        r"(?:,\d+)*",
        "^(?:(a|b)c*)+$",
    ],
)
def test_quantifiers_that_cannot_backtrack_catastrophically_are_not_reported(pattern: str) -> None:
    assert nested_quantifiers(pattern) == []


@pytest.mark.parametrize(
    ("pattern", "code"),
    [("(a", "bad-regex"), ("x" * 2001, "too-large"), ("(?:a{1000}){1000}", "too-large")],
)
def test_check_rejects_invalid_and_oversized_patterns(pattern: str, code: str) -> None:
    with pytest.raises(PatternError) as info:
        check(pattern)
    assert info.value.code == code


# --- strings and lists ------------------------------------------------------------------------------------


def test_string_growth_stops_within_the_rules_allowance() -> None:
    rule = compile_expr("len(prompt + prompt + prompt + prompt) > 0", CONTEXT_NAMES)
    assert rule.evaluate({"prompt": "ab"}) is True
    with pytest.raises(ExprBudgetError, match="units of work"):
        rule.evaluate({"prompt": "x" * 5_000_000})


def test_a_decision_shares_one_allowance_between_its_rules() -> None:
    rule = compile_expr("len(prompt.lower()) > 0", CONTEXT_NAMES)
    allowance = Meter(units=10_000_000)
    ns = {"prompt": "x" * 3_000_000}
    assert [rule.evaluate(ns, allowance) for _ in range(3)] == [True] * 3
    with pytest.raises(ExprBudgetError):
        rule.evaluate(ns, allowance)


def test_an_expression_with_nothing_to_meter_needs_no_allowance() -> None:
    rule = compile_expr("tokens > 3 and task == 'debug' and len(prompt) > 1", CONTEXT_NAMES)
    assert not rule.metered
    allowance = Meter(units=0, regex_s=0)
    assert rule.evaluate({"tokens": 4, "task": "debug", "prompt": "xy"}, allowance) is True


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("prompt[2:4]", "cd"),
        ("prompt + '!'", "abcdef!"),
        ("prompt.upper()", "ABCDEF"),
        ("prompt.split('c')", ["ab", "def"]),
        ("[1, 2] + [3]", [1, 2, 3]),
        ("prompt.split('c') * 2", ["ab", "def", "ab", "def"]),
        ("tokens % 4", 2),
        ("max(prompt)", "f"),
    ],
)
def test_metered_operations_compute_what_python_computes(source: str, value: Any) -> None:
    assert compile_expr(source, CONTEXT_NAMES).evaluate({"prompt": "abcdef", "tokens": 6}) == value


def test_a_budget_error_is_a_runtime_error() -> None:
    assert issubclass(ExprBudgetError, ExprRuntimeError)


def test_the_allowances_are_the_documented_constants() -> None:
    assert (meter.RULE_UNITS, meter.DECISION_UNITS) == (32_000_000, 128_000_000)
    assert (meter.RULE_REGEX_S, meter.DECISION_REGEX_S) == (0.1, 0.5)


# --- fuzz: compositions of growing and scanning operations stay bounded ---------------------------------

PIECES = ["prompt", "prompt.split()", "prompt.upper()", "prompt[::-1]", "[prompt]", "claude_prefix"]
OPS = [" + ", " * 2 + ", ", "]


@st.composite
def growth(draw: st.DrawFn) -> str:
    terms = draw(st.lists(st.sampled_from(PIECES), min_size=2, max_size=40))
    op = draw(st.sampled_from(OPS))
    body = op.join(terms)
    wrapper = draw(st.sampled_from(["len({}) >= 0", "len([{}]) >= 0", "contains(prompt, {})"]))
    return wrapper.format(body)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(growth())
def test_compositions_of_growing_operations_finish_or_stop_over_budget(source: str) -> None:
    try:
        rule = compile_expr(source, CONTEXT_NAMES)
    except ExprError:
        return
    allowance = Meter()
    with contextlib.suppress(ExprRuntimeError):
        rule.evaluate(big_ns(), allowance)
    assert allowance.units >= meter.DECISION_UNITS - meter.RULE_UNITS  # one rule spends its share at most
