"""`llm-router eval`: datasets, RouteLLM metrics, the router's operating points, the report and the plot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from llm_router.cli import cli
from llm_router.evaluation import dataset, metrics

SAMPLE = Path(__file__).parent / "data" / "eval-sample.jsonl"
STRONG, WEAK = "gpt-4-1106-preview", "mistralai/Mixtral-8x7B-Instruct-v0.1"


def pair(strong: list[float], weak: list[float]) -> metrics.Pair:
    return metrics.Pair(strong, weak)


def test_random_ranking_has_apgr_one_half() -> None:
    p = pair([1, 1, 1, 1], [0, 0, 0, 0])
    points = metrics.curve(p, [0.5, 0.5, 0.5, 0.5])  # every prompt tied: a straight line
    assert metrics.apgr(p, points) == pytest.approx(0.5)


def test_perfect_ranking_recovers_the_gap_first() -> None:
    p = pair([1, 1, 0, 0], [0, 0, 0, 0])
    points = metrics.curve(p, [0.9, 0.8, 0.1, 0.2])
    assert metrics.cpt(p, points, 0.5) == pytest.approx(0.25)
    assert metrics.cpt(p, points, 1.0) == pytest.approx(0.5)
    assert metrics.apgr(p, points) == pytest.approx(0.75)


def test_tied_difficulties_move_together() -> None:
    points = metrics.curve(pair([1, 1, 1], [0, 0, 0]), [0.3, 0.3, 0.1])
    assert [round(pt.share, 3) for pt in points] == [0.0, 0.667, 1.0]


def test_cost_to_reach_95_percent_of_strong() -> None:
    p = metrics.Pair([1, 1, 1, 1], [1, 1, 0, 0], [10, 10, 10, 10], [1, 1, 1, 1])
    summary = metrics.summary(p, metrics.curve(p, [0.1, 0.2, 0.9, 0.8]))
    assert summary["share_for_95pct_strong"] == pytest.approx(0.45)
    assert summary["cost_share_for_95pct_strong"] == pytest.approx((4 + 9 * 1.8) / 40)


def test_oracle_beats_the_strong_model_when_the_weak_one_is_sometimes_right() -> None:
    b: dict[str, Any] = metrics.baselines(pair([1, 0, 1, 1], [0, 1, 1, 0]))
    assert b["oracle"]["point"] == {"strong_share": 0.5, "quality": 1.0, "cost": None}
    assert b["all-strong"]["point"]["quality"] == 0.75


def test_routellm_csv_becomes_scores_and_costs_without_contaminated_prompts(tmp_path: Path) -> None:
    (tmp_path / "gsm8k_responses.csv").write_text(
        f"prompt,{WEAK},{STRONG},{WEAK}_response,{STRONG}_response\n"
        f"Q one,True,False,{'x' * 400},{'y' * 40}\n"
        f"Q  two,False,True,a,b\n"
    )
    (tmp_path / "contaminated_prompts.jsonl").write_text(json.dumps({"eval_prompt": "q two"}) + "\n")
    [record] = dataset.convert_routellm(tmp_path)
    assert record.scores == {WEAK: 1.0, STRONG: 0.0}
    assert record.costs[STRONG] == pytest.approx(10 * 30e-6)
    assert record.costs[WEAK] == pytest.approx(100 * 0.6e-6)
    assert record.category == "gsm8k"


def test_dataset_round_trips_through_json_lines(tmp_path: Path) -> None:
    records = dataset.load(SAMPLE)
    out = tmp_path / "copy.jsonl"
    assert dataset.write(records, out) == len(records) == 100
    assert dataset.load(out) == records


def test_sample_records_follow_the_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(__file__).parents[1] / "schemas" / "eval-dataset.schema.json").read_text())
    for line in SAMPLE.read_text().splitlines()[:20]:
        jsonschema.validate(json.loads(line), schema)


def test_bad_record_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    good = '{"prompt": "p", "models": {"a": {"score": 1}}}'
    wrong = '{"prompt": "q", "models": {"a": {"score": 3}}}'
    bad.write_text(f"{good}\n{wrong}\n")
    with pytest.raises(dataset.DatasetError, match=r"bad.jsonl:2: .*outside 0..1"):
        dataset.load(bad)


def run_eval(*args: str) -> Any:
    return CliRunner().invoke(cli, ["eval", "--dataset", str(SAMPLE), *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def report(module_home: Path) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["eval", "--dataset", str(SAMPLE), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_eval_picks_the_better_model_as_strong(report: dict[str, Any]) -> None:
    assert (report["strong"], report["weak"]) == (STRONG, WEAK)


def test_presets_sit_at_ordered_operating_points(report: dict[str, Any]) -> None:
    shares = [report["presets"][p]["strong_share"] for p in ("aggressive", "balanced", "conservative")]
    assert shares == sorted(shares) and shares[0] < shares[2]
    assert report["operating_point"]["policy"] == "balanced"


def test_report_has_the_router_summary_and_every_baseline(report: dict[str, Any]) -> None:
    assert set(report["router"]) == {
        "apgr",
        "cpt50",
        "cpt80",
        "share_for_95pct_strong",
        "cost_share_for_95pct_strong",
    }
    assert set(report["baselines"]) == {"all-weak", "all-strong", "random", "oracle"}
    assert report["baselines"]["random"]["apgr"] == pytest.approx(0.5)
    assert report["curve"][0]["strong_share"] == 0 and report["curve"][-1]["strong_share"] == 1


def test_text_report_names_the_operating_point() -> None:
    result = run_eval("--policy", "aggressive")
    assert result.exit_code == 0
    assert "policy aggressive *" in result.stdout and "APGR" in result.stdout


def test_tier_map_evaluates_each_preset() -> None:
    tiers = f"simple={WEAK},moderate={WEAK},complex={STRONG},deep_reasoning={STRONG},passthrough={STRONG}"
    result = run_eval("--map", tiers, "--json")
    data = json.loads(result.stdout)
    assert set(data["presets"]) == {"aggressive", "balanced", "conservative"}
    assert sum(data["presets"]["balanced"]["calls"].values()) == 100


def test_unknown_model_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["eval", "--dataset", str(SAMPLE), "--strong", "nope", "--weak", WEAK])
    assert result.exit_code == 2 and "'nope' has no score" in result.output


def test_plot_writes_a_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "curve.png"
    assert run_eval("--plot", str(out)).exit_code == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
