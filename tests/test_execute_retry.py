"""Retrying the same model and the breakers of a walk, against a real HTTP server on 127.0.0.1 called
through LiteLLM: Retry-After honoured, max_wait_s respected, 4xx never retried, a provider's breaker opened
only by an endpoint that cannot be reached, and the last usable model never skipped untried."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from llm_router import router, store
from llm_router.decision import Request
from llm_router.execute import Options, Result, execute
from llm_router.execute.attempts import RetrySettings
from llm_router.store import breakers
from llm_router.store.breakers import BreakerSettings
from llm_router.testing import FakeProvider, make_decision

KEY = "sk-test-0123456789abcdef"
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:pydantic", "ignore::DeprecationWarning:litellm")


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with FakeProvider(slow_s=1.5) as provider:
        yield provider


@pytest.fixture
def conn(home: Path):
    c = store.open_db(store.db_path())
    yield c
    c.close()


@pytest.fixture
def waits() -> list[float]:
    """The waits a walk asked for before its retries (recorded instead of slept)."""
    return []


@pytest.fixture
def closed_port() -> str:
    """A base URL on 127.0.0.1 where nothing listens: connections are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def run(
    fake: FakeProvider,
    conn: Any,
    chain: Sequence[str],
    waits: list[float],
    *,
    env: dict[str, str] | None = None,
    **options: Any,
) -> Result:
    options.setdefault("timeout_s", 1.0)
    return execute(
        make_decision(chain),
        Request("What is the capital of France?"),
        chain,
        env=fake.env(KEY) if env is None else env,
        options=Options(**options),
        conn=conn,
        sleep=waits.append,
    )


def outcomes(result: Result) -> list[tuple[str, str]]:
    return [(a.model, a.outcome) for a in result.attempts]


def test_a_single_429_on_a_one_model_chain_is_retried_and_answers(
    fake: FakeProvider, conn: Any, waits: list[float]
) -> None:
    fake.script("gpt-4o-mini", "429", "ok")
    result = run(fake, conn, ["openai/gpt-4o-mini"], waits)
    assert result.text == "answer from gpt-4o-mini"
    assert outcomes(result) == [("openai/gpt-4o-mini", "rate_limited"), ("openai/gpt-4o-mini", "ok")]
    assert waits == [0.5]  # no Retry-After: the first backoff


def test_a_single_503_is_retried_on_the_same_model_before_the_chain_moves_on(
    fake: FakeProvider, conn: Any, waits: list[float]
) -> None:
    fake.script("a", "503", "ok")
    result = run(fake, conn, ["openai/a", "openai/b"], waits)
    assert result.model == "openai/a" and fake.count("b") == 0


def test_retry_after_in_seconds_is_waited_for(fake: FakeProvider, conn: Any, waits: list[float]) -> None:
    fake.script("a", "429:3", "ok")
    assert run(fake, conn, ["openai/a"], waits).model == "openai/a"
    assert waits == [3.0]


def test_retry_after_as_an_http_date_is_waited_for(fake: FakeProvider, conn: Any, waits: list[float]) -> None:
    fake.script("a", "503:date+6", "ok")
    assert run(fake, conn, ["openai/a"], waits).model == "openai/a"
    (wait,) = waits
    assert 4.0 < wait <= 6.0  # an HTTP date has whole seconds, and the request took a moment


def test_retry_after_ms_is_waited_for(fake: FakeProvider, conn: Any, waits: list[float]) -> None:
    fake.script("a", "429:ms=1500", "ok")
    assert run(fake, conn, ["openai/a"], waits).model == "openai/a"
    assert waits == [1.5]


def test_a_retry_after_over_max_wait_moves_on_without_waiting(
    fake: FakeProvider, conn: Any, waits: list[float]
) -> None:
    fake.script("a", "429:30", "ok")
    result = run(fake, conn, ["openai/a", "openai/b"], waits, retry=RetrySettings(max_wait_s=10))
    assert result.model == "openai/b" and waits == [] and fake.count("a") == 1


@pytest.mark.parametrize(
    ("step", "outcome"), [("401", "auth"), ("context", "context_window"), ("403", "forbidden")]
)
def test_a_client_error_is_never_retried(
    fake: FakeProvider, conn: Any, waits: list[float], step: str, outcome: str
) -> None:
    fake.script("a", step, "ok")
    result = run(fake, conn, ["openai/a", "anthropic/b"], waits, retry=RetrySettings(retries=3))
    assert outcomes(result) == [("openai/a", outcome), ("anthropic/b", "ok")] and waits == []


def test_retries_zero_means_one_attempt_per_model(fake: FakeProvider, conn: Any, waits: list[float]) -> None:
    fake.script("a", "500", "ok")
    result = run(fake, conn, ["openai/a", "openai/b"], waits, retry=RetrySettings(retries=0))
    assert outcomes(result) == [("openai/a", "server_error"), ("openai/b", "ok")]


def test_retries_bound_the_attempts_at_one_model(fake: FakeProvider, conn: Any, waits: list[float]) -> None:
    fake.script("a", "500")
    result = run(fake, conn, ["openai/a", "openai/b"], waits, retry=RetrySettings(retries=2))
    assert fake.count("a") == 3 and result.model == "openai/b"
    assert waits == [0.5, 1.0]


