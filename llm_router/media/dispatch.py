"""Which way a media request goes to its provider: LiteLLM for the providers it serves, the provider's own
HTTP API for fal, Stability, ElevenLabs, Runway and Replicate."""

from __future__ import annotations

from llm_router.execute.dispatch import Failure
from llm_router.media.calls import MediaCall
from llm_router.media.job import MediaReply
from llm_router.providers.table import MEDIA_SUPPORT

HTTP_PROVIDERS = frozenset({"fal_ai", "replicate", "runwayml", "stability", "elevenlabs"})


def supports(model: str, kind: str) -> bool:
    """Whether llm-router can send a `kind` request to `model`'s provider."""
    return kind in MEDIA_SUPPORT.get(model.split("/", 1)[0], frozenset())


def uses_litellm(model: str) -> bool:
    """Whether requests to `model` go through LiteLLM (not a provider's own HTTP API)."""
    return model.split("/", 1)[0] not in HTTP_PROVIDERS


def dispatch(call: MediaCall) -> MediaReply:
    """Send one media request to its provider."""
    from llm_router.media import direct, queued
    from llm_router.media.via_litellm import via_litellm

    provider = call.model.split("/", 1)[0]
    if not supports(call.model, call.job.kind):
        raise Failure("bad_request", f"llm-router does not send {call.job.kind} requests to {provider}")
    if provider == "fal_ai":
        return queued.run_queued(call, queued.FAL)
    if provider == "replicate":
        return queued.run_queued(call, queued.REPLICATE)
    if provider == "runwayml":
        return queued.run_queued(call, queued.RUNWAY)
    if provider == "stability":
        return direct.stability(call)
    if provider == "elevenlabs":
        return direct.elevenlabs(call)
    return via_litellm(call)
