"""The OpenAI Chat Completions API: `POST /v1/chat/completions` (streamed, tools), for Cursor, Continue, aider
and the OpenAI SDK. Model `auto`, a tier or a chain name: the policy decides; a concrete model is respected.
Requests go out through `litellm.acompletion`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request as HttpRequest
from starlette.responses import Response

from llm_router.execute.awalk import Opened
from llm_router.execute.dispatch import Failure
from llm_router.gateway.errors import ApiError
from llm_router.gateway.features import chat_shape
from llm_router.gateway.http import check, parse_object, read_body, require
from llm_router.gateway.litellm_calls import classify_failure, litellm_ready, request_texts
from llm_router.gateway.openai_common import error_event, named_model
from llm_router.gateway.plan import make_plan
from llm_router.gateway.relay import ChunkEvents, deliver, primed
from llm_router.gateway.sse import DONE

if TYPE_CHECKING:
    from llm_router.gateway.service import Gateway

ROLES = ("system", "developer", "user", "assistant", "tool", "function")
FORWARDED = (
    "messages",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "functions",
    "function_call",
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "seed",
    "response_format",
    "reasoning_effort",
    "logprobs",
    "top_logprobs",
    "n",
)


def validate(body: Mapping[str, Any]) -> None:
    """A 400 for what the API itself rejects: no model, no messages, wrong types."""
    require(body, "model", str, "a string")
    messages = require(body, "messages", list, "an array of messages")
    if not messages:
        raise ApiError(400, "messages: at least one message is required", param="messages")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES:
            raise ApiError(400, f"messages[{i}].role: expected one of {', '.join(ROLES)}", param="messages")
    check(body, "tools", list, "an array of tools")
    check(body, "stream", bool, "a boolean")
    check(body, "max_tokens", int, "an integer")
    check(body, "temperature", (int, float), "a number")


async def chat_completions(gw: Gateway, http: HttpRequest) -> Response:
    """POST /v1/chat/completions."""
    config = gw.config()
    raw = await read_body(http, config.max_body_bytes)
    body = parse_object(raw)
    validate(body)
    named = named_model(body["model"], gw.policy())
    shape = chat_shape(body, len(raw))
    plan = make_plan(gw, "chat", shape, http.headers.get("user-agent", ""), named=named)
    stream = bool(body.get("stream"))
    return await deliver(gw, plan, shape, _attempt(body, stream, gw), stream, error_event, DONE)


def _attempt(body: Mapping[str, Any], stream: bool, gw: Gateway) -> Any:
    timeout = float(gw.policy().fallback.get("timeout_s", 60))
    wants_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    texts = request_texts(body)

    async def attempt(model: str, credentials: Mapping[str, str]) -> Opened:
        litellm = litellm_ready()
        kwargs = {k: body[k] for k in FORWARDED if body.get(k) is not None}
        kwargs.update(credentials, model=model, timeout=timeout, max_retries=0)
        if stream:
            kwargs.update(stream=True, stream_options={"include_usage": True})
        try:
            result: Any = await litellm.acompletion(**kwargs)
        except Exception as exc:  # noqa: BLE001 - a provider library can raise anything; classified here
            raise classify_failure(exc, texts) from None
        if not stream:
            answer = json.loads(result.model_dump_json())
            if not any(_says_something(c.get("message") or {}) for c in answer.get("choices") or []):
                raise Failure("empty", "quality guard: empty answer")
            usage = answer.get("usage") or {}
            return Opened(
                body=answer, tokens_in=usage.get("prompt_tokens"), tokens_out=usage.get("completion_tokens")
            )
        events = ChunkEvents(
            result,
            write=lambda chunk: _chunk_bytes(chunk, wants_usage),
            is_content=lambda chunk: any(_says_something(c.get("delta") or {}) for c in _choices(chunk)),
            usage=_usage,
            chars=lambda chunk: sum(
                len(str((c.get("delta") or {}).get("content") or "")) for c in _choices(chunk)
            ),
        )
        return await primed(events, texts)

    return attempt


def _says_something(message: Mapping[str, Any]) -> bool:
    return bool(
        str(message.get("content") or "").strip() or message.get("tool_calls") or message.get("function_call")
    )


def _choices(chunk: Any) -> list[dict[str, Any]]:
    return [
        c.model_dump() if hasattr(c, "model_dump") else dict(c) for c in getattr(chunk, "choices", None) or []
    ]


def _usage(chunk: Any) -> tuple[int | None, int | None]:
    usage = getattr(chunk, "usage", None)
    if usage is None:
        return None, None
    return getattr(usage, "prompt_tokens", None), getattr(usage, "completion_tokens", None)


def _chunk_bytes(chunk: Any, wants_usage: bool) -> bytes:
    data = json.loads(chunk.model_dump_json(exclude_none=True))
    if not wants_usage:
        data.pop("usage", None)
    data.pop("cost", None)
    return b"data: " + json.dumps(data, separators=(",", ":")).encode() + b"\n\n"
