"""Whether a model can serve a whole request: function calling for tools, vision for images, and a context
window large enough, by LiteLLM's table (read as data) under the policy's `models:`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llm_router.decision import RequestFeatures
from llm_router.providers import prices


def needs_checking(features: RequestFeatures) -> bool:
    """Whether a request asks for anything a model might lack (a lone prompt never does)."""
    return features.has_tools or features.has_images or features.context_tokens is not None


def cannot_serve(
    model: str,
    features: RequestFeatures,
    tokens: int,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> str | None:
    """Why `model` cannot serve a request with these features and this many tokens, or None."""
    p = prices.price(model, overrides)
    if p is None:
        return None  # nothing known: let it try
    if features.has_tools and p.supports_function_calling is False:
        return "cannot call tools (supports_function_calling is false)"
    if features.has_images and p.supports_vision is False:
        return "cannot read images (supports_vision is false)"
    if p.max_input_tokens is not None and tokens > p.max_input_tokens:
        return f"context window {p.max_input_tokens} is smaller than the request ({tokens} tokens)"
    return None
