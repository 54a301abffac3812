"""The second-stage classifier (`classifier.llm`): a model asked for task, complexity and needs_workspace when
the heuristic is unsure, through `router.decide`, against the stand-in provider (LiteLLM called for real).
Every failure (garbage, a wrong schema, a provider error, a timeout, a cost over the cap) leaves the
heuristic's classification; hooks never run it in their own process."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llm_router import paths, router
from llm_router.cli import main
from llm_router.decision import Decision, Request
from llm_router.errors import PolicyError
from llm_router.llmclassify import BadAnswer, Verdict, parse, take_in
from llm_router.testing import FakeProvider

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:pydantic", "ignore::DeprecationWarning:litellm")

KEY = "sk-test-llm-classifier-0123456789"
PROMPT = "should the export job move to a queue, or stay a cron for now?"
COMPLEX = '{"task": "analysis", "complexity": "complex", "needs_workspace": false}'
CHEAP = {"input_cost_per_token": 1.0e-6, "output_cost_per_token": 2.0e-6}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProvider]:
    with FakeProvider(slow_s=2.0) as provider:
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", provider.openai_base)
        yield provider


def write_policy(folder: Path, **llm: Any) -> Path:
    """A policy file that enables the second stage with `llm` over these defaults."""
    section = {
        "enabled": True,
        "models": ["openai/judge", "openai/backup"],
        "below_confidence": 11,
        "timeout_s": 5,
        "max_cost_usd": 0.01,
        **llm,
    }
    policy = {
        "version": 1,
        "models": {"openai/judge": CHEAP, "openai/backup": CHEAP},
        "classifier": {"llm": section},
    }
    path = folder / "policy.yaml"
    path.write_text(json.dumps(policy), encoding="utf-8")  # JSON is YAML
    return path


def decide(policy: Path, prompt: str = PROMPT, **kw: Any) -> Decision:
    return router.decide(Request(prompt), settings=router.Settings(config=policy), **kw)


def heuristic(policy: Path, prompt: str = PROMPT) -> Decision:
    return decide(policy, prompt, second_stage=False)


def rows(home: Path, sql: str) -> list[sqlite3.Row]:
    conn = sqlite3.connect(home / ".llm-router" / "usage.db")
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def cli(*argv: str) -> int:
    """Run `llm-router ARGV` in this process; its exit code."""
    try:
        returned = main(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    return returned if isinstance(returned, int) else 0


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    return write_policy(tmp_path)


# --- what it does when a model answers ----------------------------------------------------------------


def test_it_is_off_by_default(fake: FakeProvider) -> None:
    decision = router.decide(Request(PROMPT))
    assert decision.second_stage is None and fake.seen == []


def test_an_unsure_prompt_takes_the_models_answer(fake: FakeProvider, policy: Path) -> None:
    fake.script("judge", "ok", answer=COMPLEX)
    decision = decide(policy)
    assert (decision.task, decision.complexity, decision.tier) == ("analysis", "complex", "complex")
    assert "llm-classifier" in decision.signals
    assert decision.second_stage is not None
    assert decision.second_stage["said"] == json.loads(COMPLEX)
    assert decision.second_stage["model"] == "openai/judge"


def test_its_cost_is_recorded_as_a_usage_row(fake: FakeProvider, policy: Path, home: Path) -> None:
    fake.script("judge", "ok", answer=COMPLEX)
    decide(policy)
    [row] = rows(home, "SELECT * FROM usage")
    assert (row["model"], row["outcome"], row["rule"]) == ("openai/judge", "ok", "classifier.llm")
    assert row["cost_usd"] > 0 and row["prompt"] is None


def test_the_answer_is_cached_by_prompt_hash(fake: FakeProvider, policy: Path, home: Path) -> None:
    fake.script("judge", "ok", answer=COMPLEX)
    decide(policy)
    again = decide(policy)
    assert fake.count("judge") == 1
    assert again.second_stage is not None and again.second_stage["cached"] is True
    assert again.complexity == "complex"
    [cached] = rows(home, "SELECT * FROM llm_classifications")
    assert cached["prompt"] is None and PROMPT not in json.dumps(dict(cached))


def test_the_cache_keeps_the_prompt_only_when_the_user_opts_in(
    fake: FakeProvider, policy: Path, home: Path
) -> None:
    (home / ".llm-router").mkdir(parents=True, exist_ok=True)
    (home / ".llm-router" / "config.yaml").write_text("store_prompts: true\n")
    fake.script("judge", "ok", answer=COMPLEX)
    decide(policy)
    [cached] = rows(home, "SELECT prompt FROM llm_classifications")
    assert cached["prompt"] == PROMPT


def test_the_next_model_answers_when_the_first_gives_garbage(fake: FakeProvider, policy: Path) -> None:
    fake.script("judge", "ok", answer="It looks moderately hard to me.")
    fake.script("backup", "ok", answer=COMPLEX)
    decision = decide(policy)
    assert decision.second_stage is not None
    assert [a["outcome"] for a in decision.second_stage["attempts"]] == ["garbage", "ok"]
    assert decision.complexity == "complex"


def test_a_confident_prompt_does_not_run_it(fake: FakeProvider, tmp_path: Path) -> None:
    decision = decide(write_policy(tmp_path, below_confidence=0))
    assert decision.second_stage is not None and decision.second_stage["ran"] is False
    assert fake.seen == []


# --- every failure falls back to the heuristic --------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "answer", "outcome"),
    [
        (("ok",), "Complex, I'd say: {task: analysis}", "garbage"),
        (("ok",), '{"task": "analysis", "difficulty": 0.9}', "wrong_schema"),
        (("ok",), '{"task": "analysis", "complexity": "hard", "needs_workspace": false}', "wrong_schema"),
        (("ok",), '{"task": "analysis", "complexity": "complex", "needs_workspace": "no"}', "wrong_schema"),
        (("garbage",), None, "bad_response"),
        (("500",), None, "server_error"),
        (("slow",), None, "timeout"),
    ],
)
def test_a_failed_answer_leaves_the_heuristics_classification(
    fake: FakeProvider, tmp_path: Path, steps: tuple[str, ...], answer: str | None, outcome: str
) -> None:
    # A short timeout only where the model is slow: on a loaded machine a quick failure may take a second.
    policy = write_policy(tmp_path, models=["openai/judge"], timeout_s=0.5 if steps == ("slow",) else 10)
    fake.script("judge", *steps, answer=answer)
    decision, plain = decide(policy), heuristic(policy)
    assert (decision.task, decision.complexity, decision.difficulty) == (
        plain.task,
        plain.complexity,
        plain.difficulty,
    )
    assert decision.second_stage is not None
    assert [a["outcome"] for a in decision.second_stage["attempts"]] == [outcome]
    assert "llm-classifier" not in decision.signals


def test_a_model_over_the_cost_cap_is_never_asked(fake: FakeProvider, tmp_path: Path) -> None:
    decision = decide(write_policy(tmp_path, max_cost_usd=0.0000001))
    assert fake.seen == []
    assert decision.second_stage is not None
    assert [a["outcome"] for a in decision.second_stage["attempts"]] == ["over_cost_cap"] * 2
    assert decision.complexity == heuristic(write_policy(tmp_path)).complexity


def test_a_model_without_a_known_price_is_not_asked(fake: FakeProvider, tmp_path: Path) -> None:
    decision = decide(write_policy(tmp_path, models=["openai/unpriced-model-xyz"]))
    assert fake.seen == []
    assert decision.second_stage is not None
    assert decision.second_stage["attempts"][0]["outcome"] == "no_price"


def test_a_failed_call_is_recorded_with_its_outcome(fake: FakeProvider, tmp_path: Path, home: Path) -> None:
    fake.script("judge", "500")
    decide(write_policy(tmp_path, models=["openai/judge"]))
    assert [(r["outcome"], r["rule"]) for r in rows(home, "SELECT * FROM usage")] == [
        ("server_error", "classifier.llm")
    ]


# --- where it runs ------------------------------------------------------------------------------------


def test_policy_explain_shows_what_it_said(
    fake: FakeProvider, policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.script("judge", "ok", answer=COMPLEX)
    assert cli("policy", "explain", PROMPT, "--config", str(policy)) == 0
    out = capsys.readouterr().out
    assert "second stage (classifier.llm):" in out
    assert "asked openai/judge: ok" in out
    assert 'took the answer of openai/judge: task="analysis", complexity="complex"' in out


def test_route_json_carries_the_second_stage(
    fake: FakeProvider, policy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.script("judge", "ok", answer=COMPLEX)
    assert cli("route", PROMPT, "--json", "--config", str(policy)) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["second_stage"]["said"]["complexity"] == "complex"


def test_a_hook_process_skips_it_and_imports_no_litellm(fake: FakeProvider, home: Path) -> None:
    folder = home / ".llm-router"
    folder.mkdir(parents=True, exist_ok=True)
    write_policy(folder).rename(folder / "routing.yaml")  # the user's policy, which the hook loads
    fake.script("judge", "ok", answer=COMPLEX)
    hook_input = {
        "session_id": "s1",
        "transcript_path": str(home / "t.jsonl"),
        "cwd": os.getcwd(),
        "hook_event_name": "UserPromptSubmit",
        "prompt": PROMPT,
    }
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "llm_router.hosts.hook", "claude-code"],
        input=json.dumps(hook_input).encode(),
        capture_output=True,
        env=dict(os.environ),
        timeout=120,
        check=True,
    )
    modules = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in proc.stderr.decode().splitlines()}
    assert "litellm" not in modules
    assert fake.seen == []


# --- the policy section ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("llm", "pointer"),
    [
        ({"models": None}, "/classifier/llm/models"),
        ({"models": ["codex/gpt-5"]}, "/classifier/llm/models/0"),
        ({"prompt": "relative.txt"}, "/classifier/llm/prompt"),
        ({"timeout_s": 0}, "/classifier/llm/timeout_s"),
    ],
)
def test_a_bad_section_is_a_located_policy_error(tmp_path: Path, llm: dict[str, Any], pointer: str) -> None:
    section = {k: v for k, v in llm.items() if v is not None}
    path = write_policy(tmp_path, **section)
    if llm.get("models", 1) is None:
        data = json.loads(path.read_text())
        del data["classifier"]["llm"]["models"]
        path.write_text(json.dumps(data))
    with pytest.raises(PolicyError) as err:
        router.load(router.Settings(config=path))
    assert any(p.pointer == pointer for p in err.value.problems), err.value.problems


def test_instructions_without_the_prompt_placeholder_are_refused(tmp_path: Path) -> None:
    instructions = tmp_path / "mine.txt"
    instructions.write_text("Classify this. Answer in JSON.")
    with pytest.raises(PolicyError) as err:
        router.load(router.Settings(config=write_policy(tmp_path, prompt=str(instructions))))
    assert "{prompt}" in str(err.value)


def test_a_builtin_name_cannot_climb_out_of_the_policies_folder(tmp_path: Path) -> None:
    instructions = tmp_path / "elsewhere.txt"
    instructions.write_text("Classify {prompt} as JSON.")
    climb = os.path.relpath(instructions.with_suffix(""), paths.policies_dir())
    with pytest.raises(PolicyError) as err:
        router.load(router.Settings(config=write_policy(tmp_path, prompt=f"builtin:{climb}")))
    assert "built-in name" in str(err.value)


def test_the_shipped_instructions_are_versioned_by_content(tmp_path: Path) -> None:
    cp = router.load(router.Settings(config=write_policy(tmp_path)))
    assert cp.classifier_llm is not None
    assert cp.classifier_llm.version.startswith("builtin:classifier-llm-v1@")
    assert PROMPT in cp.classifier_llm.message(PROMPT)


# --- reading an answer and taking it in (pure) ---------------------------------------------------------


def test_a_fenced_json_answer_is_read() -> None:
    assert parse(f"```json\n{COMPLEX}\n```") == Verdict("analysis", "complex", False)


@pytest.mark.parametrize(
    "text",
    [
        '{"task": "analysis", "complexity": "complex", "needs_workspace": false, "why": "design"}',
        '[{"task": "analysis", "complexity": "complex", "needs_workspace": false}]',
        f"Sure! {COMPLEX}",
        "",
        "[" * 990 + "]" * 990,  # nested deeper than the JSON parser goes (under the answer limit)
    ],
    ids=["extra-key", "a-list", "prose-around", "empty", "nested-too-deep"],
)
def test_anything_but_the_exact_object_is_a_bad_answer(text: str) -> None:
    with pytest.raises(BadAnswer):
        parse(text)


def test_taking_in_keeps_a_difficulty_that_is_already_in_the_band() -> None:
    from llm_router.decision import Features

    before = Features(10, "code", "moderate", 0.5, 2.0)
    after = take_in(before, Verdict("code", "moderate", False), (0.35, 0.6, 0.82), "m")
    assert after.difficulty == 0.5 and after.confidence >= 7


def test_taking_in_moves_the_difficulty_into_the_verdicts_band() -> None:
    from llm_router.decision import Features

    before = Features(10, "query", "simple", 0.2, 2.0, needs_workspace=True)
    after = take_in(before, Verdict("analysis", "complex", False), (0.35, 0.6, 0.82), "m")
    assert 0.6 <= after.difficulty < 0.82 and after.complexity == "complex"
    assert after.needs_workspace  # a workspace need the heuristic saw stays
