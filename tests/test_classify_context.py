"""The classifier's context mechanisms: `requires` / `unless`, `needs`, `lead` phrases after lead filler,
and `length.by_signal`; each a small section compiled on its own, and its problems located."""

from __future__ import annotations

import math

import pytest

from llm_router.classify import compile_classifier

CONTEXT = {"id": "software", "words": ["python"]}


def test_a_signal_that_requires_another_fires_only_with_it() -> None:
    clf, issues = compile_classifier(
        {"signals": [CONTEXT, {"id": "refactor", "words": ["rename"], "requires": "software", "weight": 1.0}]}
    )
    assert issues == []
    assert "refactor" in clf.classify("rename the python module").signals
    assert "refactor" not in clf.classify("rename the cat").signals


def test_requires_is_any_of_its_signals() -> None:
    clf, _ = compile_classifier(
        {
            "signals": [
                CONTEXT,
                {"id": "names", "match": "_[a-z]"},
                {"id": "ask", "words": ["add"], "requires": ["software", "names"]},
            ]
        }
    )
    assert "ask" in clf.classify("add a retry to load_orders").signals


def test_unless_keeps_a_signal_from_firing() -> None:
    clf, _ = compile_classifier(
        {
            "signals": [
                {"id": "lettered", "phrases": ["\na. "]},
                {"id": "software", "words": ["python"], "unless": "lettered"},
            ]
        }
    )
    assert "software" in clf.classify("a python question").signals
    assert "software" not in clf.classify("a python question\na. one\nb. two").signals


def test_requires_and_unless_name_only_signals_above() -> None:
    _, issues = compile_classifier(
        {
            "signals": [
                {"id": "late", "words": ["x"], "requires": "later"},
                {"id": "later", "words": ["y"], "unless": ["nowhere"]},
            ]
        }
    )
    assert sorted((i.pointer, i.code) for i in issues) == [
        ("/classifier/signals/0/requires", "unknown-signal"),
        ("/classifier/signals/1/unless/0", "unknown-signal"),
    ]


def test_needs_of_fired_signals_become_features() -> None:
    clf, _ = compile_classifier(
        {
            "signals": [
                {"id": "file", "match": r"\w\.py\b", "needs": ["workspace"]},
                {"id": "run", "phrases": ["run the tests"], "needs": ["workspace", "tools"]},
            ]
        }
    )
    f = clf.classify("look at auth.py")
    assert (f.needs_workspace, f.needs_tools) == (True, False)
    f = clf.classify("run the tests")
    assert (f.needs_workspace, f.needs_tools) == (True, True)
    assert clf.classify("hello").to_dict()["needs_workspace"] is False


def test_an_unknown_need_is_an_issue() -> None:
    _, issues = compile_classifier({"signals": [{"id": "x", "words": ["x"], "needs": ["internet"]}]})
    assert [(i.pointer, i.code) for i in issues] == [("/classifier/signals/0/needs/0", "unknown-need")]


@pytest.fixture
def leads():  # type: ignore[no-untyped-def]
    clf, issues = compile_classifier(
        {
            "lead_filler": ["ok", "so", "please", "can you", "can you please"],
            "signals": [{"id": "ask", "lead": ["add", "set up", "do a"], "task": "code"}],
        }
    )
    assert issues == []
    return clf


@pytest.mark.parametrize(
    "prompt", ["add a flag", "Ok so, can you please add a flag", "**set up** CI", "please do a review"]
)
def test_a_lead_phrase_opens_the_prompt_after_filler(leads, prompt: str) -> None:  # type: ignore[no-untyped-def]
    assert "ask" in leads.classify(prompt).signals


@pytest.mark.parametrize(
    "prompt", ["I want to add a flag", "address the comments", "setup.py is broken", "do it"]
)
def test_a_lead_phrase_elsewhere_or_inside_a_word_does_not_count(leads, prompt: str) -> None:  # type: ignore[no-untyped-def]
    assert "ask" not in leads.classify(prompt).signals


def test_length_by_signal_lowers_the_weight_above_the_pivot_and_raises_the_floor() -> None:
    section = {
        "length": {
            "weight": 1.0,
            "pivot": 10,
            "min": -2,
            "max": 5,
            "by_signal": {"sw": {"weight": 0.5, "min": -1}},
        },
        "signals": [{"id": "sw", "words": ["python"]}],
    }
    clf, issues = compile_classifier(section)
    assert issues == []
    long_text = "python " + "word " * 100
    f = clf.classify(long_text)
    assert dict(f.contributions)["length"] == pytest.approx(0.5 * math.log(f.tokens / 10))
    assert dict(clf.classify("python").contributions)["length"] == pytest.approx(-1.0)
    assert dict(clf.classify("word").contributions)["length"] == pytest.approx(
        -2.0
    )  # no signal: the usual floor


def test_length_by_signal_names_a_known_signal_and_known_keys() -> None:
    _, issues = compile_classifier(
        {
            "length": {"by_signal": {"ghost": {"weight": 0.5}, "sw": {"slope": 1}}},
            "signals": [CONTEXT | {"id": "sw"}],
        }
    )
    assert sorted((i.pointer, i.code) for i in issues) == [
        ("/classifier/length/by_signal/ghost", "unknown-signal"),
        ("/classifier/length/by_signal/sw/slope", "unknown-key"),
    ]
