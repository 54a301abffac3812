"""The classifier's generated function: the tests that stand in for a regex search rule out only texts the
pattern cannot match, a `(?i)` pattern searched lowercased finds what it finds, and no text of a policy is
ever written into the generated code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import CodeType
from typing import Any

import pytest

from llm_router.classify import _plan, compile_classifier
from llm_router.classify._analysis import folded, gates, literal_rest
from llm_router.classify._classifier import Classifier

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = [
    json.loads(line)["prompt"]
    for name in ("prompts40.jsonl", "eval-sample.jsonl")
    for line in (ROOT / "tests" / "data" / name).open()
]
TEXTS = [v for p in PROMPTS for v in (p, p.upper(), p.lower(), "  " + p, "- " + p, "")]


def _passes(gate: tuple[Any, ...], text: str) -> bool:
    """Whether a text passes one gate, as the generated code tests it."""
    kind = gate[0]
    if kind == "always":
        return True
    if kind == "len":
        return gate[1] <= len(text) and (gate[2] is None or len(text) <= gate[2])
    if kind == "literals":
        return any(lit in text for lit in gate[1])
    if kind == "upper":
        return text != text.lower()
    if kind == "atoms":
        return (gate[1] and re.search(r"\d", text) is not None) or any(ch in text for ch in gate[2])
    skip = re.match(r"\W*", text).end() if gate[1] else 0  # type: ignore[union-attr]
    return text[skip : skip + 1] in frozenset(gate[2])


@pytest.mark.parametrize(
    ("pattern", "kinds"),
    [
        (r"\A", ["always"]),
        (r"^", ["always"]),
        (r"(?s)\A.{0,70}\Z", ["len"]),
        (r"\A\W*(?:[Ww]hat|[Hh]ow) is", ["first", "literals"]),
        (r"\A\W*[Ww]hat\b|\A\W*[Ww]here\b", ["first", "literals"]),
        (r"\Awhere", ["first", "literals"]),
        (r"\A\W*[+a]", []),  # `+` is not a word character: `\W*` could give it back
        (r"\A\W*(?:a|)b", ["first"]),
        (r"(?m)^\W*a", ["atoms"]),  # any line's start: only what every match holds
        (r"[<>]\d|\^", ["atoms"]),
        (r"[A-Z]x?[a-z]", ["upper"]),
        (r"(?i)\A\W*what", []),
    ],
)
def test_gates_are_read_from_the_pattern(pattern: str, kinds: list[str]) -> None:
    assert [g[0] for g in gates(re.compile(pattern))] == kinds


def test_a_text_that_fails_a_gate_is_not_matched_by_its_pattern(clf: Classifier) -> None:
    patterns = [
        _plan.inner(p) for s in clf.signals for p in _plan.members(s.finditer) or () if gates(_plan.inner(p))
    ]
    assert len(patterns) >= 10
    extra = ["what is 2+2", "x^2", "3 > 1", "² of", "Where is it", "### Current state", "given a list"]
    wrong = [
        (p.pattern, g, t)
        for p in patterns
        for g in gates(p)
        for t in TEXTS + extra
        if g[0] not in ("always", "len") and not _passes(g, t) and p.search(t)
    ]
    assert wrong == []


def test_always_and_len_gates_are_the_search_itself(clf: Classifier) -> None:
    exact = [
        (_plan.inner(p), g)
        for s in clf.signals
        for p in _plan.members(s.finditer) or ()
        for g in gates(_plan.inner(p))
        if g[0] in ("always", "len")
    ]
    assert exact
    assert [(p.pattern, t) for p, g in exact for t in TEXTS if _passes(g, t) != bool(p.match(t))] == []


@pytest.mark.parametrize(
    ("pattern", "folds"),
    [
        (r"(?i)abc\b", True),
        (r"(?i)[a-z]+\s*:", True),
        (r"(?i)aBc", False),  # an uppercase letter
        (r"(?i)[A-Z]x", False),
        (r"(?i)(a)\1", False),  # a backreference
        (r"(?i)é", False),  # not ASCII
        (r"(?i)a(?-i:b)", False),  # a group that changes case-insensitivity
        (r"abc", False),
    ],
)
def test_only_a_pattern_lowercase_and_ascii_under_i_is_folded(pattern: str, folds: bool) -> None:
    assert (folded(re.compile(pattern)) is not None) is folds


def test_a_folded_pattern_finds_in_the_lowered_text_what_the_pattern_finds_in_the_text(
    clf: Classifier,
) -> None:
    pairs = [
        (_plan.inner(p), f)
        for s, fs in zip(clf.signals, clf._folded, strict=True)
        for p, f in zip(_plan.members(s.finditer) or (), fs or (), strict=True)
        if f is not None
    ]
    assert pairs
    ascii_texts = [t for t in TEXTS if t.isascii()] + ["A Python Script that parses logs", "SQL: select"]
    assert [
        (p.pattern, t)
        for p, f in pairs
        for t in ascii_texts
        if [m.span() for m in p.finditer(t)] != [m.span() for m in f.finditer(t.lower())]
    ] == []


@pytest.mark.parametrize(
    ("pattern", "rest"),
    [
        (r"(?<![/\w.-])[\w-]++\.(?:py|ya?ml)\b", r"\.(?:py|ya?ml)\b"),
        (r"\bin (?:src|lib)/\w+", r"in (?:src|lib)/\w+"),
        (r"(?:[Tt]his|[Tt]he) (?:repo|codebase)\b", r" (?:repo|codebase)\b"),
        (r"(?s)[A-Z]x(?<=Ax)y", r"x(?<=Ax)y"),  # the flags come along
        (r"abc", None),  # opens with a literal: `re` scans for it already
        (r"\d+", None),  # no literal
        (r"(\w)x\1", None),  # a backreference
        (r"(?i)[a-z]+ for", None),  # case-insensitive
        (r"\A\W*what", None),  # can match only at the start
        (r"[ab]x|[cd]y", None),  # an alternation at the top: no literal every match holds in one place
    ],
)
def test_the_rest_from_the_first_literal_is_cut_from_the_pattern(pattern: str, rest: str | None) -> None:
    found = literal_rest(re.compile(pattern))
    assert (None if found is None else found.pattern) == rest
    if found is not None:
        assert found.flags == re.compile(pattern).flags


def test_every_text_a_built_in_pattern_matches_holds_a_match_of_its_rest(clf: Classifier) -> None:
    pairs = [
        (_plan.inner(p), r)
        for s, rs in zip(clf.signals, clf._tails, strict=True)
        for p, r in zip(_plan.members(s.finditer) or (), rs or (), strict=True)
        if r is not None
    ]
    assert len(pairs) >= 4
    extra = ["see src/app/main.py", "in lib/x", "the repo is", "tests for the parse_args", "Write a function"]
    assert [(p.pattern, t) for p, r in pairs for t in TEXTS + extra if p.search(t) and not r.search(t)] == []


def test_a_text_without_the_rest_is_not_searched_by_the_generated_code(clf: Classifier) -> None:
    # needs-path's file pattern: its rest is the extension; a prompt about software with none has no path
    prompt = "our django service keeps timing out under load; any idea why in production"
    assert "needs-path" not in clf.classify(prompt).signals
    assert "needs-path" in clf.classify(prompt + " see app.py").signals


def _constants(code: CodeType) -> list[Any]:
    out: list[Any] = []
    for const in code.co_consts:
        out.extend(_constants(const) if isinstance(const, CodeType) else [const])
    return out


def test_no_text_of_the_policy_is_written_into_the_generated_code() -> None:
    evil = 'x") or __import__("os").system("true") or ("'
    section = {
        "signals": [
            {"id": evil, "words": ["deploy"], "phrases": [evil.lower()], "weight": 1.0, "task": "code"},
            {"id": "b", "match": "(?i)\\Awhat " + re.escape(evil), "requires": evil, "weight": 0.5},
        ],
        "rules": [{"id": evil, "match": re.escape(evil), "set": {"complexity": "complex"}}],
    }
    clf, issues = compile_classifier(section, trusted=lambda _pointer: True)
    assert not issues
    strings = [c for c in _constants(clf._code) if isinstance(c, str)]
    assert not [s for s in strings if "system" in s or "deploy" in s]
    features = clf.classify("please deploy " + evil)
    assert evil in features.signals
    assert features.complexity == "complex"


def test_a_classifier_rebuilt_from_its_state_runs_the_same_code(clf: Classifier) -> None:
    from llm_router.policy import compiled_cache

    specs, number = compiled_cache.numbering()
    state = clf.state(number)
    again = Classifier.from_state(state, compiled_cache.Patterns(specs))
    assert again._code is clf._code
    variants = [v for p in PROMPTS for v in (p, p.upper(), " ".join([p] * 30))]
    assert [again.classify(v) for v in variants] == [clf.classify(v) for v in variants]


def test_the_ascii_characters_skipped_before_the_first_word_are_those_backslash_w_does_not_find() -> None:
    from llm_router.classify._codegen import _ASCII_NOT_WORD

    assert sorted(_ASCII_NOT_WORD) == [chr(x) for x in range(128) if re.fullmatch(r"\W", chr(x))]
