"""The executor against a real HTTP server on 127.0.0.1, called through LiteLLM for real."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from llm_router import store
from llm_router.decision import BudgetState, Request
from llm_router.errors import BudgetExceeded, ProviderError
from llm_router.execute import Options, Result, execute
from llm_router.execute.attempts import RETRYABLE
from llm_router.store.breakers import BreakerSettings
from llm_router.testing import FakeProvider, make_decision

KEY = "sk-test-0123456789abcdef"
# LiteLLM's pydantic models warn about themselves on first use; not ours to fix.
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


def run(
    fake: FakeProvider,
    conn: Any,
    chain: Sequence[str],
    *,
    prompt: str = "What is the capital of France?",
    env: dict[str, str] | None = None,
    **options: Any,
) -> Result:
    options.setdefault("timeout_s", 1.0)
    on_text = options.pop("on_text", None)
    return execute(
        make_decision(chain),
        Request(prompt),
        chain,
        env=fake.env(KEY) if env is None else env,
        options=Options(**options),
        conn=conn,
        on_text=on_text,
        sleep=lambda seconds: None,  # retries go out at once; tests/test_execute_retry.py checks the waits
    )


def test_a_model_still_rate_limited_after_its_retry_falls_back_to_the_next_one(
    fake: FakeProvider, conn: Any
) -> None:
    fake.script("a", "429")
    result = run(fake, conn, ["openai/a", "openai/b"])
    assert (result.model, result.text) == ("openai/b", "answer from b")
    assert [(a.model, a.outcome) for a in result.attempts] == [
        ("openai/a", "rate_limited"),
        ("openai/a", "rate_limited"),
        ("openai/b", "ok"),
    ]


@pytest.mark.parametrize(
    ("step", "outcome"),
    [
        ("429", "rate_limited"),
        ("500", "server_error"),
        ("503", "unavailable"),
        ("slow", "timeout"),
        ("refused", "connection"),
        ("garbage", "bad_response"),
        ("empty", "empty"),
        ("refusal", "refusal"),
        ("length", "length"),
        ("401", "auth"),
        ("context", "context_window"),
    ],
)
def test_each_fault_is_recorded_by_name_and_the_chain_moves_on(
    fake: FakeProvider, conn: Any, step: str, outcome: str
) -> None:
    fake.script("first", step)
    result = run(fake, conn, ["openai/first", "anthropic/claude-haiku-4-5"])
    assert result.model == "anthropic/claude-haiku-4-5"
    assert result.attempts[0].outcome == outcome
    tries = 2 if outcome in RETRYABLE else 1  # one retry (the default) for what retrying can fix
    rows = conn.execute("SELECT model, outcome FROM usage ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [("openai/first", outcome)] * tries + [
        ("anthropic/claude-haiku-4-5", "ok")
    ]


@pytest.mark.parametrize("model", ["openai/gpt-4o-mini", "ollama/llama3", "anthropic/claude-haiku-4-5"])
def test_each_api_answers_with_its_tokens_counted(fake: FakeProvider, conn: Any, model: str) -> None:
    result = run(fake, conn, [model])
    assert result.text == fake.answer_for(model)
    assert result.tokens_in > 0 and result.tokens_out > 0


def test_ollama_needs_no_key_only_its_endpoint(fake: FakeProvider, conn: Any) -> None:
    result = run(fake, conn, ["ollama/qwen3:8b"], env={"OLLAMA_BASE_URL": fake.url})
    assert result.model == "ollama/qwen3:8b" and result.cost_usd == 0.0


def test_a_model_whose_provider_is_not_configured_is_never_tried(fake: FakeProvider, conn: Any) -> None:
    result = run(fake, conn, ["gemini/gemini-2.5-flash", "openai/b"])
    assert [a.model for a in result.attempts] == ["openai/b"]
    assert "GEMINI_API_KEY" in result.skipped["gemini/gemini-2.5-flash"]


def test_a_rejected_key_marks_the_provider_misconfigured_and_skips_its_other_models(
    fake: FakeProvider, conn: Any
) -> None:
    fake.script("a", "401")
    result = run(fake, conn, ["openai/a", "openai/b", "ollama/llama3"])
    assert [a.model for a in result.attempts] == ["openai/a", "ollama/llama3"]
    assert "misconfigured" in result.attempts[0].error and "OPENAI_API_KEY" in result.attempts[0].error
    assert "rejected its key" in result.skipped["openai/b"]
    assert fake.count("b") == 0


def test_a_context_overflow_skips_to_a_model_with_a_larger_window(fake: FakeProvider, conn: Any) -> None:
    fake.script("small", "context")
    windows = {
        "openai/small": {"max_input_tokens": 8192},
        "openai/same": {"max_input_tokens": 8192},
        "openai/large": {"max_input_tokens": 200000},
    }
    result = run(fake, conn, ["openai/small", "openai/same", "openai/large"], price_overrides=windows)
    assert result.model == "openai/large"
    assert "openai/same" in result.skipped and fake.count("same") == 0


def test_a_failing_model_stops_receiving_requests_once_its_breaker_opens(
    fake: FakeProvider, conn: Any
) -> None:
    fake.script("flaky", "500")
    for _ in range(5):
        result = run(fake, conn, ["openai/flaky", "openai/b"], breaker=BreakerSettings(3, 60))
        assert result.model == "openai/b"
    assert fake.count("flaky") == 3
    assert "circuit breaker open" in result.skipped["openai/flaky"]


def test_when_every_model_fails_the_error_names_each_model_and_its_error(
    fake: FakeProvider, conn: Any
) -> None:
    fake.script("a", "429")
    fake.script("b", "503")
    with pytest.raises(ProviderError) as failed:
        run(fake, conn, ["openai/a", "openai/b", "gemini/gemini-2.5-flash"])
    message = str(failed.value)
    assert "openai/a: rate_limited" in message and "Rate limit" in message
    assert "openai/b: unavailable" in message
    assert "gemini/gemini-2.5-flash: not tried" in message


def test_a_model_under_an_exhausted_budget_is_not_tried(fake: FakeProvider, conn: Any) -> None:
    budgets = {"openai-day": BudgetState("openai-day", "day", 1.0, 1.0, provider="openai")}
    result = run(fake, conn, ["openai/a", "ollama/llama3"], budgets=budgets)
    assert result.model == "ollama/llama3" and "openai-day" in result.skipped["openai/a"]
    with pytest.raises(BudgetExceeded):
        run(fake, conn, ["openai/a"], budgets=budgets)


def test_cost_and_baseline_cost_come_from_the_price_table_and_the_policy_models(
    fake: FakeProvider, conn: Any
) -> None:
    overrides = {"openai/cheap": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}}
    result = run(fake, conn, ["openai/cheap"], price_overrides=overrides, baseline_model="openai/gpt-4o")
    assert result.cost_usd == pytest.approx(result.tokens_in * 1e-6 + result.tokens_out * 2e-6)
    assert result.baseline_cost_usd == pytest.approx(result.tokens_in * 2.5e-6 + result.tokens_out * 1e-5)
    row = conn.execute("SELECT cost_usd, baseline_cost_usd, baseline_model FROM usage").fetchone()
    assert tuple(row) == (result.cost_usd, result.baseline_cost_usd, "openai/gpt-4o")


def test_a_streamed_answer_reaches_the_caller_piece_by_piece(fake: FakeProvider, conn: Any) -> None:
    long_answer = "Paris is the capital of France, and it has been for a very long time indeed. " * 3
    fake.script("a", "ok", answer=long_answer)
    pieces: list[str] = []
    result = run(fake, conn, ["openai/a"], on_text=pieces.append)
    assert "".join(pieces) == result.text == long_answer
    assert len(pieces) > 1


def test_a_streamed_refusal_is_never_shown_and_the_next_model_answers(fake: FakeProvider, conn: Any) -> None:
    fake.script("a", "refusal")
    pieces: list[str] = []
    result = run(fake, conn, ["openai/a", "openai/b"], on_text=pieces.append)
    assert "".join(pieces) == "answer from b" == result.text


def test_prompt_text_is_stored_only_when_the_user_opts_in(fake: FakeProvider, conn: Any) -> None:
    run(fake, conn, ["openai/a"], prompt="secret plans")
    run(fake, conn, ["openai/a"], prompt="shared plans", store_prompts=True)
    rows = conn.execute(
        "SELECT prompt, prompt_chars, length(prompt_sha256) FROM usage ORDER BY id"
    ).fetchall()
    assert [tuple(r) for r in rows] == [(None, 12, 64), ("shared plans", 12, 64)]


def test_the_key_never_reaches_the_database_even_when_the_provider_echoes_it(
    fake: FakeProvider, conn: Any, home: Path
) -> None:
    fake.script("a", "401")
    fake.script("b", "500")
    with pytest.raises(ProviderError) as failed:
        run(fake, conn, ["openai/a", "anthropic/b"], prompt=f"my key is {KEY}")
    assert KEY not in str(failed.value)
    conn.close()
    for path in (home / ".llm-router").rglob("*"):
        assert KEY.encode() not in path.read_bytes(), path
