"""Numbers people read: amounts with enough digits, labelled and pluralised counts, savings that leave out
models with no known price (and say so), and an eval report that explains an oracle APGR above 1."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from mcp import Client

from llm_router import store
from llm_router.cli import cli
from llm_router.cli.numbers import count, usd
from llm_router.mcp.server import build_server
from llm_router.mcp.session import McpSession
from llm_router.store.usage import UsageRow

UNPRICED = "openai/house-model-x"  # in no price table and not declared under `models:`


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def record(model: str = "openai/gpt-4o-mini", cost: float = 0.0001, outcome: str = "ok", **kw: Any) -> None:
    row = UsageRow(time.time() - 60, model, model.split("/")[0], outcome, cost_usd=cost, **kw)
    conn = store.open_db(store.db_path())
    store.record(conn, row)
    conn.close()


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0, "$0"),
        (0.0000132, "$0.0000132"),
        (0.00001, "$0.00001"),
        (0.0123456, "$0.0123"),
        (0.5, "$0.50"),
        (20, "$20.00"),
        (1234.5, "$1,234.50"),
        (-0.0042, "-$0.0042"),
    ],
)
def test_dollars_keep_three_significant_digits_below_a_dollar(amount: float, text: str) -> None:
    assert usd(amount) == text


def test_counts_are_pluralised() -> None:
    assert (count(1, "call"), count(2, "call"), count(0, "call"), count(1500, "token")) == (
        "1 call",
        "2 calls",
        "0 calls",
        "1,500 tokens",
    )


def test_budget_shows_small_amounts_with_their_significant_digits(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "version: 1\nbudgets:\n  - {id: tiny, provider: openai, period: day, limit_usd: 0.00001}\n"
    )
    record(cost=0.0000132)
    code, out, _ = run("budget", "--config", str(policy))
    assert code == 0
    assert "$0.0000132 of $0.00001 (132.0%)  EXHAUSTED" in out


def test_usage_labels_input_and_output_tokens_and_pluralises() -> None:
    record(tokens_in=1200, tokens_out=34)
    code, out, _ = run("usage")
    first, header, row = out.splitlines()
    assert code == 0
    assert first == "1 call, 0 failed attempts, 1,200 input + 34 output tokens, $0.0001"
    assert header.split() == ["model", "calls", "failed", "input", "tokens", "output", "tokens", "cost"]
    assert row.split() == ["openai/gpt-4o-mini", "1", "0", "1,200", "34", "$0.0001"]


def test_usage_pluralises_failed_attempts() -> None:
    record()
    record(outcome="timeout", cost=0.0)
    record()
    assert run("usage")[1].startswith("2 calls, 1 failed attempt, ")


@pytest.fixture
def mixed_usage() -> None:
    """One call to a priced model and two to a model no price is known for."""
    record(tokens_in=1000, tokens_out=500, cost=0.00045)
    record(UNPRICED, cost=0.0, tokens_in=5000, tokens_out=5000)
    record(UNPRICED, cost=0.0, tokens_in=5000, tokens_out=5000)


def test_savings_leave_out_a_model_with_no_known_price_and_warn_naming_it(mixed_usage: None) -> None:
    code, out, err = run("savings", "--json")
    report = json.loads(out)
    assert code == 0
    assert f"warning: no price is known for {UNPRICED}: its 2 calls are left out of the saving" in err
    assert [m["model"] for m in report["unpriced_models"]] == [UNPRICED]
    assert (report["calls"], report["tokens_in"], report["tokens_out"]) == (1, 1000, 500)
    assert report["saved_pct"] < 100


def test_savings_text_names_what_was_left_out(mixed_usage: None) -> None:
    out = run("savings")[1]
    assert "1 call, 1,000 input + 500 output tokens" in out
    assert f"left out         {UNPRICED} (no known price)" in out


def test_savings_of_only_unpriced_calls_claim_no_saving() -> None:
    record(UNPRICED, cost=0.0, tokens_in=100, tokens_out=100)
    report = json.loads(run("savings", "--json")[1])
    assert (report["calls"], report["saved_usd"], report["saved_pct"]) == (0, 0.0, None)


def test_a_model_priced_in_the_policy_counts_in_the_savings(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        f"version: 1\nmodels:\n  {UNPRICED}: {{input_cost_per_token: 0, output_cost_per_token: 0}}\n"
    )
    record(UNPRICED, cost=0.0, tokens_in=100, tokens_out=100)
    report = json.loads(run("savings", "--json", "--config", str(policy))[1])
    assert report["calls"] == 1 and report["unpriced_models"] == [] and report["warnings"] == []


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_savings_tool_names_unpriced_models_too(mixed_usage: None, anyio_backend: str) -> None:
    async with Client(build_server(McpSession(env=dict(os.environ)))) as client:
        result = await client.call_tool("llm_savings", {"since": "today"})
    report = result.structured_content["report"]
    assert [m["model"] for m in report["unpriced_models"]] == [UNPRICED]
    assert UNPRICED in report["warnings"][0]


def dataset(path: Path, rows: list[tuple[float, float]]) -> Path:
    """A dataset of (strong score, weak score) per prompt."""
    prompts = ["what is 2+2?", "prove that sqrt(2) is irrational", "write a haiku", "design a cache"]
    lines = [
        json.dumps(
            {"prompt": f"{prompts[i % 4]} #{i}", "models": {"big": {"score": s}, "small": {"score": w}}}
        )
        for i, (s, w) in enumerate(rows)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_eval_explains_an_oracle_apgr_above_1(tmp_path: Path) -> None:
    data = dataset(tmp_path / "d.jsonl", [(1, 0), (0, 1), (1, 0), (1, 1)] * 5)
    code, out, _ = run("eval", "--dataset", str(data), "--strong", "big", "--weak", "small")
    report = json.loads(
        run("eval", "--dataset", str(data), "--strong", "big", "--weak", "small", "--json")[1]
    )
    assert code == 0 and report["baselines"]["oracle"]["apgr"] > 1
    assert "Note: oracle APGR" in out and "is above 1: on 5 of 20 prompts the weak model scores higher" in out
    assert report["notes"] and "above 1" in report["notes"][0]


def test_eval_adds_no_note_when_the_strong_model_is_never_worse(tmp_path: Path) -> None:
    data = dataset(tmp_path / "d.jsonl", [(1, 0), (1, 1), (1, 0), (0, 0)] * 5)
    code, out, _ = run("eval", "--dataset", str(data), "--strong", "big", "--weak", "small")
    assert code == 0 and "Note:" not in out
