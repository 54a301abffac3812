"""With `--json`, every failure of every command prints one JSON document on stdout, and the message on
stderr; the exit codes stay the documented ones (budget exhausted is 6 whichever way the chain was chosen)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llm_router.cli import main
from llm_router.cli.common import run_guarded
from llm_router.testing import FakeProvider

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:pydantic", "ignore::DeprecationWarning:litellm")


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`llm-router ARGV` in this process, as the console script runs it: (exit code, stdout, stderr)."""
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return int(code or 0), out, err


def error_of(out: str) -> dict[str, Any]:
    """The one JSON document on stdout, which must be an error object."""
    document = json.loads(out)
    assert list(document) == ["error"]
    error: dict[str, Any] = document["error"]
    assert {"code", "message", "exit_code"} <= error.keys()
    return error


def test_query_json_with_no_provider_prints_the_error_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "query", "--json", "hello")
    error = error_of(out)
    assert (code, error["code"], error["exit_code"]) == (5, "providers-failed", 5)
    assert "not configured" in error["message"] and "not configured" in err


def test_route_json_with_a_missing_config_prints_the_located_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.yaml"
    code, out, err = cli(capsys, "route", "--json", "--config", str(missing), "hi")
    error = error_of(out)
    assert (code, error["code"], error["exit_code"]) == (3, "invalid-policy", 3)
    assert [p["code"] for p in error["problems"]] == ["missing-file"] and str(missing) in err


@pytest.mark.parametrize(
    "argv",
    [
        ["route", "--json", " "],
        ["route", "--json", "--bogus"],
        ["--json", "--bogus"],
        ["route", "hi", "--json", "--host", "nohost"],
        ["usage", "--json", "--since", "soonish"],
        ["policy", "test", "--json", "/no/such/suite.test.yaml"],
        ["no-such-command", "--json"],
    ],
    ids=[
        "missing-argument",
        "unknown-option",
        "unknown-group-option",
        "bad-choice",
        "bad-value",
        "bad-path",
        "cmd",
    ],
)
def test_a_usage_error_with_json_is_a_usage_error_object(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, out, err = cli(capsys, *argv)
    error = error_of(out)
    assert (code, error["code"], error["exit_code"]) == (2, "usage", 2)
    assert "Usage:" in err and error["message"] in err


def test_without_json_a_failure_prints_nothing_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "query", "hello")
    assert (code, out) == (5, "") and err.startswith("llm-router: no model")


def test_a_failing_report_carries_the_error_as_its_member(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "health", "--json")  # no provider configured: exit 1
    report = json.loads(out)
    assert code == 1 and "providers" in report
    assert report["error"] == {"code": "failed", "message": "see the report", "exit_code": 1}


def test_a_streamed_json_failure_ends_with_an_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "query", "--json", "--stream", "hello")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 5 and lines[-1]["error"]["code"] == "providers-failed"


def test_an_internal_error_is_one_line_on_stderr_and_an_error_object(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def broken() -> None:
        raise KeyError("surprise")

    assert run_guarded(broken, as_json=True) == 1
    out, err = capsys.readouterr()
    assert error_of(out)["code"] == "internal-error"
    assert err.count("\n") == 1 and "KeyError" in err and "Traceback" not in err


# --- exit code 6 -------------------------------------------------------------------------------------------


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-errors")
        monkeypatch.setenv("OPENAI_BASE_URL", provider.openai_base)
        yield provider


def test_an_exhausted_budget_exits_6_when_the_chain_comes_from_the_policy(
    fake: FakeProvider, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "version: 1\n"
        "budgets:\n  - {id: openai-day, provider: openai, period: day, limit_usd: 0.000001}\n"
        "models:\n  openai/pricey: {input_cost_per_token: 0.001, output_cost_per_token: 0.001}\n"
        "chains:\n  simple: [ollama/llama3.1, openai/pricey]\n"
        "rules:\n  - {id: all, before: explicit-claude, when: 'true', then: {route: simple}}\n"
    )
    assert cli(capsys, "query", "hello", "--config", str(policy))[0] == 0  # spends past the budget
    code, out, err = cli(capsys, "query", "--json", "hello", "--config", str(policy))
    assert code == 6 and "openai-day" in err
    assert error_of(out)["code"] == "budget-exhausted"
