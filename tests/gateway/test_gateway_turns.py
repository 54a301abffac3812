"""A turn keeps its model: a request continuing a turn (its last message is a tool result) keeps the turn's
decision and model, keyed by the conversation; the next user turn is decided afresh; thinking blocks of one
model are never replayed to another."""

from __future__ import annotations

import anthropic
import pytest

from llm_router.testing import FakeProvider

# Short conversations go to the simple chain, longer ones to the complex one: a fresh decision for a tool
# result (more messages) would change the model, so only turn memory keeps it.
BY_LENGTH = """
chains:
  simple: [openai/gpt-4o-mini]
  complex: [openai/gpt-4.1]
rules:
  - {id: short, when: "n_messages < 4", then: {route: simple}, after: explicit-claude}
  - {id: long, when: "n_messages >= 4", then: {route: complex}, after: explicit-claude}
"""
TOOL = {
    "name": "run_tests",
    "description": "Run the tests.",
    "input_schema": {"type": "object", "properties": {}},
}
CLAUDE = "claude-sonnet-4-6"


@pytest.fixture
def client(gateway) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway(BY_LENGTH).url, api_key="sk-ant-caller", max_retries=0)


def send(client: anthropic.Anthropic, messages: list[dict]):
    return client.messages.with_raw_response.create(
        model=CLAUDE, max_tokens=64, messages=messages, tools=[TOOL]
    )


def tool_loop(client: anthropic.Anthropic, fake: FakeProvider) -> tuple[list[dict], list]:
    """A user turn answered by a tool call, then its tool result sent back: (messages, the two responses)."""
    fake.script("gpt-4o-mini", "tool", "ok")
    messages = [
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "Hi! What shall we do?"},
        {"role": "user", "content": "fix the failing test"},
    ]
    first = send(client, messages)
    call = first.parse().content[0]
    messages = [
        *messages,
        {"role": "assistant", "content": [call.model_dump(exclude_none=True)]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "1 failed"}]},
    ]
    second = send(client, messages)
    return messages, [first, second]


def test_a_tool_result_keeps_the_model_that_began_the_turn(client, fake: FakeProvider) -> None:
    _, (first, second) = tool_loop(client, fake)
    assert first.headers["x-llm-router-model"] == second.headers["x-llm-router-model"] == "openai/gpt-4o-mini"
    assert first.headers["x-llm-router-decision"] == second.headers["x-llm-router-decision"]
    assert fake.count("gpt-4.1") == 0


def test_the_next_user_turn_is_decided_afresh(client, fake: FakeProvider) -> None:
    messages, (_, second) = tool_loop(client, fake)
    messages += [
        {"role": "assistant", "content": second.parse().content[0].text},
        {"role": "user", "content": "now explain why it failed"},
    ]
    third = send(client, messages)
    assert third.headers["x-llm-router-model"] == "openai/gpt-4.1"
    assert third.headers["x-llm-router-decision"] != second.headers["x-llm-router-decision"]


def test_another_conversation_does_not_share_the_turn(client, fake: FakeProvider) -> None:
    tool_loop(client, fake)
    other = [
        {"role": "user", "content": "a different task entirely"},
        {"role": "assistant", "content": "Sure."},
        {"role": "user", "content": "run the tests"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_x", "name": "run_tests", "input": {}}],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_x", "content": "ok"}]},
    ]
    assert send(client, other).headers["x-llm-router-model"] == "openai/gpt-4.1"


def test_a_turn_that_went_to_claude_stays_with_claude(gateway, fake: FakeProvider) -> None:
    client = anthropic.Anthropic(base_url=gateway(BY_LENGTH).url, api_key="sk-ant-caller", max_retries=0)
    fake.script(CLAUDE, "tool", "ok")
    messages = [{"role": "user", "content": "claude: fix the failing test"}]
    call = send(client, messages).parse().content[0]
    messages += [
        {"role": "assistant", "content": [call.model_dump(exclude_none=True)]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "1 failed"}]},
    ]
    send(client, messages)
    assert [s.api for s in fake.seen] == ["anthropic", "anthropic"]


def test_thinking_blocks_of_claude_are_not_replayed_to_another_model(client, fake: FakeProvider) -> None:
    messages = [
        {"role": "user", "content": "hello"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "the user greets me", "signature": "sig-from-claude"},
                {"type": "text", "text": "Hi!"},
            ],
        },
        {"role": "user", "content": "what is 2+2?"},
    ]
    send(client, messages)
    sent = fake.seen[-1].body["messages"]
    assert "sig-from-claude" not in str(sent)
    assert "the user greets me" not in str(sent)
    assert sent[1]["content"] == "Hi!"


def test_a_turn_older_than_turn_ttl_is_decided_afresh(gateway, fake: FakeProvider) -> None:
    client = anthropic.Anthropic(
        base_url=gateway(BY_LENGTH + "gateway: {turn_ttl_s: 0.001}").url,
        api_key="sk-ant-caller",
        max_retries=0,
    )
    _, (first, second) = tool_loop(client, fake)
    assert first.headers["x-llm-router-model"] == "openai/gpt-4o-mini"
    assert second.headers["x-llm-router-model"] == "openai/gpt-4.1"
