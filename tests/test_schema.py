"""schema.validate: every way a document breaks routing.schema.json, each located with a code and a hint."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from llm_router import paths
from llm_router.policy.schema import load_schema, validate
from llm_router.policy.yamlsource import parse


def check(text: str) -> list[tuple[int, int, str, str]]:
    data, positions, problems = parse(text, "f.yaml")
    assert problems == []
    return [(p.line, p.col, p.code, p.pointer) for p in validate(data, positions, "f.yaml")]


def test_the_schema_is_valid_draft_2020_12():
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(load_schema())


def test_the_schemas_name_exactly_the_tasks_of_the_classifier():
    from llm_router.decision import TASKS

    defs = load_schema()["$defs"]
    assert tuple(defs["task"]["enum"]) == TASKS
    assert tuple(defs["task_numbers"]["properties"]) == TASKS
    suite = json.loads((paths.schemas_dir() / "policy-test.schema.json").read_text())
    assert list(_task_enums(suite)) == [list(TASKS)]


def _task_enums(node: object) -> Iterator[list[str]]:
    """Every `"task": {"enum": [...]}` in a schema document."""
    if isinstance(node, dict):
        task = node.get("task")
        if isinstance(task, dict) and "enum" in task:
            yield task["enum"]
        for value in node.values():
            yield from _task_enums(value)
    elif isinstance(node, list):
        for value in node:
            yield from _task_enums(value)


def test_an_unknown_task_in_task_bias_or_length_by_task_is_located():
    text = "classifier:\n  task_bias: {poetry: 1}\n  length: {by_task: {sonnets: 0.5}}\n"
    assert [(line, code) for line, _, code, _ in check(text)] == [(2, "unknown-key"), (3, "unknown-key")]


def test_a_file_of_only_mode_zero_claude_is_valid():
    assert check("mode: zero_claude\n") == []


def test_an_empty_document_is_valid():
    assert check("") == []


def test_the_architecture_example_is_valid():
    doc = """
version: 1
extends: [builtin:classifier, ./relative.yaml]
profile: balanced
policy: balanced
enforce: smart
mode: normal
claude_prefix: "claude:"
baseline_model: null
policies:
  aggressive: {threshold: 2, cutoffs: {moderate: 0.45, complex: 0.70, deep_reasoning: 0.88}}
tiers: [simple, moderate, complex, deep_reasoning]
chains:
  simple:
    budget: [ollama/qwen3:8b, gemini/gemini-2.5-flash-lite]
  research: [perplexity/sonar-pro]
models:
  ollama/qwen3:8b: {input_cost_per_token: 0, output_cost_per_token: 0, max_input_tokens: 32768}
budgets:
  - {id: openai-month, provider: openai, period: month, limit_usd: 20}
fallback:
  timeout_s: 60
  circuit_breaker: {failures: 3, cooldown_s: 60}
  quality_guard: {min_chars: 1, escalate_on_refusal: true, escalate_on_length: true}
rules:
  - id: explicit-claude
    when: "prompt.lower().startswith(claude_prefix)"
    then: {action: passthrough, reason: asked for Claude by prefix}
  - id: default
    when: true
    then: {route: auto}
    continue: false
"""
    assert check(doc) == []


def test_enforce_off_is_the_string_off_and_valid():
    assert check("enforce: off\n") == []


def test_misspelled_top_level_key_points_at_the_key_with_a_suggestion():
    data, positions, _ = parse("version: 1\nprofil: budget\n", "f.yaml")
    [problem] = validate(data, positions, "f.yaml")
    assert (problem.line, problem.col, problem.code, problem.pointer) == (2, 1, "unknown-key", "/profil")
    assert problem.hint == "did you mean 'profile'?"


def test_unknown_nested_key_points_at_the_key():
    assert check("fallback:\n  circuit_breaker:\n    failure: 3\n") == [
        (3, 5, "unknown-key", "/fallback/circuit_breaker/failure")
    ]


def test_continue_yes_is_a_yaml11_boolean_problem():
    text = "rules:\n  - id: a\n    when: 'true'\n    then: {route: x}\n    continue: yes\n"
    data, positions, _ = parse(text, "f")
    [problem] = validate(data, positions, "f")
    assert (problem.line, problem.col, problem.code) == (5, 15, "yaml-1.1-boolean")
    assert problem.hint == "write true or false"


def test_when_no_is_a_yaml11_boolean_problem():
    assert check("rules:\n  - id: a\n    when: no\n    then: {route: x}\n") == [
        (3, 11, "yaml-1.1-boolean", "/rules/0/when")
    ]


def test_a_word_where_an_enum_is_wanted_is_an_enum_problem():
    data, positions, _ = parse("enforce: yes\n", "f.yaml")
    [problem] = validate(data, positions, "f.yaml")
    assert problem.code == "enum"
    assert problem.hint == "one of: smart, hard, soft, off"


def test_wrong_type_says_what_was_expected():
    data, positions, _ = parse("fallback: {timeout_s: soon}\n", "f.yaml")
    [problem] = validate(data, positions, "f.yaml")
    assert (problem.code, problem.message) == ("type", "expected number, got string")


def test_alternatives_name_every_accepted_type():
    data, positions, _ = parse("extends: 3\n", "f.yaml")
    [problem] = validate(data, positions, "f.yaml")
    assert (problem.code, problem.message) == ("type", "expected string or array, got integer")


def test_chain_by_profile_rejects_unknown_profile_key():
    assert check("chains:\n  simple: {budget: [a], cheap: [b]}\n") == [
        (2, 25, "unknown-key", "/chains/simple/cheap")
    ]


def test_missing_required_budget_field():
    assert check("budgets:\n  - {id: b, period: month}\n") == [(2, 5, "required", "/budgets/0")]


def test_a_rule_needs_when_and_then_unless_it_is_disabled():
    assert check("rules:\n  - {id: a, disabled: true}\n") == []
    assert [c for _, _, c, _ in check("rules:\n  - {id: a}\n")] == ["required", "required"]


def test_every_error_is_reported():
    found = check("profile: cheap\npolicy: wild\nmode: fast\nbogus: 1\nrules: {}\n")
    assert [c for _, _, c, _ in found] == ["enum", "enum", "enum", "unknown-key", "type"]


@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_budget_periods(period: str):
    assert check(f"budgets: [{{id: b, period: {period}, limit_usd: 1}}]\n") == []


def test_budget_limit_must_be_positive():
    assert [c for _, _, c, _ in check("budgets: [{id: b, period: day, limit_usd: 0}]\n")] == ["schema"]


def test_cutoffs_are_between_0_and_1():
    assert [c for _, _, c, _ in check("policies: {balanced: {cutoffs: {complex: 1.5}}}\n")] == ["schema"]


def test_classifier_is_a_reference_to_defs():
    schema = json.loads((paths.schemas_dir() / "routing.schema.json").read_text())
    assert schema["properties"]["classifier"] == {"$ref": "#/$defs/classifier"}


def test_importing_schema_module_does_not_import_jsonschema():
    code = "import sys, llm_router.policy.schema; print('jsonschema' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_fallback_retries_and_max_wait_s_are_checked():
    assert check("fallback: {retries: 2, max_wait_s: 2.5}\n") == []
    found = check("fallback:\n  retries: -1\n  max_wait_s: fast\n")
    assert [(line, pointer) for line, _, _, pointer in found] == [
        (2, "/fallback/retries"),
        (3, "/fallback/max_wait_s"),
    ]
