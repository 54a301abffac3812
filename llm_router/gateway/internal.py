"""The internal endpoints, for local clients that would otherwise start cold (the prompt hook, `llm-router
query`): the token from serve.json is required on both, on any bind.

- `POST /internal/decide`: the one pipeline's decision for one prompt, as the hook takes it.
- `POST /internal/query`: decide and run one prompt exactly as `llm-router query` does, on the warm server;
  `"stream": true` answers in JSON lines as `query --json --stream` prints them.
- `POST /internal/hook`: a host's hook event, handled as the hook process would handle it (the prompt hook's
  decision, advice, session state, and a zero_claude execution); the headers go out before it is handled.

A caller may send `"env"`, `warm.fingerprint` of its environment: when it is not the server's, the call is
refused with 409 before anything runs, and the caller does the work itself (its decision would differ).

Both take `{"prompt", "host", "event", "session", "cwd", "config", "knobs"}`; query also `"models"` (forced,
as `--models`) and `"stream"`. The contract is in docs/gateway.md.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse, Response, StreamingResponse

from llm_router import router
from llm_router.decision import HOSTS, Decision, Request
from llm_router.errors import RouterError
from llm_router.gateway.errors import ApiError
from llm_router.gateway.http import check, parse_object, read_body, require

if TYPE_CHECKING:
    from llm_router.gateway.service import Gateway

KNOBS = ("profile", "policy", "enforce", "mode")
_LINE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def same_environment(body: Mapping[str, Any], env: Mapping[str, str], token: str) -> None:
    """409 when the caller says its environment is not this server's (see `warm.fingerprint`)."""
    from llm_router.warm import fingerprint

    theirs = check(body, "env", str, "a string")
    if theirs is not None and theirs != fingerprint(env, token):
        raise ApiError(409, "env: the caller's environment is not the server's; run the call in-process")


class Call:
    """One internal request: the Request, the settings it runs under and its knob overrides."""

    def __init__(self, gw: Gateway, body: Mapping[str, Any]):
        prompt = require(body, "prompt", str, "a string")
        if not prompt.strip():
            raise ApiError(400, "prompt: the prompt is empty", param="prompt")
        host = check(body, "host", str, "a string") or "cli"
        if host not in HOSTS:
            raise ApiError(400, f"host: expected one of {', '.join(HOSTS)}", param="host")
        cwd = check(body, "cwd", str, "a string") or ""
        if cwd and not (os.path.isabs(cwd) and os.path.isdir(cwd)):
            raise ApiError(400, f"cwd: {cwd!r} is not an absolute path to a folder", param="cwd")
        config = check(body, "config", str, "a string")
        knobs = check(body, "knobs", dict, "an object") or {}
        unknown = sorted(set(knobs) - set(KNOBS))
        if unknown:
            raise ApiError(
                400, f"knobs: unknown {', '.join(unknown)}; known: {', '.join(KNOBS)}", param="knobs"
            )
        self.knobs = {str(k): str(v) for k, v in knobs.items()}
        self.settings = router.Settings(
            env=gw.settings.env,
            cwd=Path(cwd) if cwd else gw.settings.cwd,
            config=Path(config) if config else gw.settings.config,
        )
        self.request = Request(
            prompt=prompt,
            host=host,
            event=check(body, "event", str, "a string") or "route",
            session=check(body, "session", str, "a string") or "",
            cwd=str(self.settings.cwd),
        )
        models = check(body, "models", list, "an array of model ids") or []
        if not all(isinstance(m, str) and m for m in models):
            raise ApiError(400, "models: expected an array of model ids", param="models")
        self.models = models or None
        self.stream = bool(check(body, "stream", bool, "a boolean"))

    def decide(self) -> Decision:
        return router.decide(self.request, settings=self.settings, knobs=self.knobs)


async def _call(gw: Gateway, http: HttpRequest) -> Call:
    raw = await read_body(http, gw.config().max_body_bytes)
    body = parse_object(raw)
    call = Call(gw, body)
    same_environment(body, gw.settings.env, gw.token)
    return call


