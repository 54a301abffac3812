"""The Anthropic Messages API: `POST /v1/messages` (streamed and not) and `POST /v1/messages/count_tokens`.

A request is decided from its last user turn and its features, then forwarded whole (system, history,
tools, tool calls and results, images, max_tokens, temperature, stop sequences, thinking) to the first usable
model of the chain through LiteLLM's Anthropic-format interface, or passed through to the Anthropic upstream.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse, Response

from llm_router.execute.awalk import Opened
from llm_router.execute.dispatch import Failure
from llm_router.gateway import anthropic_stream as clean
from llm_router.gateway.errors import ApiError, anthropic_body
from llm_router.gateway.features import anthropic_shape
from llm_router.gateway.http import (
    caller_credentials,
    check,
    parse_object,
    read_body,
    require,
    routing_headers,
)
from llm_router.gateway.litellm_calls import classify_failure, empty_router, litellm_ready, request_texts
from llm_router.gateway.plan import PASSTHROUGH, make_plan
from llm_router.gateway.relay import deliver, primed, remember
from llm_router.gateway.sse import event_bytes
from llm_router.providers.table import PROVIDERS, provider_of

if TYPE_CHECKING:
    from llm_router.gateway.service import Gateway

# The request fields forwarded to a routed model (metadata only to Anthropic's own models).
FORWARDED = (
    "messages",
    "max_tokens",
    "system",
    "tools",
    "tool_choice",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "thinking",
)


def validate(body: Mapping[str, Any]) -> None:
    """A 400 for what the Messages API itself would reject: types, a missing max_tokens, no messages."""
    require(body, "model", str, "a string")
    max_tokens = require(body, "max_tokens", int, "an integer")
    if max_tokens < 1:
        raise ApiError(400, "max_tokens: must be at least 1", param="max_tokens")
    messages = require(body, "messages", list, "an array of messages")
    if not messages:
        raise ApiError(400, "messages: at least one message is required", param="messages")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ("user", "assistant"):
            raise ApiError(400, f"messages.{i}.role: expected 'user' or 'assistant'", param="messages")
        if not isinstance(m.get("content"), str | list):
            raise ApiError(400, f"messages.{i}.content: expected a string or an array of blocks")
    check(body, "system", (str, list), "a string or an array of text blocks")
    check(body, "tools", list, "an array of tools")
    check(body, "stream", bool, "a boolean")
    check(body, "temperature", (int, float), "a number")
    check(body, "stop_sequences", list, "an array of strings")
    check(body, "thinking", dict, "an object")


def named_model(model: str) -> str | None:
    """A model the caller named by its LiteLLM id (`openai/gpt-4o`): respected. Claude's own ids, `auto`,
    tiers and chain names are the policy's to decide."""
    return model if "/" in model and provider_of(model) in PROVIDERS else None


async def messages(gw: Gateway, http: HttpRequest) -> Response:
    """POST /v1/messages."""
    config = gw.config()
    raw = await read_body(http, config.max_body_bytes)
    body = parse_object(raw)
    validate(body)
    shape = anthropic_shape(body, len(raw), config.is_background_model)
    token_header = gw.token_in(http.headers)
    upstream = caller_credentials(http.headers, token_header)
    client = http.headers.get("user-agent", "")
    plan = make_plan(gw, "messages", shape, client, named=named_model(body["model"]), upstream=upstream)
    if plan.passthrough:
        from llm_router.gateway.passthrough import forward

        remember(gw, plan, shape, PASSTHROUGH)
        model = "anthropic/" + str(body["model"])
        headers = routing_headers(model, plan.decision.id, plan.decision.rule)
        return await forward(
            gw, http, raw, plan.decision, plan.request, token_header=token_header, headers=headers
        )
    stream = bool(body.get("stream"))
    return await deliver(
        gw,
        plan,
        shape,
        _attempt(body, stream, gw),
        stream,
        lambda message: event_bytes("error", anthropic_body(502, message)),
    )


def _attempt(body: Mapping[str, Any], stream: bool, gw: Gateway) -> Any:
    """The function that sends this request to one model through LiteLLM's Anthropic-format interface."""
    timeout = float(gw.policy().fallback.get("timeout_s", 60))
    texts = request_texts(body)

    async def attempt(model: str, credentials: Mapping[str, str]) -> Opened:
        litellm = litellm_ready()
        kwargs = request_for(body, model)
        kwargs.update(credentials, model=model, stream=stream, timeout=timeout, max_retries=0)
        kwargs["litellm_router"] = empty_router()
        try:
            result: Any = await litellm.anthropic.messages.acreate(**kwargs)
        except Exception as exc:  # noqa: BLE001 - a provider library can raise anything; classified here
            raise classify_failure(exc, texts) from None
        if not stream:
            answer = clean.clean_body(dict(result), model)
            if not clean.has_content(answer):
                raise Failure("empty", "quality guard: empty answer")
            tokens_in, tokens_out = clean.usage_of(answer)
            return Opened(body=answer, tokens_in=tokens_in, tokens_out=tokens_out)
        events = clean.AnthropicEvents(result, model)
        return await primed(events, texts)

    return attempt


def request_for(body: Mapping[str, Any], model: str) -> dict[str, Any]:
    """The fields of `body` a routed model gets. A model other than Claude's gets no thinking blocks from
    the history (it could not verify them) and no metadata (the host's user id stays with Anthropic)."""
    kwargs = {k: body[k] for k in FORWARDED if body.get(k) is not None}
    if clean.keeps_thinking(model):
        if body.get("metadata"):
            kwargs["metadata"] = body["metadata"]
        return kwargs
    kwargs["messages"] = [_without_thinking(m) for m in body["messages"]]
    return kwargs


def _without_thinking(message: Mapping[str, Any]) -> Mapping[str, Any]:
    content = message.get("content")
    if message.get("role") != "assistant" or not isinstance(content, list):
        return message
    kept = [b for b in content if not (isinstance(b, dict) and b.get("type") in clean.THINKING)]
    return (
        {**message, "content": kept or [{"type": "text", "text": ""}]}
        if len(kept) != len(content)
        else message
    )


async def count_tokens(gw: Gateway, http: HttpRequest) -> Response:
    """POST /v1/messages/count_tokens: the gateway's estimate of the request's size (never sent upstream)."""
    config = gw.config()
    raw = await read_body(http, config.max_body_bytes)
    body = parse_object(raw)
    require(body, "model", str, "a string")
    messages = require(body, "messages", list, "an array of messages")
    if not messages:
        raise ApiError(400, "messages: at least one message is required", param="messages")
    shape = anthropic_shape(body, len(raw), config.is_background_model)
    return JSONResponse({"input_tokens": shape.features.context_tokens})
