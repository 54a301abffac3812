"""The classifier's per-policy plan gives what the signals' own regexes give: the digit gate rules out only
patterns that cannot match, and a signal searched through its parts counts what its `finditer` counts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from llm_router.classify import _plan
from llm_router.classify._analysis import needs_digit
from llm_router.classify._classifier import Classifier

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = [
    json.loads(line)["prompt"]
    for name in ("prompts40.jsonl", "eval-sample.jsonl")
    for line in (ROOT / "tests" / "data" / name).open()
]


@pytest.mark.parametrize(
    ("pattern", "needs"),
    [
        (r"\d+", True),
        (r"v\d+ to v\d", True),
        (r"(?:\d)+x", True),
        (r"(?s)\A(?=\D*\d).*?how", True),
        (r"(?<=\d)x", True),
        (r"[0-9]", True),
        (r"a|\d", False),
        (r"[0-9a]", False),
        (r"[^\d]", False),
        (r"\d?x", False),
        (r"(?!\d)x", False),
        (r"\D", False),
    ],
)
def test_a_pattern_needs_a_digit_only_when_every_match_holds_one(pattern: str, needs: bool) -> None:
    assert needs_digit(re.compile(pattern)) is needs


def test_no_builtin_pattern_said_to_need_a_digit_matches_a_text_without_one(clf: Classifier) -> None:
    gated = [
        _plan.inner(pattern)
        for signal, gates in zip(clf.signals, clf._digit_gates, strict=True)
        if gates is not None
        for pattern, gate in zip(_plan.members(signal.finditer) or (), gates, strict=True)
        if gate
    ]
    assert len(gated) >= 5
    texts = [re.sub(r"\d", "", p) for p in PROMPTS]
    assert [(p.pattern, t) for p in gated for t in texts if p.search(t)] == []


def test_signals_searched_through_the_plan_give_the_features_their_regexes_give(clf: Classifier) -> None:
    plain = Classifier.__new__(Classifier)
    for name in Classifier.__slots__:
        setattr(plain, name, getattr(clf, name))
    plain._digit_gates = ()  # no parts: every regex goes through its signal's own finditer
    plain._code = None  # generated again for that plan
    plain._derive()
    assert all(step[5] is None for step in plain._plan)
    assert any(step[5] is not None for step in clf._plan)
    variants = [v for p in PROMPTS for v in (p, p.upper(), "  " + p, " ".join([p] * 20))]
    assert [clf.classify(v) for v in variants] == [plain.classify(v) for v in variants]
