"""The stand-in provider's APIs as the official SDKs read them: tool calls in each format, the Responses API,
and what it records of each request."""

from __future__ import annotations

import json
from collections.abc import Iterator

import anthropic
import openai
import pytest

from llm_router.testing import FakeProvider

WEATHER = {"name": "get_weather", "arguments": {"city": "Oslo"}}


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        yield provider


@pytest.fixture
def oai(fake: FakeProvider) -> openai.OpenAI:
    return openai.OpenAI(base_url=fake.openai_base, api_key="sk-test", max_retries=0)


def test_a_chat_tool_call_is_scripted(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.script("m", "tool", tool_call=WEATHER)
    message = oai.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}]).choices[0]
    call = message.message.tool_calls[0]
    assert (message.finish_reason, call.function.name, json.loads(call.function.arguments)) == (
        "tool_calls",
        "get_weather",
        {"city": "Oslo"},
    )


def test_a_tool_call_defaults_to_the_requests_first_tool(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.script("m", "tool")
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
    reply = oai.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}], tools=[tool])
    assert reply.choices[0].message.tool_calls[0].function.name == "lookup"


def test_an_anthropic_tool_use_is_scripted_and_streams(fake: FakeProvider) -> None:
    fake.script("claude-x", "tool", tool_call=WEATHER)
    client = anthropic.Anthropic(base_url=fake.url, api_key="k", max_retries=0)
    with client.messages.stream(
        model="claude-x", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
    ) as s:
        message = s.get_final_message()
    block = message.content[0]
    assert (message.stop_reason, block.type, block.name, block.input) == (
        "tool_use",
        "tool_use",
        "get_weather",
        {"city": "Oslo"},
    )


def test_the_responses_api_answers_and_streams(fake: FakeProvider, oai: openai.OpenAI) -> None:
    assert oai.responses.create(model="m", input="hi").output_text == "answer from m"
    with oai.responses.stream(model="m", input="hi") as stream:
        assert stream.get_final_response().output_text == "answer from m"
    assert [s.api for s in fake.seen] == ["responses", "responses"]


def test_a_responses_function_call_is_scripted(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.script("m", "tool", tool_call=WEATHER)
    with oai.responses.stream(model="m", input="weather?") as stream:
        (call,) = stream.get_final_response().output
    assert (call.type, call.name, json.loads(call.arguments)) == (
        "function_call",
        "get_weather",
        {"city": "Oslo"},
    )


def test_each_request_is_recorded_with_its_path_headers_and_raw_body(
    fake: FakeProvider, oai: openai.OpenAI
) -> None:
    oai.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    (seen,) = fake.seen
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["authorization"] == "Bearer sk-test"
    assert json.loads(seen.raw) == seen.body
