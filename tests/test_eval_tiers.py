"""`llm-router eval` on datasets labelled with tiers: the AUC of difficulty per pair of levels, tier
agreement, confusion matrices, the prompts two or more tiers off, task and workspace scores, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from llm_router.cli import cli
from llm_router.evaluation import dataset, tiers

SAMPLE = Path(__file__).parent / "data" / "tiers-sample.jsonl"  # 10 prompts; the last one labelled wrongly
SCHEMA = Path(__file__).parents[1] / "schemas" / "eval-dataset.schema.json"


def run_eval(*args: str, dataset_path: Path = SAMPLE) -> Any:
    return CliRunner().invoke(cli, ["eval", "--dataset", str(dataset_path), *args])


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    result = run_eval("--json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_auc_is_one_for_a_perfect_order_and_counts_ties_as_half() -> None:
    assert tiers.auc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert tiers.auc([0.5], [0.5]) == 0.5
    assert tiers.auc([0.3, 0.9], [0.5]) == 0.5
    assert tiers.auc([], [0.5]) is None


def test_labelled_rows_load_with_their_tier_task_and_workspace_need() -> None:
    records = dataset.load(SAMPLE)
    assert [r.tier for r in records[:4]] == [
        "simple",
        "simple",
        "simple",
        "moderate",
    ]  # row 3 says `complexity`
    assert (records[3].task, records[3].needs_workspace, records[3].scores) == ("code", True, {})
    assert records[3].line == 4


def test_labelled_rows_round_trip_and_follow_the_schema(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    records = dataset.load(SAMPLE)
    out = tmp_path / "copy.jsonl"
    dataset.write(records, out)
    assert dataset.load(out) == records
    schema = json.loads(SCHEMA.read_text())
    for line in out.read_text().splitlines():
        jsonschema.validate(json.loads(line), schema)


def test_the_schema_wants_models_or_a_tier() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"prompt": "p"}, json.loads(SCHEMA.read_text()))


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"prompt": "p"}, "expected `models`"),
        ({"prompt": "p", "expected_tier": "hard"}, "`expected_tier` is 'hard'"),
        ({"prompt": "p", "expected_tier": "simple", "complexity": "complex"}, "differ"),
        ({"prompt": "p", "expected_tier": "simple", "task": "poetry"}, "`task` is 'poetry'"),
        ({"prompt": "p", "expected_tier": "simple", "needs_workspace": "yes"}, "`needs_workspace` is 'yes'"),
    ],
)
def test_a_bad_labelled_row_names_its_line(tmp_path: Path, row: dict[str, Any], message: str) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "ok", "expected_tier": "simple"}\n' + json.dumps(row) + "\n")
    with pytest.raises(dataset.DatasetError, match=rf"bad.jsonl:2: .*{message}"):
        dataset.load(bad)


def test_report_has_an_auc_for_each_pair_of_labelled_levels(report: dict[str, Any]) -> None:
    assert set(report["auc"]) == {"simple<moderate", "simple<complex", "moderate<complex"}
    assert report["labels"] == {"simple": 4, "moderate": 3, "complex": 3}


def test_each_preset_reports_agreement_of_its_difficulty_and_decision_tiers(report: dict[str, Any]) -> None:
    assert set(report["presets"]) == {"aggressive", "balanced", "conservative"}
    balanced = report["presets"]["balanced"]
    assert set(balanced["difficulty_tier"]) == {"agreement", "two_or_more_off", "not_a_tier"}
    assert report["operating_point"]["policy"] == "balanced"


def test_the_confusion_matrix_counts_every_prompt_once(report: dict[str, Any]) -> None:
    matrix = report["confusion"]["difficulty_tier"]
    assert sum(sum(row.values()) for row in matrix.values()) == 10
    assert {label: sum(row.values()) for label, row in matrix.items()} == report["labels"]


def test_a_prompt_two_tiers_off_is_listed_with_its_line(report: dict[str, Any]) -> None:
    [off] = report["two_or_more_off"]
    assert (off["line"], off["prompt"], off["expected"], off["tier"]) == (10, "hi", "complex", "simple")


def test_labelled_tasks_and_workspace_needs_are_scored(report: dict[str, Any]) -> None:
    assert report["tasks"]["by_task"]["research"] == {"labelled": 1, "given": 1}
    assert report["needs_workspace"]["labelled_true"] == 2
    assert set(report["needs_workspace"]) >= {"precision", "recall", "false_positives", "false_negatives"}


def test_text_report(snapshot: Any) -> None:
    result = run_eval()
    assert result.exit_code == 0, result.output
    assert result.stdout == snapshot


def test_a_model_choice_on_a_labelled_dataset_is_a_usage_error() -> None:
    result = run_eval("--strong", "gpt-4o", "--weak", "gpt-4o-mini")
    assert result.exit_code == 2 and "labelled tiers only" in result.output


def test_rows_with_only_scores_and_rows_with_only_tiers_cannot_be_mixed(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(
        '{"prompt": "a", "models": {"x": {"score": 1}, "y": {"score": 0}}}\n'
        '{"prompt": "b", "expected_tier": "simple"}\n'
    )
    result = run_eval("--json", dataset_path=mixed)
    assert result.exit_code == 2 and "line 2" in result.output
