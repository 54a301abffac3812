"""Falling back along the chain before the first byte reaches the client, as `query` does: one usage row per
attempt (host `gateway`, the client's user agent), breakers, and an error naming every model when all fail."""

from __future__ import annotations

import anthropic
import pytest

from llm_router.testing import FakeProvider

TWO = "chains: {simple: [openai/gpt-4o-mini, openai/gpt-4.1]}"
BREAKER = "\nfallback: {circuit_breaker: {failures: 1, cooldown_s: 600}}"
MESSAGES = [{"role": "user", "content": "what is 2+2?"}]


@pytest.fixture
def client(gateway) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway(TWO).url, api_key="sk-ant-caller", max_retries=0)


@pytest.mark.parametrize("fault", ["429", "500", "503", "refused"])
def test_a_failing_first_model_falls_back_to_the_next(client, fake: FakeProvider, fault: str) -> None:
    fake.script("gpt-4o-mini", fault)
    response = client.messages.with_raw_response.create(
        model="claude-sonnet-4-6", max_tokens=50, messages=MESSAGES
    )
    assert response.headers["x-llm-router-model"] == "openai/gpt-4.1"
    assert response.parse().content[0].text == "answer from gpt-4.1"


@pytest.mark.parametrize("fault", ["429", "500"])
def test_a_streamed_request_falls_back_before_the_first_byte(client, fake: FakeProvider, fault: str) -> None:
    fake.script("gpt-4o-mini", fault)
    with client.messages.stream(model="claude-sonnet-4-6", max_tokens=50, messages=MESSAGES) as stream:
        text = stream.get_final_text()
        model = stream.response.headers["x-llm-router-model"]
    assert (model, text) == ("openai/gpt-4.1", "answer from gpt-4.1")


def test_every_attempt_is_one_usage_row_from_the_gateway_with_the_user_agent(
    gateway, fake: FakeProvider
) -> None:
    running = gateway(TWO)
    fake.script("gpt-4o-mini", "429")
    client = anthropic.Anthropic(
        base_url=running.url,
        api_key="sk-ant-caller",
        max_retries=0,
        default_headers={"user-agent": "claude-cli/2.1.0"},
    )
    client.messages.create(model="claude-sonnet-4-6", max_tokens=50, messages=MESSAGES)
    recorded = running.usage_rows()
    assert [r["outcome"] for r in recorded][-1] == "ok"
    assert {r["outcome"] for r in recorded[:-1]} == {"rate_limited"}
    assert [r["model"] for r in recorded][-1] == "openai/gpt-4.1"
    assert {(r["host"], r["user_agent"]) for r in recorded} == {("gateway", "claude-cli/2.1.0")}
    assert len({r["decision_id"] for r in recorded}) == 1


def test_a_model_whose_breaker_opened_is_skipped_next_time(gateway, fake: FakeProvider) -> None:
    running = gateway(TWO + BREAKER)
    fake.script("gpt-4o-mini", "500")
    client = anthropic.Anthropic(base_url=running.url, api_key="sk-ant-caller", max_retries=0)
    client.messages.create(model="claude-sonnet-4-6", max_tokens=50, messages=MESSAGES)
    before = fake.count("gpt-4o-mini")
    client.messages.create(model="claude-sonnet-4-6", max_tokens=50, messages=MESSAGES)
    assert fake.count("gpt-4o-mini") == before
    assert fake.count("gpt-4.1") == 2


def test_when_every_model_fails_the_error_names_each(client, fake: FakeProvider) -> None:
    fake.script("gpt-4o-mini", "500")
    fake.script("gpt-4.1", "401")
    with pytest.raises(anthropic.APIStatusError) as caught:
        client.messages.create(model="claude-sonnet-4-6", max_tokens=50, messages=MESSAGES)
    assert caught.value.status_code == 502
    assert "openai/gpt-4o-mini: server_error" in caught.value.message
    assert "openai/gpt-4.1: auth" in caught.value.message
    assert caught.value.body["error"]["type"] == "api_error"


def test_when_every_model_is_rate_limited_the_status_is_429(client, fake: FakeProvider) -> None:
    fake.script("gpt-4o-mini", "429")
    fake.script("gpt-4.1", "429")
    with pytest.raises(anthropic.RateLimitError):
        client.messages.create(model="claude-sonnet-4-6", max_tokens=50, messages=MESSAGES)


