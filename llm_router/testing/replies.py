"""The answers `FakeProvider` gives, whole or streamed, in each API's shape: OpenAI chat, the OpenAI Responses
API, Ollama and Anthropic messages."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from llm_router.testing import responses_api


@dataclass(frozen=True)
class Reply:
    """An answer the stand-in gives: whole, or as the streamed events of each API."""

    model: str
    text: str
    finish: str  # stop | length
    tokens_in: int
    tokens_out: int

    def body(self, api: str) -> dict[str, Any]:
        if api == "responses":
            return responses_api.body(
                self.model, responses_api.message_item(self.text), self.tokens_in, self.tokens_out
            )
        if api == "anthropic":
            return {
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": self.model,
                "content": [{"type": "text", "text": self.text}],
                "stop_reason": "max_tokens" if self.finish == "length" else "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": self.tokens_in, "output_tokens": self.tokens_out},
            }
        if api == "ollama":
            return {
                "model": self.model,
                "created_at": "2026-01-01T00:00:00Z",
                "message": {"role": "assistant", "content": self.text},
                "response": self.text,
                "done": True,
                "done_reason": self.finish,
                "prompt_eval_count": self.tokens_in,
                "eval_count": self.tokens_out,
            }
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": self.text},
                    "finish_reason": self.finish,
                }
            ],
            "usage": {
                "prompt_tokens": self.tokens_in,
                "completion_tokens": self.tokens_out,
                "total_tokens": self.tokens_in + self.tokens_out,
            },
        }

    def pieces(self) -> list[str]:
        words = self.text.split(" ")
        return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)] if self.text else []

    def events(self, api: str, body: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
        if api == "responses":
            yield from responses_api.text_events(self.model, self.pieces(), self.tokens_in, self.tokens_out)
        elif api == "anthropic":
            yield from self._anthropic_events()
        elif api == "ollama":
            for piece in self.pieces():
                yield (
                    "",
                    {
                        "model": self.model,
                        "message": {"role": "assistant", "content": piece},
                        "response": piece,
                        "done": False,
                    },
                )
            yield "", {**self.body("ollama"), "message": {"role": "assistant", "content": ""}, "response": ""}
        else:
            base = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": self.model,
            }
            for piece in self.pieces():
                yield (
                    "",
                    {**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]},
                )
            yield "", {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": self.finish}]}
            if (body.get("stream_options") or {}).get("include_usage"):
                yield "", {**base, "choices": [], "usage": self.body("openai")["usage"]}
            yield "", "[DONE]"

    def _anthropic_events(self) -> Iterator[tuple[str, Any]]:
        start = {
            **self.body("anthropic"),
            "content": [],
            "stop_reason": None,
            "usage": {"input_tokens": self.tokens_in, "output_tokens": 0},
        }
        yield "message_start", {"type": "message_start", "message": start}
        yield (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        )
        for piece in self.pieces():
            yield (
                "content_block_delta",
                {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}},
            )
        yield "content_block_stop", {"type": "content_block_stop", "index": 0}
        stop = "max_tokens" if self.finish == "length" else "end_turn"
        yield (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": self.tokens_out},
            },
        )
        yield "message_stop", {"type": "message_stop"}
