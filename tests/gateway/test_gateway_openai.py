"""The OpenAI APIs at the gateway, through the official `openai` SDK: Chat Completions (streamed, tools) for
Cursor, Continue, aider and the SDK; the Responses API (streamed, tools) for Codex; the model list."""

from __future__ import annotations

import json

import openai
import pytest

from llm_router.testing import FakeProvider

MESSAGES = [
    {"role": "system", "content": "Answer briefly."},
    {"role": "user", "content": "hello"},
    {"role": "assistant", "content": "Hi!"},
    {"role": "user", "content": "what is 2+2?"},
]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


@pytest.fixture
def client(gateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway().url + "/v1", api_key="unused", max_retries=0)


def test_a_chat_completion_with_model_auto_is_routed(client, fake: FakeProvider) -> None:
    response = client.chat.completions.with_raw_response.create(model="auto", messages=MESSAGES)
    completion = response.parse()
    assert completion.choices[0].message.content == "answer from gpt-4o-mini"
    assert response.headers["x-llm-router-model"] == "openai/gpt-4o-mini"
    assert fake.seen[-1].body["messages"] == MESSAGES


def test_a_chat_completion_streams_with_model_auto(client) -> None:
    stream = client.chat.completions.create(model="auto", messages=MESSAGES, stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == "answer from gpt-4o-mini"


def test_a_streamed_chat_completion_gives_usage_when_asked(client) -> None:
    chunks = list(
        client.chat.completions.create(
            model="auto", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_a_chat_tool_call_comes_back_and_its_result_goes_to_the_same_model(
    client, fake: FakeProvider
) -> None:
    fake.script("gpt-4o-mini", "tool", "ok", tool_call={"name": "get_weather", "arguments": {"city": "Oslo"}})
    first = client.chat.completions.with_raw_response.create(model="auto", messages=MESSAGES, tools=[WEATHER])
    call = first.parse().choices[0].message.tool_calls[0]
    assert (call.function.name, json.loads(call.function.arguments)) == ("get_weather", {"city": "Oslo"})
    follow = [
        *MESSAGES,
        first.parse().choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "cold"},
    ]
    second = client.chat.completions.with_raw_response.create(model="auto", messages=follow, tools=[WEATHER])
    assert second.headers["x-llm-router-decision"] == first.headers["x-llm-router-decision"]
    assert fake.seen[-1].body["messages"][-1] == {"role": "tool", "tool_call_id": call.id, "content": "cold"}


def test_a_streamed_chat_tool_call_arrives_whole(client, fake: FakeProvider) -> None:
    fake.script("gpt-4o-mini", "tool", tool_call={"name": "get_weather", "arguments": {"city": "Oslo"}})
    stream = client.chat.completions.create(model="auto", messages=MESSAGES, tools=[WEATHER], stream=True)
    arguments = "".join(
        c.choices[0].delta.tool_calls[0].function.arguments or ""
        for c in stream
        if c.choices and c.choices[0].delta.tool_calls
    )
    assert json.loads(arguments) == {"city": "Oslo"}


def test_a_concrete_model_is_respected(client, fake: FakeProvider) -> None:
    response = client.chat.completions.with_raw_response.create(model="gpt-4.1", messages=MESSAGES)
    assert response.headers["x-llm-router-model"] == "openai/gpt-4.1"
    assert [s.model for s in fake.seen] == ["gpt-4.1"]


def test_a_chain_name_routes_to_that_chain(gateway, fake: FakeProvider) -> None:
    url = gateway("chains: {complex: [openai/gpt-4.1]}").url + "/v1"
    client = openai.OpenAI(base_url=url, api_key="unused", max_retries=0)
    response = client.chat.completions.with_raw_response.create(model="complex", messages=MESSAGES)
    assert response.headers["x-llm-router-model"] == "openai/gpt-4.1"


def test_an_unknown_model_is_a_404_in_openais_shape(client) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="no-such-model-anywhere", messages=MESSAGES)
    assert caught.value.code == "model_not_found"


def test_missing_messages_is_a_400_in_openais_shape(client) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="auto", messages=[])
    assert "messages" in caught.value.message
    assert caught.value.type == "invalid_request_error"


