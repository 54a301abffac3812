"""The OpenAI Responses API (`POST /v1/responses`) as `FakeProvider` answers it: a message with the answer's
text, or a function call (the `tool` step), whole or as the streamed events OpenAI sends."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from typing import Any

RESPONSE_ID = "resp_fake"
MESSAGE_ID = "msg_fake"
CALL_ID = "call_fake_1"


def _usage(tokens_in: int, tokens_out: int) -> dict[str, int]:
    return {"input_tokens": tokens_in, "output_tokens": tokens_out, "total_tokens": tokens_in + tokens_out}


def _response(
    model: str, output: list[dict[str, Any]], status: str, usage: dict[str, int] | None
) -> dict[str, Any]:
    return {
        "id": RESPONSE_ID,
        "object": "response",
        "created_at": int(time.time()),
        "model": model,
        "status": status,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": usage,
    }


def message_item(text: str, status: str = "completed") -> dict[str, Any]:
    content = [{"type": "output_text", "text": text, "annotations": []}] if status == "completed" else []
    return {"type": "message", "id": MESSAGE_ID, "role": "assistant", "status": status, "content": content}


def call_item(name: str, arguments: Mapping[str, Any], status: str = "completed") -> dict[str, Any]:
    args = json.dumps(arguments) if status == "completed" else ""
    return {
        "type": "function_call",
        "id": "fc_fake_1",
        "call_id": CALL_ID,
        "name": name,
        "arguments": args,
        "status": status,
    }


def body(model: str, item: dict[str, Any], tokens_in: int, tokens_out: int) -> dict[str, Any]:
    """A whole response with one output item."""
    return _response(model, [item], "completed", _usage(tokens_in, tokens_out))


def text_events(model: str, pieces: list[str], tokens_in: int, tokens_out: int) -> Iterator[tuple[str, Any]]:
    """The events of a streamed text answer."""
    text = "".join(pieces)
    yield from _start(model, message_item("", "in_progress"))
    part = {"type": "output_text", "text": "", "annotations": []}
    yield _event(
        "response.content_part.added", item_id=MESSAGE_ID, output_index=0, content_index=0, part=part
    )
    for piece in pieces:
        yield _event(
            "response.output_text.delta", item_id=MESSAGE_ID, output_index=0, content_index=0, delta=piece
        )
    yield _event("response.output_text.done", item_id=MESSAGE_ID, output_index=0, content_index=0, text=text)
    done = {**part, "text": text}
    yield _event("response.content_part.done", item_id=MESSAGE_ID, output_index=0, content_index=0, part=done)
    yield from _end(model, message_item(text), tokens_in, tokens_out)


def call_events(
    model: str, name: str, arguments: Mapping[str, Any], tokens_in: int, tokens_out: int
) -> Iterator[tuple[str, Any]]:
    """The events of a streamed function call (its arguments in two pieces)."""
    args = json.dumps(arguments)
    yield from _start(model, call_item(name, arguments, "in_progress"))
    for piece in (args[: len(args) // 2], args[len(args) // 2 :]):
        yield _event(
            "response.function_call_arguments.delta", item_id="fc_fake_1", output_index=0, delta=piece
        )
    yield _event("response.function_call_arguments.done", item_id="fc_fake_1", output_index=0, arguments=args)
    yield from _end(model, call_item(name, arguments), tokens_in, tokens_out)


_sequence = iter(range(1 << 62))


def _event(kind: str, **fields: Any) -> tuple[str, dict[str, Any]]:
    return kind, {"type": kind, "sequence_number": next(_sequence), **fields}


def _start(model: str, item: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    yield _event("response.created", response=_response(model, [], "in_progress", None))
    yield _event("response.in_progress", response=_response(model, [], "in_progress", None))
    yield _event("response.output_item.added", output_index=0, item=item)


def _end(model: str, item: dict[str, Any], tokens_in: int, tokens_out: int) -> Iterator[tuple[str, Any]]:
    yield _event("response.output_item.done", output_index=0, item=item)
    yield _event("response.completed", response=body(model, item, tokens_in, tokens_out))
