"""What a media result cost and what it would have cost on the baseline: units times the price of one unit
(LiteLLM's table, or the policy's `models:` per-unit prices). The media baseline of a kind is its most
expensive priced model in the policy's media chains, as the text baseline is the dearest premium one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llm_router.media.job import MediaJob
from llm_router.providers.prices import UnitPrice, unit_price

DEFAULT_IMAGE_SIZE = "1024x1024"  # what OpenAI's and most image APIs make when no size is given


def price_of(model: str, job: MediaJob, overrides: Mapping[str, Any] | None) -> UnitPrice | None:
    """The price of one unit of `job` on `model`, or None when none is known."""
    if job.kind == "image":
        return unit_price(model, "image", overrides, size=job.size or DEFAULT_IMAGE_SIZE, quality=job.quality)
    return unit_price(model, job.kind, overrides)


def cost(model: str, job: MediaJob, units: float, overrides: Mapping[str, Any] | None) -> tuple[float, bool]:
    """(USD, whether a price was known) for `units` of `job` on `model`."""
    p = price_of(model, job, overrides)
    return (p.usd_per_unit * units, True) if p else (0.0, False)


def baseline_model(cp: Any, job: MediaJob) -> str | None:
    """The media baseline for `job`'s kind: the priced model of its media chains (every profile) with the
    highest price per unit; None when none is priced."""
    overrides = getattr(cp, "models", None)
    candidates: dict[str, None] = {}
    for models in (getattr(cp, "media", None) or {}).get(job.kind, {}).values():
        candidates.update(dict.fromkeys(models))
    priced = [(p.usd_per_unit, m) for m in candidates if (p := price_of(m, job, overrides))]
    return max(priced)[1] if priced else None
