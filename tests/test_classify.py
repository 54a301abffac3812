"""The classifier: features from the built-in YAML section, overrides, bounded cost, located problems."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from llm_router import classify
from llm_router.classify import Classifier, compile_classifier
from llm_router.decision import COMPLEXITIES, TASKS

BUILTIN = Path(__file__).resolve().parents[1] / "policies" / "classifier.yaml"


def builtin_section() -> dict[str, Any]:
    section: dict[str, Any] = yaml.safe_load(BUILTIN.read_text())["classifier"]
    return section


@pytest.fixture(scope="module")
def clf() -> Classifier:
    classifier, issues = compile_classifier(builtin_section(), trusted=lambda _pointer: True)
    assert issues == []
    return classifier


def test_public_surface_is_pinned() -> None:
    assert classify.__all__ == ["Classifier", "compile_classifier"]


def test_builtin_file_holds_only_a_classifier_section() -> None:
    assert list(yaml.safe_load(BUILTIN.read_text())) == ["classifier"]


def test_trivial_and_hard_prompts_are_far_apart(clf: Classifier) -> None:
    easy = clf.classify("what is 2+2?")
    hard = clf.classify("design a distributed tracing strategy for 40 services")
    assert easy.difficulty < 0.2
    assert hard.difficulty > 0.7


@pytest.mark.parametrize(
    ("prompt", "task"),
    [
        ("what is 2+2?", "math"),
        ("hi", "chat"),
        ("thanks, how are you?", "chat"),
        ("Write a haiku about autumn leaves", "creative"),
        ("Fix this TypeError: undefined is not a function", "debug"),
        ("Refactor this function to use async/await", "refactor"),
        ("Prove that there are infinitely many primes", "math"),
        ("Explain how TCP congestion control works", "explain"),
        ("Summarize the following text in 3 bullet points", "generate"),
        ("Implement a lock-free concurrent queue in Rust", "code"),
        ("what is the capital of France?", "query"),
        ("Compare the pros and cons of Postgres and MongoDB for analytics", "analysis"),
        ("Find recent papers and the state of the art in retrieval-augmented generation", "research"),
        ("Draft an email to my landlord about the broken heater", "generate"),
        ("Ann is older than Ben and Ben is older than Cy. Who is youngest?", "reasoning"),
        ("Extract every date and amount from the text below as JSON: 'Paid $40 on 3 May'", "extraction"),
        ("Given a list of integers, return the second-largest distinct value", "code"),
        ("Write a bash one-liner that gzips every .log file older than 7 days", "code"),
        ("SQL to find all email addresses that appear more than once in the users table", "code"),
        ("Simplify (x² − 9)/(x² + x − 6)", "math"),
        ("Tom is older than Priya. Priya is older than Lucas. Is Lucas older than Tom?", "reasoning"),
        ("Based only on the text, when is a refund possible? Text: 'Refunds within 30 days.'", "extraction"),
    ],
)
def test_task_of_varied_prompts(clf: Classifier, prompt: str, task: str) -> None:
    assert clf.classify(prompt).task == task


@pytest.mark.parametrize(
    ("prompt", "complexity"),
    [
        ("hi", "simple"),
        ("what is the capital of France?", "simple"),
        ("Write a haiku about autumn leaves", "simple"),
        ("design a distributed tracing strategy for 40 services", "complex"),
        (
            "Design a fault-tolerant distributed consensus protocol, prove its safety invariant by induction "
            "and analyze the latency and throughput trade-offs under network partitions.",
            "deep_reasoning",
        ),
    ],
)
def test_complexity_of_varied_prompts(clf: Classifier, prompt: str, complexity: str) -> None:
    assert clf.classify(prompt).complexity == complexity


@pytest.mark.parametrize(
    ("prompt", "not_task"),
    [
        ("Main causes of the 1929 stock market crash?", "debug"),  # one failure word is not a bug report
        ("He throws the onion out of the window. What happens next?", "debug"),
        ("The testimony is offered to prove the truck ran the red light. Is it hearsay?", "math"),
        ("Players line up in the centre circle. What do they most likely do next?", "math"),
        ("The meeting ran 3-4 minutes over on 2024-05-01; write a short apology", "math"),
    ],
)
def test_everyday_words_are_not_task_cues(clf: Classifier, prompt: str, not_task: str) -> None:
    assert clf.classify(prompt).task != not_task


def test_multiple_choice_scores_below_the_same_open_question(clf: Classifier) -> None:
    stem = "A bond's modified duration is 6. Yields rise by 50 basis points. How much does its price move?"
    open_q, mc = clf.classify(stem), clf.classify(stem + "\nA. -1%\nB. -3%\nC. +3%\nD. -6%")
    assert "choices" in mc.signals and "choices" not in open_q.signals
    assert mc.difficulty < open_q.difficulty


def test_features_are_in_range(clf: Classifier) -> None:
    for prompt in ["", "x", "hello there", "why " * 500, "```\nint main() { return 0; }\n```"]:
        f = clf.classify(prompt)
        assert f.task in TASKS and f.complexity in COMPLEXITIES
        assert 0.0 <= f.difficulty <= 1.0 and 0.0 <= f.confidence <= 10.0


def test_tokens_are_estimated_from_the_whole_prompt(clf: Classifier) -> None:
    assert clf.classify("a" * 4000).tokens == 1000


def test_contributions_sum_to_the_difficulty_logit(clf: Classifier) -> None:
    for prompt in [
        "what is 2+2?",
        "design a distributed tracing strategy for 40 services",
        "hi",
        "What does this error mean: KeyError 'x'",
    ]:
        f = clf.classify(prompt)
        logit = math.log(f.difficulty / (1 - f.difficulty))
        assert clf.logit(f) == pytest.approx(logit, abs=1e-6)


def test_contributions_name_what_raised_the_score(clf: Classifier) -> None:
    f = clf.classify("design a distributed tracing strategy for 40 services")
    labels = dict(f.contributions)
    assert labels["signal:design"] > 0 and "length" in labels and "bias" in labels


def test_override_rule_sets_task_complexity_and_confidence(clf: Classifier) -> None:
    f = clf.classify("What does this error mean: KeyError 'x'")
    assert (f.task, f.complexity, f.confidence) == ("explain", "simple", 8.0)
    assert f.signals[-1] == "explain-error"


def test_override_moves_difficulty_into_the_band_it_sets() -> None:
    section = {
        "bias": 3.0,
        "rules": [{"id": "easy", "match": "^easy", "set": {"complexity": "simple"}}],
    }
    clf, issues = compile_classifier(section)
    assert issues == []
    f = clf.classify("easy one")
    assert f.complexity == "simple" and f.difficulty < 0.35
    assert dict(f.contributions)["rule:easy"] < 0


def test_first_matching_rule_wins() -> None:
    clf, _ = compile_classifier(
        {
            "rules": [
                {"id": "a", "match": "x", "set": {"task": "math"}},
                {"id": "b", "match": "x", "set": {"task": "code"}},
            ]
        }
    )
    f = clf.classify("x")
    assert f.task == "math" and f.signals == ("a",)


def test_signals_fire_in_order_and_vote_for_tasks() -> None:
    clf, _ = compile_classifier(
        {
            "signals": [
                {"id": "py", "words": ["python"], "task": "code", "weight": 1.0},
                {"id": "fence", "phrases": ["```"], "task": "code"},
                {"id": "poem", "words": ["poem"], "task": "creative"},
            ]
        }
    )
    f = clf.classify("```\na python poem")
    assert f.signals == ("py", "fence", "poem") and f.task == "code"


def test_counted_signal_is_capped_by_max_count() -> None:
    clf, _ = compile_classifier({"signals": [{"id": "n", "match": r"\d", "weight": 0.5, "max_count": 3}]})
    assert dict(clf.classify("1 2 3 4 5 6").contributions)["signal:n"] == pytest.approx(1.5)


def test_min_count_gates_a_signal_and_max_count_still_caps_its_weight() -> None:
    clf, _ = compile_classifier(
        {"signals": [{"id": "n", "match": r"\d", "weight": 0.5, "min_count": 3, "max_count": 1}]}
    )
    assert "n" not in clf.classify("1 2").signals
    assert dict(clf.classify("1 2 3 4").contributions)["signal:n"] == pytest.approx(0.5)


def test_a_list_of_regexes_counts_the_hits_of_each() -> None:
    clf, _ = compile_classifier(
        {"signals": [{"id": "n", "match": [r"\d", "x"], "weight": 0.5, "max_count": 5}]}
    )
    assert dict(clf.classify("1 x 2").contributions)["signal:n"] == pytest.approx(1.5)


def test_a_bad_regex_in_a_list_is_an_issue_at_its_index() -> None:
    _, issues = compile_classifier({"signals": [{"id": "n", "match": ["ok", "ab(c"]}]})
    assert [(i.pointer, i.code) for i in issues] == [("/classifier/signals/0/match/1", "bad-regex")]


def test_disabled_items_are_ignored() -> None:
    clf, _ = compile_classifier({"signals": [{"id": "x", "words": ["x"], "weight": 5, "disabled": True}]})
    assert clf.classify("x").signals == ()


def test_bad_regex_is_an_issue_with_pointer_and_offset() -> None:
    section = builtin_section()
    section["signals"][3] = {"id": "broken", "match": "ab(c", "weight": 1}
    _, issues = compile_classifier(section)
    found = [(i.pointer, i.code, i.offset) for i in issues]
    assert found == [("/classifier/signals/3/match", "bad-regex", 2)]


def test_every_problem_is_reported() -> None:
    _, issues = compile_classifier(
        {
            "bias": "high",
            "task_bias": {"poetry": 1},
            "length": {"by_task": {"sonnets": 0.5}},
            "bands": {"moderate": 0.9, "complex": 0.5},
            "signals": [{"id": "a", "words": ["two words"], "task": "dance"}, {"id": "a", "match": "["}],
            "rules": [{"id": "r", "match": "x", "set": {"complexity": "hard"}}],
            "colour": "blue",
        }
    )
    assert sorted((i.pointer, i.code) for i in issues) == [
        ("/classifier/bands", "bad-bands"),
        ("/classifier/bias", "bad-type"),
        ("/classifier/colour", "unknown-key"),
        ("/classifier/length/by_task/sonnets", "unknown-task"),
        ("/classifier/rules/0/set/complexity", "unknown-complexity"),
        ("/classifier/signals/0/task", "unknown-task"),
        ("/classifier/signals/0/words/0", "not-a-word"),
        ("/classifier/signals/1/id", "duplicate-id"),
        ("/classifier/signals/1/match", "bad-regex"),
        ("/classifier/task_bias/poetry", "unknown-task"),
    ]


def test_length_weight_per_task_applies_above_the_pivot_only() -> None:
    clf, issues = compile_classifier(
        {
            "length": {"weight": 1.0, "pivot": 10, "min": -5, "max": 5, "by_task": {"extraction": 0.25}},
            "signals": [{"id": "x", "words": ["extract"], "task": "extraction"}],
        }
    )
    assert issues == []
    long_text, short_text = "extract " + "word " * 200, "extract it"  # ~252 and 3 tokens, pivot 10
    long_effect = dict(clf.classify(long_text).contributions)["length"]
    assert long_effect == pytest.approx(0.25 * math.log(clf.classify(long_text).tokens / 10))
    other = dict(clf.classify(long_text.replace("extract", "analyse")).contributions)["length"]
    assert other == pytest.approx(4 * long_effect, rel=0.01)  # another task: the full weight
    short = clf.classify(short_text)  # a short prompt keeps the full weight (stays low)
    assert dict(short.contributions)["length"] == pytest.approx(math.log(short.tokens / 10))


def test_lexicon_can_be_switched_off(tmp_path: Path) -> None:
    lexicon = tmp_path / "lex.json"
    lexicon.write_text('{"words": {"quantum": 2.0}}')
    on, issues = compile_classifier({"lexicon": {"file": str(lexicon), "weight": 0.5}})
    off, _ = compile_classifier({"lexicon": {"file": str(lexicon), "weight": 0}})
    assert issues == []
    assert dict(on.classify("quantum things").contributions)["lexicon"] == pytest.approx(1.0)
    assert "lexicon" not in dict(off.classify("quantum things").contributions)


def test_missing_lexicon_is_an_issue() -> None:
    _, issues = compile_classifier({"lexicon": {"file": "builtin:no-such-lexicon", "weight": 1}})
    assert [(i.pointer, i.code) for i in issues] == [("/classifier/lexicon/file", "bad-lexicon")]


# --- users' patterns: bounded, or rejected -----------------------------------------------------------------

CATASTROPHIC = "(a|aa)+$"  # backtracks exponentially on a run of a's that ends in a near-miss


def test_a_users_catastrophic_signal_pattern_stops_at_its_time_limit_and_says_so() -> None:
    clf, issues = compile_classifier({"signals": [{"id": "evil", "match": CATASTROPHIC, "weight": 3}]})
    assert issues == []
    f = clf.classify("a" * 79 + "!")
    assert "evil" not in f.signals and ("timeout:evil", 0.0) in f.contributions


def test_a_users_catastrophic_override_does_not_match_and_the_next_one_is_tried() -> None:
    clf, _ = compile_classifier(
        {
            "rules": [
                {"id": "evil", "match": CATASTROPHIC, "set": {"task": "math"}},
                {"id": "plain", "match": "!", "set": {"task": "code"}},
            ]
        }
    )
    f = clf.classify("a" * 79 + "!")
    assert (f.task, f.signals) == ("code", ("plain",))
    assert ("timeout:evil", 0.0) in f.contributions


def test_a_users_pattern_too_large_to_compile_is_rejected_with_its_pointer() -> None:
    _, issues = compile_classifier(
        {"signals": [{"id": "big", "match": "(?:(?:a{100}){100}){10}", "weight": 1}]}
    )
    assert [(i.pointer, i.code) for i in issues] == [("/classifier/signals/0/match", "too-large")]


def test_users_patterns_share_a_quarter_second_per_classification() -> None:
    section = {"signals": [{"id": f"s{i}", "match": CATASTROPHIC, "weight": 1} for i in range(10)]}
    clf, _ = compile_classifier(section)
    assert [s.finditer.__self__.timeout for s in clf.signals] == [0.025] * 10  # type: ignore[union-attr]


def test_only_the_builtin_files_patterns_run_on_re(clf: Classifier) -> None:
    owners = [s.finditer.__self__ for s in clf.signals if s.finditer is not None]  # type: ignore[union-attr]
    patterns = [p for o in owners for p in getattr(o, "patterns", (o,))]  # a list of regexes is an AnyOf
    kinds = {type(getattr(p, "compiled", p)).__name__ for p in patterns}  # Anchored/Prefiltered wrap one
    user, _ = compile_classifier({"signals": [{"id": "x", "match": "x+", "weight": 1}]})
    assert kinds == {"Pattern"}
    assert type(user.signals[0].finditer.__self__).__name__ == "UserPattern"  # type: ignore[union-attr]


def test_the_builtin_patterns_hold_no_nested_quantifiers() -> None:
    from llm_router.policy.patterns import nested_quantifiers

    section = builtin_section()
    matches = [item["match"] for key in ("signals", "rules") for item in section[key] if "match" in item]
    patterns = [p for m in matches for p in (m if isinstance(m, list) else [m])]
    assert len(patterns) >= 10
    assert {p: nested_quantifiers(p) for p in patterns if nested_quantifiers(p)} == {}


def test_huge_prompts_cost_about_the_same_as_long_ones(clf: Classifier) -> None:
    unit = "Refactor the scheduler so that retries use exponential backoff; must keep 3 queues.\n"
    long, huge = unit * 100, unit * 2500  # ~8k and ~200k characters

    def cost(prompt: str) -> float:
        best = math.inf
        for _ in range(5):
            start = time.perf_counter()
            clf.classify(prompt)
            best = min(best, time.perf_counter() - start)
        return best

    assert clf.window(huge) == huge[: clf.head] + "\n" + huge[-clf.tail :]
    assert cost(huge) < 5 * cost(long) + 0.001


PROMPTS = [
    "what is 2+2?",
    "hi",
    "Write a limerick about a cat who codes",
    "Explain the difference between a process and a thread",
    "Fix this bug: my Python script crashes with KeyError 'id' when the JSON has no id field",
    "Refactor this class to remove duplication:\n```python\nclass A:\n    def f(self): return 1\n```",
    "Design a multi-region active-active architecture for a payments service with exactly-once semantics",
    "A train leaves at 3pm at 60 mph; another leaves at 4pm at 80 mph. When does the second catch up?",
    "Summarize this article in two sentences.",
    "Extract all dates and amounts from the following invoice text and return them as JSON.",
]


def test_features_of_a_prompt_set(clf: Classifier, snapshot: Any) -> None:
    rows = [{"prompt": p, **clf.classify(p).to_dict()} for p in PROMPTS]
    assert rows == snapshot
