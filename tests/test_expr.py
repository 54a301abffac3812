"""The `when:` expression language: what it accepts, what it rejects and where, what it computes."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from llm_router.policy import expr as expr_module
from llm_router.policy.expr import FUNCTIONS, Expr, ExprError, ExprRuntimeError, compile_expr

NAMES = frozenset(
    {"prompt", "tokens", "task", "complexity", "difficulty", "confidence", "signals", "threshold", "tier"}
    | {"host", "event", "session", "profile", "policy", "enforce", "mode", "claude_prefix", "budget"}
    | {"max_budget_pct", "health", "configured", "now", "hour", "weekday"}
)
CODES = {"expr-syntax", "unknown-name", "forbidden", "too-large", "unknown-function", "bad-regex"} | {
    "bad-arguments"
}
CORPUS = Path(__file__).parent / "data" / "sandbox_escapes.txt"


class Budget:
    used_pct = 85.0
    remaining_usd = 3.0
    spent_usd = 17.0
    limit_usd = 20.0
    exhausted = False
    period = "month"


class Health:
    configured = True
    breaker_open = False
    usable = True


NS: dict[str, Any] = {
    "prompt": "Claude: Fix the Bug in main.py\nplease",
    "tokens": 12,
    "task": "debug",
    "complexity": "simple",
    "difficulty": 0.25,
    "confidence": 7.5,
    "signals": frozenset({"has-code", "short"}),
    "threshold": 4,
    "host": "claude-code",
    "claude_prefix": "claude:",
    "budget": {"openai-month": Budget()},
    "health": {"openai": Health()},
    "configured": frozenset({"openai", "ollama"}),
    "hour": 14,
    "weekday": 2,
}


def evaluate(source: str | bool, ns: dict[str, Any] | None = None) -> Any:
    return compile_expr(source, NAMES).evaluate(NS if ns is None else ns)


def error(source: str) -> ExprError:
    with pytest.raises(ExprError) as info:
        compile_expr(source, NAMES)
    return info.value


def corpus() -> list[str]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("# ")]


# --- the sandbox-escape corpus ---------------------------------------------------------------------


def test_the_corpus_holds_at_least_forty_payloads() -> None:
    assert len(corpus()) >= 40


@pytest.mark.parametrize("payload", corpus())
def test_every_corpus_payload_is_valid_python(payload: str) -> None:
    ast.parse(f"(\n{payload}\n)", mode="eval")


@pytest.mark.parametrize("payload", corpus())
def test_every_corpus_payload_is_rejected_at_compile_with_a_code_and_offset(payload: str) -> None:
    err = error(payload)
    assert err.code in CODES
    assert err.code != "expr-syntax"
    assert 0 <= err.offset < len(payload)


# --- what each allowed construct computes ----------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("tokens > 10 and confidence >= threshold", True),
        ("tokens > 100 or complexity == 'simple'", True),
        ("not (tokens > 10)", False),
        ("tokens + 3 - 1", 14),
        ("tokens * 2", 24),
        ("tokens / 4", 3.0),
        ("tokens // 5", 2),
        ("tokens % 5", 2),
        ("tokens ** 2", 144),
        ("2 ** -1", 0.5),
        ("-tokens", -12),
        ("+difficulty", 0.25),
        ("1 < tokens <= 12", True),
        ("tokens != 12", False),
        ("'has-code' in signals", True),
        ("'vision' not in signals", True),
        ("host is None", False),
        ("host is not None", True),
        ("'route' if tokens < 100 else 'block'", "route"),
        ("[1, 2, 3]", [1, 2, 3]),
        ("(1, 'a')", (1, "a")),
        ("{'a', 'b'}", {"a", "b"}),
        ("task in ['debug', 'refactor']", True),
        ("task in ('query', 'chat')", False),
        ("budget['openai-month'].used_pct >= 80", True),
        ("budget['openai-month'].remaining_usd", 3.0),
        ("budget['openai-month'].spent_usd + budget['openai-month'].limit_usd", 37.0),
        ("budget['openai-month'].exhausted", False),
        ("budget['openai-month'].period", "month"),
        ("health['openai'].usable and not health['openai'].breaker_open", True),
        ("health['openai'].configured", True),
        ("'ollama' in configured", True),
        ("prompt[:6]", "Claude"),
        ("prompt[-6:]", "please"),
        ("prompt[0]", "C"),
        ("host[::2]", "cad-oe"),
        ("prompt.lower().startswith(claude_prefix)", True),
        ("prompt.upper().endswith('PLEASE')", True),
        ("'  x '.strip()", "x"),
        ("'xx-'.lstrip('x')", "-"),
        ("'-xx'.rstrip('x')", "-"),
        ("prompt.split()[1]", "Fix"),
        ("prompt.count('i')", 3),
        ("prompt.find('Bug')", 16),
        ("hour >= 9 and weekday < 5", True),
        ("true", True),
        ("false", False),
        ("True and not False", True),
        ("None", None),
        ("'text'", "text"),
        ("3.5", 3.5),
    ],
)
def test_allowed_constructs_evaluate_like_python(source: str, expected: Any) -> None:
    assert evaluate(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("matches(prompt, 'fix the bug')", True),
        ("matches(prompt, '^please$')", False),
        ("matches(prompt, r'main\\.py')", True),
        ("contains(prompt, 'nothing', 'MAIN.PY')", True),
        ("contains(prompt, 'nothing', 'else')", False),
        ("startswith(prompt, claude_prefix)", True),
        ("startswith(prompt, 'fix')", False),
        ("lower(host)", "claude-code"),
        ("len(prompt)", 37),
        ("min(tokens, 5)", 5),
        ("max([1, tokens, 3])", 12),
        ("abs(-difficulty)", 0.25),
        ("round(confidence)", 8),
        ("round(difficulty, 1)", 0.2),
        ("any([false, tokens > 3])", True),
        ("all([true, tokens > 30])", False),
        ("words(prompt)", 7),
        ("lines(prompt)", 2),
        ("lines('')", 0),
    ],
)
def test_registered_functions_compute_their_documented_values(source: str, expected: Any) -> None:
    assert evaluate(source) == expected


def test_the_function_registry_is_exactly_the_documented_set() -> None:
    assert set(FUNCTIONS) == {
        "matches",
        "contains",
        "startswith",
        "lower",
        "len",
        "min",
        "max",
        "abs",
        "round",
        "any",
        "all",
        "words",
        "lines",
    }


def test_matches_looks_only_at_the_first_20000_characters() -> None:
    ns = {"prompt": "a" * 20_000 + "needle"}
    assert evaluate("matches(prompt, 'needle')", ns) is False
    assert evaluate("contains(prompt, 'needle')", ns) is True


def test_matches_accepts_a_pattern_held_in_a_name() -> None:
    assert evaluate("matches(prompt, claude_prefix)") is True


def test_a_context_value_cannot_shadow_a_registered_function() -> None:
    compiled = compile_expr("len(prompt)", {"prompt", "len"})
    assert compiled.evaluate({"prompt": "abc", "len": lambda _: 99}) == 3


@pytest.mark.parametrize("source", [True, False])
def test_a_yaml_boolean_compiles_to_a_constant(source: bool) -> None:
    compiled = compile_expr(source, NAMES)
    assert compiled.evaluate({}) is source
    assert compiled.names == frozenset()


def test_an_expression_may_span_several_indented_lines() -> None:
    assert evaluate("  tokens > 3\n  and task == 'debug'\n") is True


# --- what an Expr reports about itself -------------------------------------------------------------


def test_names_lists_the_context_names_read_and_nothing_else() -> None:
    compiled = compile_expr("matches(prompt, 'x') and tokens > threshold or true", NAMES)
    assert compiled.names == frozenset({"prompt", "tokens", "threshold"})


def test_constant_keys_lists_constant_subscripts_per_name() -> None:
    compiled = compile_expr("budget['openai-month'].used_pct > 50 or budget['day'].exhausted", NAMES)
    assert compiled.constant_keys == {"budget": {"openai-month", "day"}}


def test_source_is_kept_verbatim() -> None:
    assert compile_expr("tokens  >  3", NAMES).source == "tokens  >  3"


def test_expr_is_a_slotted_class() -> None:
    assert not hasattr(compile_expr("tokens > 3", NAMES), "__dict__")
    assert isinstance(compile_expr("tokens > 3", NAMES), Expr)


# --- compile errors and where they point -----------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "code", "offset"),
    [
        ("tokens > 3 and", "expr-syntax", 14),
        ("tokens >> > 3", "expr-syntax", 10),
        ("tokens > 3 and promt == 'x'", "unknown-name", 15),
        ("tokens > 3 or prompt.__class__", "forbidden", 21),
        ("tokens > 3 and evil(prompt)", "unknown-function", 15),
        ("tokens > 3 and 'ab' * 9", "too-large", 15),
        ("tokens > 3 and len(prompt, 2)", "bad-arguments", 15),
        ("matches(prompt, 'a(b')", "bad-regex", 18),
        ("matches(prompt, \"x\" 'a[')", "bad-regex", 16),
        ("tokens > 1 and\n  prompt.__dict__", "forbidden", 24),
        ("'é' == prompt and bogus", "unknown-name", 18),
    ],
)
def test_a_compile_error_carries_its_code_and_the_offset_of_the_offending_node(
    source: str, code: str, offset: int
) -> None:
    err = error(source)
    assert (err.code, err.offset) == (code, offset)


def test_the_first_error_in_source_order_is_reported() -> None:
    assert error("bogus1 and bogus2").offset == 0


def test_an_unknown_name_hints_at_the_closest_known_name() -> None:
    assert error("complexty == 'simple'").hint == "did you mean 'complexity'?"


def test_an_unknown_function_hints_at_the_closest_registered_function() -> None:
    assert error("match(prompt, 'x')").hint == "did you mean matches()?"


def test_lowercase_true_is_a_constant_but_yes_is_not() -> None:
    assert error("true and yes").code == "unknown-name"


@pytest.mark.parametrize("source", ["", "   ", "\n"])
def test_an_empty_expression_is_a_syntax_error(source: str) -> None:
    assert error(source).code == "expr-syntax"


def test_a_non_string_source_is_a_syntax_error() -> None:
    with pytest.raises(ExprError) as info:
        compile_expr(42, NAMES)  # type: ignore[arg-type]
    assert info.value.code == "expr-syntax"


@pytest.mark.parametrize(
    "source",
    [
        "tokens > 0 or " + " or ".join(["tokens > 1"] * 400),
        "prompt == '" + "x" * 1001 + "'",
        "tokens in [" + ", ".join(["1"] * 257) + "]",
        "-" * 100 + "tokens",
    ],
    ids=["long-source", "long-string", "big-literal", "deep-nesting"],
)
def test_oversized_expressions_are_too_large(source: str) -> None:
    assert error(source).code == "too-large"


def test_an_exponent_of_64_is_allowed_and_65_is_not() -> None:
    assert evaluate("2 ** 64") == 2**64
    assert error("2 ** 65").code == "too-large"


# --- errors at evaluation time ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "ns", "cause"),
    [
        ("budget['missing'].used_pct > 1", {"budget": {}}, "KeyError"),
        ("tokens / 0 > 1", {"tokens": 1}, "ZeroDivisionError"),
        ("tokens > 'x'", {"tokens": 1}, "TypeError"),
        ("matches(prompt, claude_prefix)", {"prompt": "x", "claude_prefix": "a("}, "invalid regular"),
        ("prompt * 10 ** 9", {"prompt": "ab"}, "repetition would build more than 100,000 items"),
        ("prompt.split() * tokens", {"prompt": "a b", "tokens": 10**6}, "repetition would build"),
        ("prompt % tokens", {"prompt": "%999999999d", "tokens": 1}, "TypeError"),
        ("round(tokens, -1000000)", {"tokens": 5}, "ValueError"),
        ("tokens > 1", {}, "NameError"),
        ("prompt.period", {"prompt": "x"}, "AttributeError"),
    ],
)
def test_a_runtime_failure_becomes_one_expr_runtime_error(
    source: str, ns: dict[str, Any], cause: str
) -> None:
    compiled = compile_expr(source, NAMES)
    with pytest.raises(ExprRuntimeError, match=cause):
        compiled.evaluate(ns)


def test_small_repetitions_of_a_name_are_allowed_at_run_time() -> None:
    assert evaluate("prompt * 2", {"prompt": "ab"}) == "abab"


def test_the_repetition_limit_is_the_documented_constant() -> None:
    assert expr_module.MAX_REPEAT == 100_000
