"""What the two OpenAI APIs share: which requested models the policy decides (`auto`, a tier, a chain name)
and how a concrete model id is named for LiteLLM, the error event of a stream, and the Responses API's choice
between OpenAI's own endpoint and the chat bridge."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from llm_router.gateway.errors import ApiError, openai_body
from llm_router.gateway.sse import event_bytes
from llm_router.providers import prices
from llm_router.providers.table import PROVIDERS, provider_of

if TYPE_CHECKING:
    from llm_router.policy.compiled import CompiledPolicy

AUTO = ("auto", "")


def named_model(model: str, cp: CompiledPolicy) -> str | None:
    """None when the policy decides (`auto`, a tier, a chain name); else the concrete model as a LiteLLM id
    (`gpt-4o-mini` -> `openai/gpt-4o-mini`). A 404 for a model nobody knows."""
    if model in AUTO or model in cp.chains or model in cp.tiers:
        return None
    if "/" in model and provider_of(model) in PROVIDERS:
        return model
    entry = prices.table().get(model)
    provider = str((entry or {}).get("litellm_provider") or "")
    if provider in PROVIDERS:
        return f"{provider}/{model}"
    raise ApiError(
        404,
        f"unknown model {model!r}: use auto, a tier or chain of the policy ({', '.join(cp.chains)}), or a "
        "model as provider/name",
        param="model",
    )


def error_event(message: str) -> bytes:
    """A stream's error, as the OpenAI SDKs read it (`data: {"error": ...}`)."""
    return event_bytes("", openai_body(502, message))


def openai_native(model: str, credentials: Mapping[str, str]) -> bool:
    """Whether `model` is OpenAI's own, reached at OpenAI's own endpoint (which serves the Responses API);
    any other OpenAI-compatible endpoint is reached through its chat completions."""
    base = credentials.get("api_base") or ""
    return provider_of(model) == "openai" and (not base or "api.openai.com" in base)
