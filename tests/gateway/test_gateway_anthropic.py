"""The Anthropic Messages API at the gateway, through the official `anthropic` SDK, with the stand-in
provider behind it: routed answers, what reaches the provider, streaming, tool use, and the headers."""

from __future__ import annotations

import json

import anthropic
import pytest

from llm_router.testing import FakeProvider

CALLER_KEY = "sk-ant-caller-own-key"

SYSTEM = "You answer in one line."
HISTORY = [
    {"role": "user", "content": "hello there"},
    {"role": "assistant", "content": "Hello! How can I help?"},
    {"role": "user", "content": "what is 2+2?"},
]
WEATHER = {
    "name": "get_weather",
    "description": "The weather in a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@pytest.fixture
def client(gateway) -> anthropic.Anthropic:
    running = gateway()
    return anthropic.Anthropic(base_url=running.url, api_key=CALLER_KEY, max_retries=0)


def ask(client: anthropic.Anthropic, **extra):
    fields = {"model": "claude-sonnet-4-6", "max_tokens": 200, "system": SYSTEM, "messages": HISTORY}
    return client.messages.with_raw_response.create(**{**fields, **extra})


def test_a_simple_question_is_answered_by_the_simple_chains_openai_model(client, fake: FakeProvider) -> None:
    response = ask(client)
    message = response.parse()
    assert message.content[0].text == "answer from gpt-4o-mini"
    assert response.headers["x-llm-router-model"] == "openai/gpt-4o-mini"
    assert [s.model for s in fake.seen] == ["gpt-4o-mini"]


def test_the_provider_sees_the_system_prompt_and_every_earlier_message(client, fake: FakeProvider) -> None:
    ask(client)
    sent = fake.seen[-1].body["messages"]
    assert sent == [{"role": "system", "content": SYSTEM}, *HISTORY]


def test_tool_definitions_reach_the_provider(client, fake: FakeProvider) -> None:
    ask(client, tools=[WEATHER])
    (tool,) = fake.seen[-1].body["tools"]
    assert tool["function"]["name"] == "get_weather"
    assert tool["function"]["parameters"] == WEATHER["input_schema"]


def test_max_tokens_temperature_and_stop_sequences_are_forwarded(client, fake: FakeProvider) -> None:
    ask(client, max_tokens=77, stop_sequences=["END"], extra_body={"temperature": 0.25})
    body = fake.seen[-1].body
    assert (body["max_tokens"], body["temperature"], body["stop"]) == (77, 0.25, ["END"])


def test_streaming_gives_the_same_text(client) -> None:
    plain = ask(client).parse().content[0].text
    fields = {"model": "claude-sonnet-4-6", "max_tokens": 200, "system": SYSTEM, "messages": HISTORY}
    with client.messages.stream(**fields) as stream:
        streamed = stream.get_final_text()
        headers = stream.response.headers
    assert streamed == plain
    assert headers["x-llm-router-model"] == "openai/gpt-4o-mini"


def test_the_response_names_the_decision_and_its_rule(client) -> None:
    response = ask(client)
    assert response.headers["x-llm-router-rule"] == "by-difficulty"
    assert len(response.headers["x-llm-router-decision"]) == 16


def test_a_provider_tool_call_comes_back_as_a_tool_use_block(client, fake: FakeProvider) -> None:
    fake.script("gpt-4o-mini", "tool", tool_call={"name": "get_weather", "arguments": {"city": "Paris"}})
    message = ask(client, tools=[WEATHER]).parse()
    (block,) = message.content
    assert (block.type, block.name, block.input) == ("tool_use", "get_weather", {"city": "Paris"})
    assert message.stop_reason == "tool_use"


def test_a_streamed_tool_call_comes_back_as_a_tool_use_block(client, fake: FakeProvider) -> None:
    fake.script("gpt-4o-mini", "tool", tool_call={"name": "get_weather", "arguments": {"city": "Paris"}})
    fields = {"model": "claude-sonnet-4-6", "max_tokens": 200, "messages": HISTORY, "tools": [WEATHER]}
    with client.messages.stream(**fields) as stream:
        message = stream.get_final_message()
    (block,) = message.content
    assert (block.type, block.name, block.input) == ("tool_use", "get_weather", {"city": "Paris"})


def test_the_tool_result_turn_reaches_the_same_model(client, fake: FakeProvider) -> None:
    fake.script(
        "gpt-4o-mini", "tool", "ok", tool_call={"name": "get_weather", "arguments": {"city": "Paris"}}
    )
    first = ask(client, tools=[WEATHER]).parse()
    call = first.content[0]
    result = {"type": "tool_result", "tool_use_id": call.id, "content": "18 degrees and sunny"}
    turn = [*HISTORY, {"role": "assistant", "content": [c.model_dump() for c in first.content]}]
    turn.append({"role": "user", "content": [result]})
    second = ask(client, tools=[WEATHER], messages=turn)
    assert second.headers["x-llm-router-model"] == "openai/gpt-4o-mini"
    sent = fake.seen[-1].body["messages"]
    assert sent[-2]["tool_calls"][0]["function"] == {
        "name": "get_weather",
        "arguments": json.dumps({"city": "Paris"}),
    }
    assert sent[-1] == {"role": "tool", "tool_call_id": call.id, "content": "18 degrees and sunny"}


def test_an_image_reaches_the_provider(client, fake: FakeProvider) -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}
    ask(client, messages=[{"role": "user", "content": [image, {"type": "text", "text": "what is this?"}]}])
    parts = fake.seen[-1].body["messages"][-1]["content"]
    assert {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}} in parts


def test_a_background_request_goes_to_the_simple_chain(gateway, fake: FakeProvider) -> None:
    running = gateway("chains: {simple: [openai/gpt-4o-mini], complex: [openai/gpt-4.1]}")
    client = anthropic.Anthropic(base_url=running.url, api_key=CALLER_KEY, max_retries=0)
    title = "Summarise this conversation in a title: design a distributed tracing strategy for 40 services"
    response = client.messages.with_raw_response.create(
        model="claude-haiku-4-5", max_tokens=50, messages=[{"role": "user", "content": title}]
    )
    assert response.headers["x-llm-router-rule"] == "background"
    assert response.headers["x-llm-router-model"] == "openai/gpt-4o-mini"


def test_background_models_come_from_the_policy(gateway) -> None:
    running = gateway("gateway: {background_models: ['my-small-*']}")
    client = anthropic.Anthropic(base_url=running.url, api_key=CALLER_KEY, max_retries=0)
    messages = [{"role": "user", "content": "write a title"}]
    small = client.messages.with_raw_response.create(model="my-small-model", max_tokens=50, messages=messages)
    haiku = client.messages.with_raw_response.create(
        model="claude-haiku-4-5", max_tokens=50, messages=messages
    )
    assert small.headers["x-llm-router-rule"] == "background"
    assert haiku.headers["x-llm-router-rule"] != "background"


def test_a_thinking_request_goes_one_tier_up_and_is_answered(client, fake: FakeProvider) -> None:
    response = ask(client, max_tokens=2048, thinking={"type": "enabled", "budget_tokens": 1024})
    assert response.headers["x-llm-router-rule"] == "by-difficulty"
    assert response.headers["x-llm-router-model"] == "openai/gpt-5-mini"  # the moderate chain's OpenAI model
    assert response.parse().content[-1].text == "answer from gpt-5-mini"