async def decide(gw: Gateway, http: HttpRequest) -> Response:
    """POST /internal/decide: `{"decision": Decision.to_dict()}`."""
    call = await _call(gw, http)
    decision = await anyio.to_thread.run_sync(call.decide)
    return JSONResponse({"decision": decision.to_dict()})


def _error(exc: RouterError) -> dict[str, Any]:
    return {"message": str(exc), "type": type(exc).__name__, "exit_code": exc.exit_code}


async def query(gw: Gateway, http: HttpRequest) -> Response:
    """POST /internal/query: `{"decision": ..., "result": Result.to_dict() | null, "error": null | {"message",
    "type", "exit_code"}}`; with `"stream": true`, JSON lines: `{"type": "text", "text"}` pieces, then
    `{"type": "result", ...}` or `{"type": "error", "error": {...}}`."""
    call = await _call(gw, http)
    decision = await anyio.to_thread.run_sync(call.decide)
    if call.stream:
        return StreamingResponse(_lines(call, decision, http), media_type="application/x-ndjson")

    def run() -> dict[str, Any]:
        try:
            result = router.run(decision, call.request, settings=call.settings, models=call.models)
        except RouterError as exc:
            return {"decision": decision.to_dict(), "result": None, "error": _error(exc)}
        return {"decision": decision.to_dict(), "result": result.to_dict(), "error": None}

    return JSONResponse(await anyio.to_thread.run_sync(run, abandon_on_cancel=True))


async def _lines(call: Call, decision: Decision, http: HttpRequest) -> AsyncIterator[bytes]:
    if await http.is_disconnected():  # the caller gave up before the headers: it runs the call itself
        return
    send, receive = anyio.create_memory_object_stream[dict[str, Any]](max_buffer_size=1024)

    def on_text(piece: str) -> None:
        anyio.from_thread.run_sync(send.send_nowait, {"type": "text", "text": piece})

    def on_restart(restart: Any) -> None:
        anyio.from_thread.run_sync(send.send_nowait, restart.to_event())

    def run() -> None:
        try:
            result = router.run(
                decision,
                call.request,
                settings=call.settings,
                models=call.models,
                on_text=on_text,
                on_restart=on_restart,
            )
            line = {"type": "result", **result.to_dict()}
        except RouterError as exc:
            line = {"type": "error", "decision": decision.to_dict(), "error": _error(exc)}
        anyio.from_thread.run_sync(send.send_nowait, line)

    async with anyio.create_task_group() as tg:
        tg.start_soon(_run_then_close, run, send)
        async with receive:
            async for line in receive:
                yield (_LINE.encode(line) + "\n").encode()


async def _run_then_close(run: Any, send: Any) -> None:
    async with send:
        await anyio.to_thread.run_sync(run, abandon_on_cancel=True)


async def hook(gw: Gateway, http: HttpRequest) -> Response:
    """POST /internal/hook: `{"host", "event", "payload", "gateway", "env"}`, a host's hook event as its hook
    process got it → one JSON line, `{"output": the host's JSON or null}` (with `"error"` when handling it
    failed: the prompt is let through, as the hook would). The headers go out at once: the caller knows the
    event was taken, and waits for the answer however long a zero_claude execution takes."""
    raw = await read_body(http, gw.config().max_body_bytes)
    body = parse_object(raw)
    host = require(body, "host", str, "a string")
    event = check(body, "event", str, "a string") or ""
    payload = require(body, "payload", dict, "an object")
    via_gateway = bool(check(body, "gateway", bool, "a boolean"))
    same_environment(body, os.environ, gw.token)  # the hook handlers read this process's environment

    async def answer() -> AsyncIterator[bytes]:
        from llm_router.hosts import handlers
        from llm_router.hosts.hook import answer_line

        if await http.is_disconnected():  # the caller gave up before the headers: it handles the event
            return

        def handled() -> bytes:
            handlers.served.warm = True  # LiteLLM is warm here: classifier.llm may run for this event
            try:
                return answer_line(host, event, payload, gateway=via_gateway)
            finally:
                handlers.served.warm = False

        yield await anyio.to_thread.run_sync(handled, abandon_on_cancel=True)

    return StreamingResponse(answer(), media_type="application/x-ndjson")