def test_a_dropped_connection_on_other_models_does_not_open_the_providers_breaker(
    fake: FakeProvider, conn: Any, waits: list[float]
) -> None:
    fake.script("a", "refused")
    fake.script("b", "refused")
    chain = ["openai/a", "openai/b", "openai/c"]
    for _ in range(2):
        result = run(fake, conn, chain, waits, breaker=BreakerSettings(2, 60), retry=RetrySettings(0))
        assert result.model == "openai/c"
    assert "openai/c" not in result.skipped and fake.count("c") == 2
    kinds = dict(conn.execute("SELECT key, kind FROM breakers").fetchall())
    assert kinds == {"openai/a": "model", "openai/b": "model"}


def test_an_unreachable_endpoint_opens_its_providers_breaker_and_skips_its_other_models(
    fake: FakeProvider, conn: Any, waits: list[float], closed_port: str
) -> None:
    env = {**fake.env(KEY), "OLLAMA_BASE_URL": closed_port}
    result = run(fake, conn, ["ollama/a", "ollama/b", "openai/c"], waits, env=env)
    assert outcomes(result) == [("ollama/a", "unreachable"), ("openai/c", "ok")]
    assert "could not be reached" in result.skipped["ollama/b"]
    assert conn.execute("SELECT failures FROM breakers WHERE key = 'ollama'").fetchone()[0] == 1


def test_the_last_model_of_a_chain_is_tried_even_when_its_providers_endpoint_failed(
    fake: FakeProvider, conn: Any, waits: list[float], closed_port: str
) -> None:
    env = {**fake.env(KEY), "OLLAMA_BASE_URL": closed_port}
    with pytest.raises(Exception, match="every model failed"):
        run(fake, conn, ["ollama/a", "ollama/b"], waits, env=env)
    rows = conn.execute("SELECT model, outcome FROM usage ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [("ollama/a", "unreachable"), ("ollama/b", "unreachable")]


def test_the_last_usable_model_is_tried_while_its_breaker_is_open_and_closes_it(
    fake: FakeProvider, conn: Any, waits: list[float]
) -> None:
    fake.script("only", "500", "500", "ok")
    with pytest.raises(Exception, match="every model failed"):
        run(fake, conn, ["openai/only"], waits, breaker=BreakerSettings(2, 600))
    assert conn.execute("SELECT opened_at FROM breakers WHERE key = 'openai/only'").fetchone()[0]
    result = run(fake, conn, ["openai/only"], waits, breaker=BreakerSettings(2, 600))
    assert result.model == "openai/only"
    assert conn.execute("SELECT COUNT(*) FROM breakers").fetchone()[0] == 0


def test_a_query_runs_a_chain_the_decision_saw_wholly_behind_open_breakers(
    fake: FakeProvider, monkeypatch: pytest.MonkeyPatch, conn: Any
) -> None:
    for name, value in fake.env(KEY).items():
        monkeypatch.setenv(name, value)
    chain = ["openai/a", "openai/b"]
    with store.write(conn):
        for model in chain:
            breakers.failed(conn, model, time.time(), BreakerSettings(1, 600), "server_error")
    decision = make_decision(chain, usable=(), unusable=dict.fromkeys(chain, "circuit breaker open"))
    result = router.run(decision, Request("hello"), settings=router.Settings())
    assert result.model == "openai/b" and "circuit breaker open" in result.skipped["openai/a"]


def query(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`llm-router query ARGV` in this process: (exit code, stdout, stderr)."""
    from llm_router.cli import main

    try:
        returned = main(["query", "What is 2+2?", *argv])
        code = returned if isinstance(returned, int) else 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def openai_at_fake(fake: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", fake.openai_base)
    return fake


def test_query_on_one_model_answers_after_a_single_429(
    openai_at_fake: FakeProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    openai_at_fake.script("gpt-4o-mini", "429", "ok")
    code, out, err = query(capsys, "--models", "openai/gpt-4o-mini")
    assert code == 0, err
    assert out == "answer from gpt-4o-mini\n" and "2 attempts" in err


def test_a_policy_with_no_retries_fails_on_a_single_429(
    openai_at_fake: FakeProvider, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\nfallback: {retries: 0}\n")
    openai_at_fake.script("gpt-4o-mini", "429", "ok")
    code, _, err = query(capsys, "--models", "openai/gpt-4o-mini", "--config", str(policy))
    assert code == 5 and "rate_limited" in err and openai_at_fake.count("gpt-4o-mini") == 1


def test_a_policy_max_wait_below_retry_after_moves_on_instead_of_waiting(
    openai_at_fake: FakeProvider, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\nfallback: {max_wait_s: 1}\n")
    openai_at_fake.script("first", "429:120", "ok")
    code, out, err = query(capsys, "--models", "openai/first,openai/second", "--config", str(policy))
    assert code == 0, err
    assert out == "answer from second\n" and openai_at_fake.count("first") == 1
