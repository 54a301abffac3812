"""`llm-router query | usage | savings | budget | health`, checked as a user would: real processes where it
matters, a real provider server on 127.0.0.1, LiteLLM called for real."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from llm_router.cli import main
from llm_router.testing import FakeProvider

KEY = "sk-test-cli-0123456789abcdef"
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:pydantic", "ignore::DeprecationWarning:litellm")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProvider]:
    """A provider server, with OPENAI_API_KEY and OPENAI_BASE_URL pointing at it."""
    with FakeProvider(slow_s=1.0) as provider:
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", provider.openai_base)
        yield provider


def cli(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run `llm-router ARGV` in this process: (exit code, stdout, stderr)."""
    try:
        returned = main(list(argv))  # like the console script, which exits with what main returns
        code = returned if isinstance(returned, int) else 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def llm_router(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `llm-router ARGV` as its own process, with this test's environment."""
    return subprocess.run(
        ["llm-router", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ),
    )


def assert_key_nowhere_under(path: Path) -> None:
    for file in path.rglob("*"):
        if file.is_file():
            assert KEY.encode() not in file.read_bytes(), file


def test_a_first_model_rate_limited_twice_gives_the_second_models_answer_with_three_attempts(
    fake: FakeProvider, home: Path
) -> None:
    fake.script("first", "429:0")
    proc = llm_router("query", "What is 2+2?", "--models", "openai/first,openai/second", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert (result["model"], result["text"]) == ("openai/second", "answer from second")
    assert [(a["model"], a["outcome"]) for a in result["attempts"]] == [
        ("openai/first", "rate_limited"),
        ("openai/first", "rate_limited"),
        ("openai/second", "ok"),
    ]
    assert {"cost_usd", "baseline_cost_usd", "decision"} <= result.keys()
    assert_key_nowhere_under(home / ".llm-router")


def test_when_every_model_fails_the_exit_code_is_5_and_each_model_is_named_without_a_traceback(
    fake: FakeProvider,
) -> None:
    fake.script("a", "500")
    fake.script("b", "503")
    proc = llm_router("query", "hello", "--models", "openai/a,openai/b")
    assert proc.returncode == 5
    assert "openai/a: server_error" in proc.stderr and "openai/b: unavailable" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert KEY not in proc.stderr + proc.stdout


def test_a_query_process_leaves_with_its_answer_out_and_its_usage_recorded(
    fake: FakeProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    proc = llm_router("query", "hello", "--models", "openai/a", "--stream")  # exits without teardown
    assert (proc.returncode, proc.stdout) == (0, "answer from a\n")
    assert "openai/a · 1 attempt" in proc.stderr
    assert json.loads(cli("usage", "--json", capsys=capsys)[1])["calls"] == 1


def test_with_only_an_ollama_endpoint_an_ollama_model_answers(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeProvider() as fake:
        monkeypatch.setenv("OLLAMA_BASE_URL", fake.url)
        code, out, err = cli("query", "Say hi", "--models", "ollama/qwen3:8b", capsys=capsys)
    assert code == 0, err
    assert out.strip() == "answer from qwen3:8b"
    assert "ollama/qwen3:8b · 1 attempt" in err


def test_the_query_footer_names_input_and_output_tokens(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeProvider() as fake:
        monkeypatch.setenv("OLLAMA_BASE_URL", fake.url)
        code, _, err = cli("query", "Say hi", "--models", "ollama/qwen3:8b", capsys=capsys)
    assert code == 0 and re.search(r"· \d+ input \+ \d+ output tokens ·", err), err


def test_a_failing_model_stops_receiving_requests_after_a_few_queries(
    fake: FakeProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.script("broken", "500")
    for _ in range(5):
        code, out, err = cli(
            "query", "hello", "--models", "openai/broken,openai/good", "--json", capsys=capsys
        )
        assert code == 0, err
    assert fake.count("broken") == 3  # the policy's circuit_breaker.failures
    assert "circuit breaker open" in json.loads(out)["skipped"]["openai/broken"]


def test_forcing_a_model_whose_provider_is_not_configured_names_the_variable_to_set(
    fake: FakeProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli("query", "hello", "--models", "gemini/gemini-2.5-flash", capsys=capsys)
    assert code == 5 and "GEMINI_API_KEY" in err and fake.count("gemini-2.5-flash") == 0


def test_a_streamed_query_prints_the_answer(fake: FakeProvider, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli("query", "hello", "--models", "openai/a", "--stream", capsys=capsys)
    assert code == 0, err
    assert out == "answer from a\n"


def test_help_never_runs_anything(fake: FakeProvider, capsys: pytest.CaptureFixture[str], home: Path) -> None:
    for command in ("query", "usage", "savings", "budget", "health"):
        code, out, _ = cli(command, "--help", capsys=capsys)
        assert code == 0 and "Usage:" in out
    assert not fake.seen and not (home / ".llm-router" / "usage.db").exists()


def test_usage_and_savings_agree_with_the_queries_made(
    fake: FakeProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.script("a", "429:0")
    for _ in range(2):
        assert cli("query", "hello", "--models", "openai/a,openai/gpt-4o-mini", capsys=capsys)[0] == 0
    usage = json.loads(cli("usage", "--json", capsys=capsys)[1])
    savings = json.loads(cli("savings", "--json", capsys=capsys)[1])
    assert usage["calls"] == savings["calls"] == 2 and usage["failed_attempts"] == fake.count("a") >= 2
    assert savings["cost_usd"] == usage["cost_usd"] > 0
    assert savings["baseline_cost_usd"] - savings["cost_usd"] == savings["saved_usd"]
    assert savings["baseline_model"] == "anthropic/claude-opus-4-5"  # the priciest of the premium chains


def test_usage_since_a_later_time_counts_nothing(
    fake: FakeProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("query", "hello", "--models", "openai/a", capsys=capsys)[0] == 0
    assert json.loads(cli("usage", "--json", "--since", "1h", capsys=capsys)[1])["calls"] == 1
    assert json.loads(cli("usage", "--json", "--since", "2999-01-01", capsys=capsys)[1])["calls"] == 0
    assert cli("usage", "--since", "soonish", capsys=capsys)[0] == 2


def test_budget_shows_each_budget_of_the_policy_with_what_it_has_used(
    fake: FakeProvider, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "version: 1\n"
        "budgets:\n  - {id: openai-day, provider: openai, period: day, limit_usd: 0.000001}\n"
        "models:\n  openai/pricey: {input_cost_per_token: 0.001, output_cost_per_token: 0.001}\n"
    )
    assert cli("query", "hello", "--models", "openai/pricey", "--config", str(policy), capsys=capsys)[0] == 0
    report = json.loads(cli("budget", "--json", "--config", str(policy), capsys=capsys)[1])
    (state,) = report["budgets"]
    assert state["id"] == "openai-day" and state["exhausted"] and state["used_pct"] > 100
    code, _, err = cli("query", "hello", "--models", "openai/pricey", "--config", str(policy), capsys=capsys)
    assert code == 6 and "openai-day" in err


def test_health_checks_each_configured_provider(
    fake: FakeProvider, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OLLAMA_BASE_URL", fake.url)
    code, out, _ = cli("health", "--json", capsys=capsys)
    report = json.loads(out)
    assert code == 0
    assert {c["provider"]: c["ok"] for c in report["providers"]} == {"ollama": True, "openai": True}
    assert "gemini" in report["not_configured"]


def test_health_reports_a_provider_that_does_not_answer(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OLLAMA_BASE_URL", "http://127.0.0.1:9")
    code, out, _ = cli("health", capsys=capsys)
    assert code == 1 and "FAIL ollama" in out


WORKERS = """
import os, sys, threading
from click.testing import CliRunner
from llm_router.cli import cli
from llm_router.execute.dispatch import litellm_module
litellm_module()  # imported once, then forked: six processes of their own that query at the same moment
assert threading.active_count() == 1, threading.enumerate()  # nothing but this thread to lose in a fork
children = []
for n in range(6):
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            for i in range(5):
                argv = ["query", f"question {n}-{i}", "--models", "openai/gpt-4o-mini"]
                result = CliRunner().invoke(cli, argv)
                assert result.exit_code == 0, result.output
            code = 0
        finally:
            os._exit(code)
    children.append(pid)
sys.exit(max(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children))
"""


def test_six_processes_of_five_queries_raise_calls_by_exactly_thirty(
    fake: FakeProvider, capsys: pytest.CaptureFixture[str], home: Path
) -> None:
    before = json.loads(cli("usage", "--json", capsys=capsys)[1])["calls"]
    workers = subprocess.run([sys.executable, "-c", WORKERS], env=dict(os.environ), timeout=180)
    assert workers.returncode == 0
    usage = json.loads(cli("usage", "--json", capsys=capsys)[1])
    savings = json.loads(cli("savings", "--json", capsys=capsys)[1])
    assert usage["calls"] - before == 30 == fake.count("gpt-4o-mini")
    assert savings["baseline_cost_usd"] - savings["cost_usd"] == savings["saved_usd"]
    assert_key_nowhere_under(home / ".llm-router")