def test_in_zero_claude_an_exhausted_budget_is_a_429_naming_it(gateway, fake: FakeProvider) -> None:
    policy = (
        TWO + "\nmode: zero_claude\nbudgets: [{id: tiny, period: day, limit_usd: 0.000001, provider: openai}]"
    )
    running = gateway(policy)
    client = anthropic.Anthropic(base_url=running.url, api_key="sk-ant-caller", max_retries=0)
    for _ in range(3):  # spend past the limit
        try:
            client.messages.create(model="claude-sonnet-4-6", max_tokens=50, messages=MESSAGES)
        except anthropic.RateLimitError as exc:
            assert "tiny" in exc.message
            return
    pytest.fail("the budget never ran out")


def test_an_exhausted_budget_leaves_the_turn_to_claude(gateway, fake: FakeProvider) -> None:
    running = gateway(TWO + "\nbudgets: [{id: tiny, period: day, limit_usd: 0.000001, provider: openai}]")
    client = anthropic.Anthropic(base_url=running.url, api_key="sk-ant-caller", max_retries=0)
    for _ in range(3):
        client.messages.create(model="claude-sonnet-4-6", max_tokens=50, messages=MESSAGES)
    assert fake.seen[-1].api == "anthropic"


def test_a_provider_error_quoting_the_request_is_stored_without_it(gateway, fake: FakeProvider) -> None:
    running = gateway(TWO)
    fake.script("gpt-4o-mini", "quote")
    client = anthropic.Anthropic(base_url=running.url, api_key="sk-ant-caller", max_retries=0)
    history = [
        {"role": "user", "content": "my project codename is BLUEBIRD-ALPHA-SEVEN, remember it"},
        {"role": "assistant", "content": "Noted."},
        {"role": "user", "content": "what is 2+2?"},
    ]
    client.messages.create(model="claude-sonnet-4-6", max_tokens=50, messages=history)
    failed = [r for r in running.usage_rows() if r["outcome"] != "ok"]
    assert failed and "content filter" in failed[0]["error"]
    assert all("BLUEBIRD" not in str(r) for r in running.usage_rows())


def test_a_single_429_is_retried_on_the_same_model(gateway, fake: FakeProvider) -> None:
    running = gateway("chains: {simple: [openai/gpt-4o-mini]}")
    fake.script("gpt-4o-mini", "429:0", "ok")
    client = anthropic.Anthropic(base_url=running.url, api_key="sk-ant-caller", max_retries=0)
    message = client.messages.create(model="claude-sonnet-4-6", max_tokens=50, messages=MESSAGES)
    assert message.content[0].text == "answer from gpt-4o-mini"
    assert [r["outcome"] for r in running.usage_rows()] == ["rate_limited", "ok"]


def test_without_retries_a_429_on_a_one_model_chain_is_the_answer(gateway, fake: FakeProvider) -> None:
    running = gateway("chains: {simple: [openai/gpt-4o-mini]}\nfallback: {retries: 0}")
    fake.script("gpt-4o-mini", "429:0", "ok")
    client = anthropic.Anthropic(base_url=running.url, api_key="sk-ant-caller", max_retries=0)
    with pytest.raises(anthropic.RateLimitError):
        client.messages.create(model="claude-sonnet-4-6", max_tokens=50, messages=MESSAGES)


def test_a_stream_that_breaks_after_the_first_byte_ends_in_an_error_event(
    gateway, fake: FakeProvider
) -> None:
    running = gateway(TWO)
    fake.script("gpt-4o-mini", "cut:2", answer="one two three four five six")
    client = anthropic.Anthropic(base_url=running.url, api_key="sk-ant-caller", max_retries=0)
    streaming = client.messages.stream(model="claude-sonnet-4-6", max_tokens=50, messages=MESSAGES)
    with pytest.raises(anthropic.APIStatusError, match="failed mid-answer"), streaming as stream:
        stream.get_final_text()
    assert fake.count("gpt-4.1") == 0  # nothing can follow an answer the client has begun to read
    (row,) = running.usage_rows()
    assert row["outcome"] != "ok" and row["model"] == "openai/gpt-4o-mini"
