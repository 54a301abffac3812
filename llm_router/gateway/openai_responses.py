"""The OpenAI Responses API: `POST /v1/responses` (streamed, tools), which current Codex CLI requires of a
custom provider (`wire_api = "responses"`). Model `auto`, a tier or a chain name: the policy decides; a
concrete model is respected. Requests go out through `litellm.aresponses`: to OpenAI's own Responses API for
OpenAI's own endpoint, through LiteLLM's chat bridge for every other provider and endpoint."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request as HttpRequest
from starlette.responses import Response

from llm_router.execute.awalk import Opened
from llm_router.execute.dispatch import Failure
from llm_router.gateway.errors import ApiError
from llm_router.gateway.features import responses_shape
from llm_router.gateway.http import check, parse_object, read_body, require
from llm_router.gateway.litellm_calls import classify_failure, litellm_ready, request_texts
from llm_router.gateway.openai_common import error_event, named_model, openai_native
from llm_router.gateway.plan import make_plan
from llm_router.gateway.relay import ChunkEvents, deliver, primed
from llm_router.gateway.sse import event_bytes

if TYPE_CHECKING:
    from llm_router.gateway.service import Gateway

FORWARDED = (
    "input",
    "instructions",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "temperature",
    "top_p",
    "max_output_tokens",
    "reasoning",
    "text",
    "truncation",
    "include",
    "metadata",
)
NATIVE_ONLY = ("store", "previous_response_id", "prompt_cache_key", "service_tier")  # OpenAI's own API only
CONTENT_EVENTS = (
    "response.output_text.delta",
    "response.output_item.added",
    "response.function_call_arguments.delta",
)


def validate(body: Mapping[str, Any]) -> None:
    """A 400 for what the API itself rejects: no model, no input, wrong types."""
    require(body, "model", str, "a string")
    value = require(body, "input", (str, list), "a string or an array of input items")
    if not value:
        raise ApiError(400, "input: must not be empty", param="input")
    check(body, "instructions", str, "a string")
    check(body, "tools", list, "an array of tools")
    check(body, "stream", bool, "a boolean")
    check(body, "max_output_tokens", int, "an integer")


async def responses(gw: Gateway, http: HttpRequest) -> Response:
    """POST /v1/responses."""
    config = gw.config()
    raw = await read_body(http, config.max_body_bytes)
    body = parse_object(raw)
    validate(body)
    named = named_model(body["model"], gw.policy())
    shape = responses_shape(body, len(raw))
    plan = make_plan(gw, "responses", shape, http.headers.get("user-agent", ""), named=named)
    stream = bool(body.get("stream"))
    return await deliver(gw, plan, shape, _attempt(body, stream, gw), stream, error_event)


def _attempt(body: Mapping[str, Any], stream: bool, gw: Gateway) -> Any:
    timeout = float(gw.policy().fallback.get("timeout_s", 60))
    texts = request_texts(body)

    async def attempt(model: str, credentials: Mapping[str, str]) -> Opened:
        litellm = litellm_ready()
        kwargs = {k: body[k] for k in FORWARDED if body.get(k) is not None}
        kwargs.update(credentials, model=model, timeout=timeout, max_retries=0, stream=stream)
        if openai_native(model, credentials):
            kwargs.update({k: body[k] for k in NATIVE_ONLY if body.get(k) is not None})
        else:
            kwargs["use_chat_completions_api"] = True
        try:
            result: Any = await litellm.aresponses(**kwargs)
        except Exception as exc:  # noqa: BLE001 - a provider library can raise anything; classified here
            raise classify_failure(exc, texts) from None
        if not stream:
            answer = json.loads(result.model_dump_json(exclude_none=True))
            if not answer.get("output"):
                raise Failure("empty", "quality guard: empty answer")
            usage = answer.get("usage") or {}
            return Opened(
                body=answer, tokens_in=usage.get("input_tokens"), tokens_out=usage.get("output_tokens")
            )
        events = ChunkEvents(
            result,
            write=_event_bytes,
            is_content=lambda event: getattr(event, "type", "") in CONTENT_EVENTS,
            usage=_usage,
            chars=lambda event: len(str(getattr(event, "delta", "") or "")),
        )
        return await primed(events, texts)

    return attempt


def _event_bytes(event: Any) -> bytes:
    data = json.loads(event.model_dump_json(exclude_none=True))
    if data.get("type") == "error":
        raise Failure("bad_response", str(data.get("message") or data))
    return event_bytes(str(data.get("type") or ""), data)


def _usage(event: Any) -> tuple[int | None, int | None]:
    response = getattr(event, "response", None)
    usage = getattr(response, "usage", None)
    if usage is None:
        return None, None
    return getattr(usage, "input_tokens", None), getattr(usage, "output_tokens", None)