def test_when_every_model_fails_the_sdk_gets_an_error_naming_each(gateway, fake: FakeProvider) -> None:
    url = gateway("chains: {simple: [openai/gpt-4o-mini, openai/gpt-4.1]}").url + "/v1"
    fake.script("gpt-4o-mini", "500")
    fake.script("gpt-4.1", "503")
    client = openai.OpenAI(base_url=url, api_key="unused", max_retries=0)
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model="auto", messages=MESSAGES)
    assert caught.value.status_code == 502
    assert "openai/gpt-4o-mini: server_error" in caught.value.message
    assert "openai/gpt-4.1: unavailable" in caught.value.message


def test_a_passthrough_goes_to_the_default_model(gateway, fake: FakeProvider) -> None:
    url = gateway("gateway: {default_model: openai/gpt-4.1}").url + "/v1"
    client = openai.OpenAI(base_url=url, api_key="unused", max_retries=0)
    claude = [{"role": "user", "content": "claude: review my plan"}]
    response = client.chat.completions.with_raw_response.create(model="auto", messages=claude)
    assert response.headers["x-llm-router-model"] == "openai/gpt-4.1"
    assert response.headers["x-llm-router-rule"] == "explicit-claude"


def test_without_a_default_model_a_passthrough_goes_to_its_tiers_chain(gateway, fake: FakeProvider) -> None:
    tiers = "".join(f"  {t}: [ollama/llama3.1, openai/gpt-4.1]\n" for t in ("simple", "moderate", "complex"))
    url = gateway("chains:\n" + tiers).url + "/v1"
    client = openai.OpenAI(base_url=url, api_key="unused", max_retries=0)
    response = client.chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": "claude: what is 2+2?"}]
    )
    assert response.headers["x-llm-router-rule"] == "explicit-claude"
    assert response.headers["x-llm-router-model"] == "openai/gpt-4.1"  # its tier's chain's configured model


def test_a_passthrough_with_nothing_configured_says_how_to_answer_it(gateway, fake: FakeProvider) -> None:
    url = gateway(env={"OPENAI_API_KEY": ""}).url + "/v1"
    client = openai.OpenAI(base_url=url, api_key="unused", max_retries=0)
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model="auto", messages=[{"role": "user", "content": "claude: review"}])
    assert "gateway.default_model" in caught.value.message
    assert fake.seen == []


def test_a_responses_request_is_answered(client, fake: FakeProvider) -> None:
    response = client.responses.with_raw_response.create(
        model="auto", instructions="Answer briefly.", input="what is 2+2?"
    )
    assert response.parse().output_text == "answer from gpt-4o-mini"
    assert response.headers["x-llm-router-model"] == "openai/gpt-4o-mini"
    sent = fake.seen[-1].body["messages"]
    assert sent[0] == {"role": "system", "content": "Answer briefly."}


def test_a_responses_request_streams(client) -> None:
    with client.responses.stream(model="auto", input="what is 2+2?") as stream:
        final = stream.get_final_response()
    assert final.output_text == "answer from gpt-4o-mini"


def test_a_responses_tool_call_comes_back_as_a_function_call(client, fake: FakeProvider) -> None:
    fake.script("gpt-4o-mini", "tool", tool_call={"name": "get_weather", "arguments": {"city": "Oslo"}})
    tool = {"type": "function", "name": "get_weather", "parameters": WEATHER["function"]["parameters"]}
    response = client.responses.create(model="auto", input="weather in Oslo?", tools=[tool])
    (call,) = [item for item in response.output if item.type == "function_call"]
    assert (call.name, json.loads(call.arguments)) == ("get_weather", {"city": "Oslo"})
    assert fake.seen[-1].body["tools"][0]["function"]["name"] == "get_weather"


def test_the_model_list_names_auto_the_tiers_and_the_chains(client) -> None:
    names = [m.id for m in client.models.list()]
    assert names[0] == "auto"
    assert {"simple", "moderate", "complex", "deep_reasoning", "research", "long_context"} <= set(names)
