"""LiteLLM as the gateway uses it: imported and set up once (offline, quiet, OpenAI models reached through
their Chat Completions endpoint, which every OpenAI-compatible server has), warmed before the first request,
and its exceptions named as the chain knows them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from llm_router.execute.dispatch import Failure, classify, litellm_module

log = logging.getLogger("llm_router.gateway")
_router: Any = None
_STREAM_ERRORS = {
    "rate_limit_error": "rate_limited",
    "overloaded_error": "unavailable",
    "api_error": "server_error",
    "authentication_error": "auth",
    "permission_error": "forbidden",
    "invalid_request_error": "bad_request",
    "not_found_error": "not_found",
}


def litellm_ready() -> Any:
    """LiteLLM, imported and set up for the gateway."""
    litellm: Any = litellm_module()
    # Anthropic-format requests to OpenAI models go to /chat/completions rather than /responses: an
    # OPENAI_BASE_URL may point at any OpenAI-compatible server, and those serve chat completions.
    litellm.use_chat_completions_url_for_anthropic_messages = True
    # The gateway records usage itself; LiteLLM's own logging of every streamed chunk (a thread task per
    # chunk) is work nobody reads.
    litellm.disable_streaming_logging = True
    return litellm


def empty_router() -> Any:
    """An empty LiteLLM Router, passed on Anthropic-format calls: without one, LiteLLM looks for the proxy
    server's router and imports the whole proxy (seconds) on the first call."""
    global _router
    if _router is None:
        litellm_module()  # LiteLLM only through it (offline, and no .env of its own)
        logging.getLogger("LiteLLM Router").setLevel(logging.WARNING)
        from litellm.router import Router

        _router = Router(model_list=[])
    return _router


def classify_failure(exc: BaseException, texts: Sequence[str] = ()) -> Failure:
    """A failed call as the chain names it (a `Failure` passes through), its message with any run of the
    request's `texts` withheld: a provider's error may quote the request, and the message is stored."""
    from llm_router.gateway.anthropic_stream import StreamError
    from llm_router.privacy import withhold

    if isinstance(exc, Failure):
        failure = exc
    elif isinstance(exc, StreamError):
        failure = Failure(_STREAM_ERRORS.get(exc.kind, "bad_response"), exc.message[:240])
    else:
        failure = classify(exc, litellm_module())
    if texts:
        failure.message = withhold(failure.message, texts)
        failure.args = (failure.message,)
    return failure


def request_texts(body: Mapping[str, Any]) -> list[str]:
    """The strings of a request body that may hold what the user wrote (to withhold from error messages)."""
    from llm_router.privacy import request_texts as texts

    return texts(body, limit=256)


async def warm_up() -> None:
    """Send one request of each kind to a closed port: LiteLLM imports most of what a request path needs on
    the first request, which would otherwise cost the first client seconds."""
    litellm = litellm_ready()
    base = "http://127.0.0.1:9/v1"  # discard: nothing listens there
    common: dict[str, Any] = {"api_key": "warm-up", "api_base": base, "timeout": 2, "max_retries": 0}
    calls = [
        litellm.anthropic.messages.acreate(
            model="openai/gpt-4o-mini",
            max_tokens=1,
            messages=[{"role": "user", "content": "hi"}],
            litellm_router=empty_router(),
            stream=True,
            **common,
        ),
        litellm.acompletion(
            model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True, **common
        ),
        litellm.aresponses(
            model="openai/gpt-4o-mini", input="hi", use_chat_completions_api=True, stream=True, **common
        ),
    ]
    for call in calls:
        try:
            await asyncio.wait_for(call, 10)
        except Exception as exc:  # noqa: BLE001 - every warm-up call is meant to fail
            log.debug("warm-up call ended: %s", type(exc).__name__)
