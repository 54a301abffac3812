"""Server-sent events: split a byte stream into events and write events back, for the streams the gateway
reads (a provider's, through LiteLLM) and writes (to its client)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from llm_router import jsonio

_DUMP = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class SseParser:
    """Feed bytes, get back `(event, data)` pairs for every complete event (data as text)."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[tuple[str, str]]:
        self._buffer += chunk.replace(b"\r\n", b"\n")
        events: list[tuple[str, str]] = []
        while b"\n\n" in self._buffer:
            raw, self._buffer = self._buffer.split(b"\n\n", 1)
            event, data = "", []
            for line in raw.decode("utf-8", "replace").split("\n"):
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].removeprefix(" "))
            if event or data:
                events.append((event, "\n".join(data)))
        return events


def event_bytes(event: str, data: Any) -> bytes:
    """One event with a JSON payload (`event:` line omitted when `event` is empty)."""
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {_DUMP(data)}\n\n".encode()


DONE = b"data: [DONE]\n\n"


async def json_events(stream: AsyncIterator[Any]) -> AsyncIterator[tuple[str, Any]]:
    """The `(event, payload)` pairs of a stream of SSE bytes, payloads parsed from JSON (`[DONE]` ends)."""
    parser = SseParser()
    async for chunk in stream:
        if isinstance(chunk, str):
            chunk = chunk.encode()
        for event, data in parser.feed(chunk):
            if data.strip() == "[DONE]":
                return
            try:
                payload = jsonio.loads(data)
            except ValueError:
                continue
            if not event and isinstance(payload, dict):
                event = str(payload.get("type", ""))
            yield event, payload
