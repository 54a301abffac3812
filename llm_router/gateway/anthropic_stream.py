"""Anthropic Messages answers from a routed model, made safe to hand to the client and to replay later:
thinking blocks of a non-Claude model are dropped (another model could not verify them), tool-use ids keep to
the characters Anthropic accepts, and the usage is read on the way through."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from typing import Any

from llm_router.gateway.sse import event_bytes, json_events

THINKING = frozenset({"thinking", "redacted_thinking"})
_BAD_ID = re.compile(r"[^a-zA-Z0-9_-]")


def keeps_thinking(model: str) -> bool:
    """Whether `model`'s thinking blocks can be replayed to Claude (only Anthropic's own are signed)."""
    return model.split("/", 1)[0] == "anthropic"


def safe_id(value: Any) -> str:
    """A tool-call id as Anthropic accepts it (^[a-zA-Z0-9_-]+$)."""
    text = _BAD_ID.sub("_", str(value or ""))
    return text or "toolu_llm_router"


def _block(block: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(block)
    if out.get("type") in ("tool_use", "server_tool_use") and "id" in out:
        out["id"] = safe_id(out["id"])
    return out


def clean_body(body: Mapping[str, Any], model: str) -> dict[str, Any]:
    """A whole Messages response, cleaned for the client."""
    out = dict(body)
    keep = keeps_thinking(model)
    out["content"] = [
        _block(b)
        for b in body.get("content") or []
        if isinstance(b, Mapping) and (keep or b.get("type") not in THINKING)
    ]
    return out


def has_content(body: Mapping[str, Any]) -> bool:
    """Whether a response says anything: text or a tool call."""
    for b in body.get("content") or []:
        if isinstance(b, Mapping) and (b.get("type") != "text" or str(b.get("text") or "").strip()):
            return True
    return False


def usage_of(body: Mapping[str, Any]) -> tuple[int | None, int | None]:
    usage = body.get("usage") or {}
    return _int(usage.get("input_tokens")), _int(usage.get("output_tokens"))


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class AnthropicEvents:
    """A routed model's stream as clean events: `prime()` reads up to the first content (so that a failure
    before it can still fall back), then iterating gives the rest, as SSE bytes."""

    def __init__(self, stream: Any, model: str):
        self._source = stream
        self._events = json_events(stream)
        self._keep_thinking = keeps_thinking(model)
        self._index: dict[int, int] = {}  # upstream block index -> index the client sees
        self._dropped: set[int] = set()
        self._next = 0
        self.tokens_in: int | None = None
        self.tokens_out: int | None = None
        self.chars = 0  # text and tool input streamed, for an estimate when no usage arrives
        self.content = False
        self.ended = False
        self.stop_reason: str | None = None
        self._buffer: list[bytes] = []

    async def prime(self) -> None:
        """Read events until the first content block starts (or the stream ends), holding them back."""
        async for event, payload in self._events:
            out = self._clean(event, payload)
            if out is not None:
                self._buffer.append(out)
            if self.content:
                return
        self.ended = True

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._buffer:
            yield chunk
        self._buffer.clear()
        if self.ended:
            return
        async for event, payload in self._events:
            out = self._clean(event, payload)
            if out is not None:
                yield out
        self.ended = True

    async def aclose(self) -> None:
        close = getattr(self._source, "aclose", None)
        if close is not None:
            await close()

    def _clean(self, event: str, payload: Any) -> bytes | None:
        if not isinstance(payload, dict):
            return None
        kind = payload.get("type") or event
        if kind == "message_start":
            message = dict(payload.get("message") or {})
            self._usage(message.get("usage"))
            payload = {**payload, "message": message}
        elif kind == "message_delta":
            self._usage(payload.get("usage"))
            self.stop_reason = (payload.get("delta") or {}).get("stop_reason") or self.stop_reason
        elif kind == "error":
            error = payload.get("error") or {}
            raise StreamError(str(error.get("type") or "api_error"), str(error.get("message") or ""))
        elif kind in ("content_block_start", "content_block_delta", "content_block_stop"):
            index = int(payload.get("index", 0))
            if kind == "content_block_start":
                block = payload.get("content_block") or {}
                if not self._keep_thinking and block.get("type") in THINKING:
                    self._dropped.add(index)
                    return None
                self._index[index] = self._next
                self._next += 1
                self.content = True
                payload = {**payload, "content_block": _block(block)}
            if index in self._dropped:
                return None
            if kind == "content_block_delta":
                delta = payload.get("delta") or {}
                self.chars += len(str(delta.get("text") or delta.get("partial_json") or ""))
            payload = {**payload, "index": self._index.get(index, index)}
        return event_bytes(kind, payload)

    def _usage(self, usage: Any) -> None:
        if not isinstance(usage, Mapping):
            return
        tokens_in, tokens_out = _int(usage.get("input_tokens")), _int(usage.get("output_tokens"))
        if tokens_in:
            self.tokens_in = tokens_in
        if tokens_out:
            self.tokens_out = tokens_out

    def tokens_so_far(self) -> int:
        return self.tokens_out if self.tokens_out else self.chars // 4


class StreamError(Exception):
    """An `error` event in a provider's stream."""

    def __init__(self, kind: str, message: str):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message
