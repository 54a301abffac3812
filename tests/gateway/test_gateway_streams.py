"""Streams under load and cut short: 50 concurrent streams all complete; a client that leaves mid-stream
cancels the provider call, and the partial usage is recorded."""

from __future__ import annotations

import asyncio
import time

import anthropic
import httpx

from llm_router.testing import FakeProvider

MESSAGES = [{"role": "user", "content": "what is 2+2?"}]


def test_fifty_concurrent_streams_all_complete(gateway, fake: FakeProvider) -> None:
    running = gateway()
    fake.script("gpt-4o-mini", "drip:0.01", answer="one two three four five six seven eight")

    async def one(client: anthropic.AsyncAnthropic) -> str:
        async with client.messages.stream(model="claude-sonnet-4-6", max_tokens=50, messages=MESSAGES) as s:
            return await s.get_final_text()

    async def all_of_them() -> list[str]:
        client = anthropic.AsyncAnthropic(base_url=running.url, api_key="k", max_retries=0, timeout=120)
        return await asyncio.gather(*(one(client) for _ in range(50)))

    texts = asyncio.run(all_of_them())
    assert texts == ["one two three four five six seven eight"] * 50
    ok = [r for r in running.usage_rows() if r["outcome"] == "ok"]
    assert len(ok) == 50


def test_a_client_that_leaves_mid_stream_cancels_the_provider_call(gateway, fake: FakeProvider) -> None:
    running = gateway()
    fake.script("gpt-4o-mini", "drip:0.05", answer=" ".join(f"word{i}" for i in range(400)))
    body = {"model": "claude-sonnet-4-6", "max_tokens": 50, "messages": MESSAGES, "stream": True}
    with httpx.stream(
        "POST", running.url + "/v1/messages", json=body, headers={"x-api-key": "k"}, timeout=60
    ) as r:
        for n, _ in enumerate(r.iter_lines()):
            if n > 12:
                break
    deadline = time.monotonic() + 30
    while (fake.disconnects == 0 or not running.usage_rows()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fake.disconnects == 1
    (row,) = running.usage_rows()
    assert row["outcome"] == "client_closed"
    assert 0 < row["tokens_out"] < 400
    assert row["cost_usd"] > 0


def test_a_client_leaving_does_not_count_against_the_models_breaker(gateway, fake: FakeProvider) -> None:
    running = gateway("fallback: {circuit_breaker: {failures: 1, cooldown_s: 600}}")
    fake.script("gpt-4o-mini", "drip:0.05", answer=" ".join(f"word{i}" for i in range(400)))
    body = {"model": "claude-sonnet-4-6", "max_tokens": 50, "messages": MESSAGES, "stream": True}
    with httpx.stream(
        "POST", running.url + "/v1/messages", json=body, headers={"x-api-key": "k"}, timeout=60
    ) as r:
        next(r.iter_lines())
    deadline = time.monotonic() + 30
    while not running.usage_rows() and time.monotonic() < deadline:
        time.sleep(0.05)
    fake.script("gpt-4o-mini", "ok")
    client = anthropic.Anthropic(base_url=running.url, api_key="k", max_retries=0)
    response = client.messages.with_raw_response.create(
        model="claude-sonnet-4-6", max_tokens=50, messages=MESSAGES
    )
    assert response.headers["x-llm-router-model"] == "openai/gpt-4o-mini"
