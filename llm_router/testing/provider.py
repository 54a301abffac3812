"""A fake model provider on 127.0.0.1, for llm-router's tests and for team policy repos.

`FakeProvider` speaks the OpenAI chat API (`/v1/chat/completions`), the OpenAI Responses API
(`/v1/responses`, see `testing.responses_api`), the Ollama API (`/api/chat`, `/api/generate`, `/api/tags`)
and the Anthropic messages API (`/v1/messages`), streaming included, and plays a script of faults per
model::

    with FakeProvider() as fake:
        fake.script("a", "429")               # every request for model `a` gets a 429
        fake.script("b", "500", "ok")         # first a 500, then answers (the last step repeats)
        env = {"OPENAI_API_KEY": "test", "OPENAI_BASE_URL": fake.openai_base}

Steps: ok, 401, 403, 429, 500, 503, context (400 context_length_exceeded), slow[:SECONDS], refused (the
connection is closed without a reply), garbage (200 with a body that is not JSON), empty (an empty answer),
refusal (an "I can't help with that" answer), length (cut off by max tokens), quote (a 400 whose message
quotes the prompt, as content filters do), cut[:PIECES] (the answer breaks off: a stream stops after PIECES
pieces, 3 by default, and the connection drops; a reply that is not streamed stops halfway through its body),
tool (a call to a tool: see `testing.toolcalls`), drip[:SECONDS] (a streamed answer whose pieces come SECONDS
apart, 0.05 by default).

An error step may carry the `Retry-After` header to send: `429:5` (seconds) or `503:date+5` (an HTTP-date
five seconds ahead); `429:ms=1500` sends `retry-after-ms: 1500` instead.

Every request is kept in `seen`, with its path, headers and raw body; `disconnects` counts the streams whose
client went away before the end.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from llm_router.testing import toolcalls
from llm_router.testing.replies import Reply

STEPS = (
    "ok",
    "401",
    "403",
    "429",
    "500",
    "503",
    "context",
    "slow",
    "refused",
    "garbage",
    "empty",
    "refusal",
    "length",
    "quote",
    "cut",
    "tool",
    "drip",
)
REFUSAL_TEXT = "I'm sorry, but I can't help with that."


@dataclass(frozen=True)
class Seen:
    """One request the fake provider received."""

    api: str  # openai | ollama | anthropic
    model: str
    step: str
    body: Mapping[str, Any]
    authorization: str  # the credential header as sent (the test key), for tests that check it arrives
    path: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)  # as received, names lower-cased
    raw: bytes = b""  # the body byte for byte


@dataclass
class _Script:
    steps: list[str] = field(default_factory=lambda: ["ok"])
    position: int = 0
    answer: str | Callable[[str], str] | None = None
    tool_call: Mapping[str, Any] | None = None

    def next(self) -> str:
        step = self.steps[min(self.position, len(self.steps) - 1)]
        self.position += 1
        return step


class FakeProvider:
    """A model provider on 127.0.0.1 that answers by script. Use as a context manager."""

    def __init__(self, scripts: Mapping[str, Sequence[str]] | None = None, *, slow_s: float = 2.0):
        self.slow_s = slow_s
        self.seen: list[Seen] = []
        self.disconnects = 0
        self._scripts: dict[str, _Script] = {}
        self._lock = threading.Lock()
        for model, steps in (scripts or {}).items():
            self.script(model, *steps)
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        self._thread: threading.Thread | None = None

    # -- scripting ---------------------------------------------------------------------------------
    def script(
        self,
        model: str,
        *steps: str,
        answer: str | Callable[[str], str] | None = None,
        tool_call: Mapping[str, Any] | None = None,
    ) -> FakeProvider:
        """What `model` does on its next requests, in order; the last step repeats. `answer` is the text of
        an `ok` step, or a function from the request's prompt text to it (a model that reads its prompt).
        `tool_call` (`{"name": ..., "arguments": {...}}`) is the call a `tool` step answers with."""
        for step in steps:
            if step.split(":", 1)[0] not in STEPS:
                raise ValueError(f"unknown step {step!r}; known: {', '.join(STEPS)}")
        with self._lock:
            self._scripts[_bare(model)] = _Script(list(steps) or ["ok"], 0, answer, tool_call)
        return self

    def count(self, model: str) -> int:
        """How many requests reached `model`."""
        return sum(1 for s in self.seen if s.model == _bare(model))

    def answer_for(self, model: str, prompt: str = "") -> str:
        """The text an `ok` step answers for `model` (to `prompt`, when its answer is a function)."""
        script = self._scripts.get(_bare(model))
        if script is None or script.answer is None:
            return f"answer from {_bare(model)}"
        return script.answer(prompt) if callable(script.answer) else script.answer

    def _take(self, model: str) -> str:
        with self._lock:
            script = self._scripts.setdefault(model, _Script())
            return script.next()

    # -- addresses ---------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def openai_base(self) -> str:
        return self.url + "/v1"

    def env(self, key: str = "sk-test-fake-provider-key") -> dict[str, str]:
        """Environment variables pointing OpenAI, Anthropic and Ollama at this server."""
        return {
            "OPENAI_API_KEY": key,
            "OPENAI_BASE_URL": self.openai_base,
            "ANTHROPIC_API_KEY": key,
            "ANTHROPIC_BASE_URL": self.url,
            "OLLAMA_BASE_URL": self.url,
        }

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> FakeProvider:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-provider", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # many concurrent clients (the gateway's concurrency tests)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (timeout tests) is not an error of the fake


def _bare(model: str) -> str:
    """`openai/gpt-4o` and `gpt-4o` name the same scripted model."""
    return model.split("/", 1)[1] if "/" in model else model


def _retry_after(arg: str) -> dict[str, str]:
    """The Retry-After header an error step asks for: `5`, `date+5` or `ms=1500` (see the module's doc)."""
    if not arg:
        return {}
    if arg.startswith("ms="):
        return {"retry-after-ms": arg[3:]}
    if arg.startswith("date+"):
        return {"Retry-After": formatdate(time.time() + float(arg[5:]), usegmt=True)}
    return {"Retry-After": arg}


def _is_text(payload: Any) -> bool:
    """Whether a streamed event carries a piece of the answer's text."""
    if not isinstance(payload, dict):
        return False
    if payload.get("type") == "content_block_delta":
        return True
    if "choices" in payload:
        return any((c.get("delta") or {}).get("content") for c in payload["choices"])
    return bool((payload.get("message") or {}).get("content")) and not payload.get("done")


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _prompt_text(body: Mapping[str, Any]) -> str:
    if "prompt" in body:
        return str(body["prompt"])
    if isinstance(body.get("input"), str):
        return str(body["input"])
    parts: list[str] = []
    for message in body.get("messages") or body.get("input") or []:
        content = message.get("content")
        if isinstance(content, list):
            parts.extend(str(c.get("text", "")) for c in content if isinstance(c, dict))
        else:
            parts.append(str(content or ""))
    return "\n".join(parts)


def _handler(fake: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in separate writes; without this, Nagle's algorithm and the client's
            # delayed ACK add ~40 ms to every reply.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            if self.path.rstrip("/") in ("/api/tags", ""):
                self._json(200, {"models": [{"name": name} for name in sorted(fake._scripts)]})
            elif self.path.rstrip("/") == "/v1/models":
                self._json(200, {"object": "list", "data": [{"id": n} for n in sorted(fake._scripts)]})
            else:
                self._json(404, {"error": {"message": "not found"}})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                self._json(400, {"error": {"message": "body is not JSON"}})
                return
            api = (
                "anthropic"
                if self.path.startswith("/v1/messages")
                else "ollama"
                if self.path.startswith("/api/")
                else "responses"
                if self.path.startswith("/v1/responses")
                else "openai"
            )
            model = _bare(str(body.get("model", "")))
            step = fake._take(model)
            auth = self.headers.get("Authorization") or self.headers.get("x-api-key") or ""
            headers = {k.lower(): v for k, v in self.headers.items()}
            fake.seen.append(Seen(api, model, step, body, auth, self.path, headers, raw))
            self._play(api, model, step, body)

        # -- faults ------------------------------------------------------------------------------
        def _play(self, api: str, model: str, step: str, body: dict[str, Any]) -> None:
            name, _, arg = step.partition(":")
            if name == "refused":
                self.close_connection = True
                self.connection.close()
                return
            if name in ("401", "403", "429", "500", "503"):
                messages = {
                    "401": "Incorrect API key provided.",
                    "403": "This key is not allowed to use this model.",
                    "429": "Rate limit reached, try again later.",
                    "500": "The server had an error while processing your request.",
                    "503": "The engine is currently overloaded.",
                }
                self._error(api, int(name), messages[name], headers=_retry_after(arg))
                return
            if name == "context":
                self._error(
                    api,
                    400,
                    "This model's maximum context length is 8192 tokens. Please reduce the length.",
                    code="context_length_exceeded",
                )
                return
            if name == "quote":
                self._error(api, 400, f"Rejected by the content filter: {_prompt_text(body)!r}")
                return
            if name == "garbage":
                raw = b"<html>upstream hiccup</html> not json {"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
                return
            if name == "tool":
                self._tool(api, model, body)
                return
            if name == "slow":
                time.sleep(float(arg) if arg else fake.slow_s)
            text, finish = fake.answer_for(model, _prompt_text(body)), "stop"
            if name == "empty":
                text = ""
            elif name == "refusal":
                text = REFUSAL_TEXT
            elif name == "length":
                text, finish = fake.answer_for(model)[:12], "length"
            reply = Reply(model, text, finish, _tokens(_prompt_text(body)), _tokens(text) if text else 0)
            cut = int(arg or 3) if name == "cut" else None
            if body.get("stream"):
                drip = float(arg or 0.05) if name == "drip" else 0.0
                self._stream(api, reply.events(api, body), cut, drip)
            elif cut is not None:
                raw = json.dumps(reply.body(api)).encode()
                self._send_head(200, "application/json", {"Content-Length": str(len(raw))})
                self.wfile.write(raw[: len(raw) // 2])
                self._drop()
            else:
                self._json(200, reply.body(api))

        def _error(
            self,
            api: str,
            status: int,
            message: str,
            code: str | None = None,
            headers: Mapping[str, str] | None = None,
        ) -> None:
            if api == "anthropic":
                kinds = {401: "authentication_error", 429: "rate_limit_error", 400: "invalid_request_error"}
                payload: dict[str, Any] = {
                    "type": "error",
                    "error": {"type": kinds.get(status, "api_error"), "message": message},
                }
            elif api == "ollama":
                payload = {"error": message}
            else:
                payload = {"error": {"message": message, "type": "error", "code": code or str(status)}}
            self._json(status, payload, headers)

        # -- writing -----------------------------------------------------------------------------
        def _json(self, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
            raw = json.dumps(payload).encode()
            self._send_head(status, "application/json", {"Content-Length": str(len(raw)), **(headers or {})})
            self.wfile.write(raw)

        def _send_head(self, status: int, content_type: str, headers: Mapping[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()

        def _drop(self) -> None:
            """Break the connection in the middle of a reply, as a failing upstream does."""
            self.wfile.flush()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            self.connection.close()

        def _tool(self, api: str, model: str, body: dict[str, Any]) -> None:
            script = fake._scripts.get(model)
            call = toolcalls.ToolCall.for_request(body, script.tool_call if script else None)
            tokens_in = _tokens(_prompt_text(body))
            if not body.get("stream"):
                self._json(200, toolcalls.body(api, model, call, tokens_in))
                return
            usage = bool((body.get("stream_options") or {}).get("include_usage"))
            self._stream(api, toolcalls.events(api, model, call, tokens_in, usage))

        def _stream(
            self, api: str, events: Iterator[tuple[str, Any]], cut: int | None = None, drip: float = 0.0
        ) -> None:
            # Chunked, as real providers stream: a stream that breaks off is then an error for the client,
            # not an answer that merely ended early.
            ndjson = api == "ollama"
            content_type = "application/x-ndjson" if ndjson else "text/event-stream"
            self._send_head(200, content_type, {"Transfer-Encoding": "chunked", "Connection": "close"})
            self.close_connection = True
            try:
                self._write_events(ndjson, events, cut, drip)
            except (BrokenPipeError, ConnectionResetError):
                with fake._lock:
                    fake.disconnects += 1

        def _write_events(
            self, ndjson: bool, events: Iterator[tuple[str, Any]], cut: int | None, drip: float
        ) -> None:
            pieces = 0
            for event, payload in events:
                if drip:
                    time.sleep(drip)
                if ndjson:
                    data = json.dumps(payload).encode() + b"\n"
                elif payload == "[DONE]":
                    data = b"data: [DONE]\n\n"
                else:
                    prefix = f"event: {event}\n" if event else ""
                    data = f"{prefix}data: {json.dumps(payload)}\n\n".encode()
                if cut is not None and pieces >= cut:
                    self._drop()
                    return
                pieces += _is_text(payload)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

    return Handler
