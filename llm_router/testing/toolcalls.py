"""Scripted tool calls for `FakeProvider`: the `tool` step answers with a call to a tool, in the OpenAI chat
format (`tool_calls`, finish_reason `tool_calls`) and in the Anthropic format (a `tool_use` block, stop_reason
`tool_use`), streamed or not.

The call is the one given to `FakeProvider.script(model, "tool", tool_call={"name": ..., "arguments":
{...}})`, or else a call to the first tool the request defines, with empty arguments.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from llm_router.testing import responses_api

CALL_ID = {"openai": "call_fake_1", "anthropic": "toolu_fake_1"}


@dataclass(frozen=True)
class ToolCall:
    """The call a `tool` step answers with."""

    name: str
    arguments: Mapping[str, Any]

    @classmethod
    def for_request(cls, body: Mapping[str, Any], scripted: Mapping[str, Any] | None) -> ToolCall:
        """The scripted call, else one to the request's first tool (OpenAI or Anthropic definitions)."""
        if scripted:
            return cls(str(scripted["name"]), dict(scripted.get("arguments") or {}))
        tools = body.get("tools") or []
        first = tools[0] if tools else {}
        name = (
            (first.get("function") or {}).get("name") or first.get("name") or "tool"
        )  # chat | messages, responses
        return cls(str(name), {})


def body(api: str, model: str, call: ToolCall, tokens_in: int) -> dict[str, Any]:
    """A whole reply that calls the tool."""
    args = json.dumps(call.arguments)
    if api == "responses":
        item = responses_api.call_item(call.name, call.arguments)
        return responses_api.body(model, item, tokens_in, 1 + len(args) // 4)
    if api == "anthropic":
        return {
            "id": "msg_fake_tool",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [
                {"type": "tool_use", "id": CALL_ID["anthropic"], "name": call.name, "input": call.arguments}
            ],
            "stop_reason": "tool_use",
            "stop_sequence": None,
            "usage": {"input_tokens": tokens_in, "output_tokens": 1 + len(args) // 4},
        }
    return {
        "id": "chatcmpl-fake-tool",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": CALL_ID["openai"],
                            "type": "function",
                            "function": {"name": call.name, "arguments": args},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {
            "prompt_tokens": tokens_in,
            "completion_tokens": 1 + len(args) // 4,
            "total_tokens": tokens_in + 1,
        },
    }


def events(
    api: str, model: str, call: ToolCall, tokens_in: int, include_usage: bool
) -> Iterator[tuple[str, Any]]:
    """The streamed events of a reply that calls the tool (the arguments in two pieces)."""
    args = json.dumps(call.arguments)
    if api == "responses":
        yield from responses_api.call_events(model, call.name, call.arguments, tokens_in, 1 + len(args) // 4)
        return
    half = len(args) // 2
    pieces = [args[:half], args[half:]]
    if api == "anthropic":
        start = {**body(api, model, call, tokens_in), "content": [], "stop_reason": None}
        start["usage"] = {"input_tokens": tokens_in, "output_tokens": 0}
        yield "message_start", {"type": "message_start", "message": start}
        block = {"type": "tool_use", "id": CALL_ID["anthropic"], "name": call.name, "input": {}}
        yield "content_block_start", {"type": "content_block_start", "index": 0, "content_block": block}
        for piece in pieces:
            delta = {"type": "input_json_delta", "partial_json": piece}
            yield "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
        yield "content_block_stop", {"type": "content_block_stop", "index": 0}
        stop = {"stop_reason": "tool_use", "stop_sequence": None}
        yield (
            "message_delta",
            {"type": "message_delta", "delta": stop, "usage": {"output_tokens": 1 + len(args) // 4}},
        )
        yield "message_stop", {"type": "message_stop"}
        return
    base = {"id": "chatcmpl-fake-tool", "object": "chat.completion.chunk", "created": 0, "model": model}
    first = {
        "index": 0,
        "id": CALL_ID["openai"],
        "type": "function",
        "function": {"name": call.name, "arguments": ""},
    }
    yield "", {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": [first]}}]}
    for piece in pieces:
        more = {"index": 0, "function": {"arguments": piece}}
        yield "", {**base, "choices": [{"index": 0, "delta": {"tool_calls": [more]}, "finish_reason": None}]}
    yield "", {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}
    if include_usage:
        usage = {
            "prompt_tokens": tokens_in,
            "completion_tokens": 1 + len(args) // 4,
            "total_tokens": tokens_in + 1,
        }
        yield "", {**base, "choices": [], "usage": usage}
    yield "", "[DONE]"
