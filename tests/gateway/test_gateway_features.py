"""What the gateway reads from a request before deciding: the user's own text, whether the request starts a
turn or continues one, the conversation it belongs to, and the request features."""

from __future__ import annotations

from llm_router.gateway.features import anthropic_shape, chat_shape, responses_shape


def never(model: str) -> bool:
    return False


def anthropic(messages: list, **body: object):
    full = {"model": "claude-sonnet-4-6", "max_tokens": 10, "messages": messages, **body}
    return anthropic_shape(full, 1000, never)


RESULT = {"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}
CALL = {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "x", "input": {}}]}


def test_the_prompt_is_the_last_user_text_without_host_reminders() -> None:
    text = "<system-reminder>Today is Monday.</system-reminder>\nfix the failing test"
    shape = anthropic([{"role": "user", "content": [{"type": "text", "text": text}]}])
    assert shape.prompt == "fix the failing test"
    assert not shape.continuing


def test_a_tool_result_continues_the_turn_and_keeps_its_prompt() -> None:
    start = anthropic([{"role": "user", "content": "fix the failing test"}])
    more = anthropic(
        [{"role": "user", "content": "fix the failing test"}, CALL, {"role": "user", "content": [RESULT]}]
    )
    assert more.continuing
    assert (more.prompt, more.turn, more.conversation) == (start.prompt, start.turn, start.conversation)


def test_a_tool_result_with_a_reminder_still_continues_the_turn() -> None:
    reminder = {"type": "text", "text": "<system-reminder>a file changed</system-reminder>"}
    shape = anthropic(
        [{"role": "user", "content": "go"}, CALL, {"role": "user", "content": [RESULT, reminder]}]
    )
    assert shape.continuing


def test_a_tool_result_with_the_users_own_words_starts_a_new_turn() -> None:
    words = {"type": "text", "text": "stop, do something else"}
    shape = anthropic([{"role": "user", "content": "go"}, CALL, {"role": "user", "content": [RESULT, words]}])
    assert not shape.continuing
    assert shape.prompt == "stop, do something else"


def test_the_same_words_later_in_a_conversation_are_another_turn() -> None:
    first = anthropic([{"role": "user", "content": "continue"}])
    later = anthropic(
        [
            {"role": "user", "content": "continue"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": "continue"},
        ]
    )
    assert first.conversation == later.conversation
    assert first.turn != later.turn


def test_claude_codes_session_tells_conversations_apart() -> None:
    one = anthropic([{"role": "user", "content": "hi"}], metadata={"user_id": "user_a_session_1"})
    two = anthropic([{"role": "user", "content": "hi"}], metadata={"user_id": "user_a_session_2"})
    assert one.conversation != two.conversation


def test_features_of_an_anthropic_request() -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}
    shape = anthropic(
        [{"role": "user", "content": [image, {"type": "text", "text": "what?"}]}],
        tools=[{"name": "x", "input_schema": {}}],
        thinking={"type": "enabled", "budget_tokens": 1024},
        stream=True,
    )
    f = shape.features
    assert (f.requested_model, f.has_tools, f.n_messages, f.thinking, f.has_images, f.stream) == (
        "claude-sonnet-4-6",
        True,
        1,
        True,
        True,
        True,
    )
    assert f.context_tokens == (1000 - 4) // 4 + 1600


def test_a_background_request_is_a_background_model_without_tools() -> None:
    body = {
        "model": "claude-haiku-4-5",
        "max_tokens": 10,
        "messages": [{"role": "user", "content": "title?"}],
    }
    assert anthropic_shape(body, 100, lambda m: "haiku" in m).features.background
    with_tools = {**body, "tools": [{"name": "x", "input_schema": {}}]}
    assert not anthropic_shape(with_tools, 100, lambda m: "haiku" in m).features.background


def test_a_chat_tool_message_continues_the_turn() -> None:
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "weather?"},
        {
            "role": "assistant",
            "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "w", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
    ]
    shape = chat_shape({"model": "auto", "messages": messages, "reasoning_effort": "high"}, 500)
    assert shape.continuing and shape.prompt == "weather?"
    assert shape.features.thinking and shape.features.n_messages == 4


def test_a_responses_function_output_continues_the_turn_keyed_by_codexs_cache_key() -> None:
    items = [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "run the tests"}]},
        {"type": "function_call", "call_id": "c1", "name": "shell", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "ok"},
    ]
    one = responses_shape({"model": "auto", "input": items, "prompt_cache_key": "conv-1"}, 500)
    two = responses_shape({"model": "auto", "input": items, "prompt_cache_key": "conv-2"}, 500)
    assert one.continuing and one.prompt == "run the tests"
    assert one.conversation != two.conversation


def test_a_responses_string_input_is_the_prompt() -> None:
    shape = responses_shape({"model": "auto", "input": "what is 2+2?", "reasoning": {"effort": "low"}}, 100)
    assert (shape.prompt, shape.continuing, shape.features.thinking) == ("what is 2+2?", False, True)
