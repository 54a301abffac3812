"""Model prices and context windows: LiteLLM's price table read as JSON, under the policy's `models:`.

Reading the table needs no `import litellm` (which costs seconds): the JSON ships inside the package.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llm_router.providers.catalogue import PROVIDERS, provider_of

TABLE_FILE = "model_prices_and_context_window_backup.json"


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """What one model costs per token, and how much it can read and write."""

    model: str
    input_cost_per_token: float
    output_cost_per_token: float
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    source: str = "litellm"  # litellm | policy | free
    supports_function_calling: bool | None = None  # None: not known (a model missing from the table)
    supports_vision: bool | None = None

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        """USD for this many tokens in and out."""
        return tokens_in * self.input_cost_per_token + tokens_out * self.output_cost_per_token


def table_path() -> Path | None:
    """Where the installed LiteLLM keeps its price table, found without importing it."""
    spec = importlib.util.find_spec("litellm")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / TABLE_FILE
        if candidate.is_file():
            return candidate
    return None


@functools.lru_cache(maxsize=1)
def table() -> dict[str, dict[str, Any]]:
    """LiteLLM's price table (empty when LiteLLM is not installed)."""
    path = table_path()
    if path is None:
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("sample_spec", None)
    return data


def _entry(model: str) -> dict[str, Any] | None:
    data = table()
    if model in data:
        return data[model]
    provider = provider_of(model)
    bare = model.split("/", 1)[1] if "/" in model else model
    entry = data.get(bare)
    if entry is not None and str(entry.get("litellm_provider", "")).startswith(provider):
        return entry
    return None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) else None


def price(model: str, overrides: Mapping[str, Mapping[str, Any]] | None = None) -> ModelPrice | None:
    """The price of `model`: the policy's `models:` entry over LiteLLM's; local and subscription
    providers cost nothing unless priced; None when nothing is known."""
    entry = _entry(model)
    override = (overrides or {}).get(model)
    if entry is None and override is None:
        p = PROVIDERS.get(provider_of(model))
        if p is not None and (p.free or p.kind == "command"):
            return ModelPrice(model, 0.0, 0.0, source="free")
        return None
    merged = {**(entry or {}), **(override or {})}
    return ModelPrice(
        model,
        float(merged.get("input_cost_per_token") or 0.0),
        float(merged.get("output_cost_per_token") or 0.0),
        _int(merged.get("max_input_tokens") or merged.get("max_tokens")),
        _int(merged.get("max_output_tokens")),
        "policy" if override else "litellm",
        _flag(merged, "supports_function_calling", known=entry is not None),
        _flag(merged, "supports_vision", known=entry is not None),
    )


def _flag(merged: Mapping[str, Any], key: str, *, known: bool) -> bool | None:
    """A capability: what the policy or the table says; a model the table lists without it lacks it (as
    LiteLLM's own `supports_*` functions read it); None when nothing is known."""
    if key in merged:
        return bool(merged[key])
    return False if known else None


def cost(model: str, tokens_in: int, tokens_out: int, overrides: Mapping[str, Any] | None = None) -> float:
    """USD for this many tokens on `model`; 0.0 when its price is unknown."""
    p = price(model, overrides)
    return p.cost(tokens_in, tokens_out) if p else 0.0


def most_expensive(models: list[str], overrides: Mapping[str, Any] | None = None) -> str | None:
    """The model with the highest price per output token (then input), of those with a known price."""
    priced = [
        (p.output_cost_per_token, p.input_cost_per_token, m) for m in models if (p := price(m, overrides))
    ]
    return max(priced)[2] if priced else None


# -- media: prices per unit ---------------------------------------------------------------------------------

# The per-unit price a policy may state under `models:` for each media kind, and how many of llm-router's
# units (an image, a second of video, a character of speech, a second of audio) one of its units is.
MEDIA_PRICE_KEYS: dict[str, tuple[str, float]] = {
    "image": ("usd_per_image", 1.0),
    "video": ("usd_per_video_second", 1.0),
    "speech": ("usd_per_1k_chars", 1000.0),
    "transcription": ("usd_per_minute", 60.0),
}
# LiteLLM's price-table fields for each kind, per one of llm-router's units, in the order they are tried.
_TABLE_UNIT_FIELDS: dict[str, tuple[str, ...]] = {
    "image": ("output_cost_per_image", "input_cost_per_image"),
    "video": ("output_cost_per_video_per_second", "output_cost_per_second"),
    "speech": ("input_cost_per_character",),
    "transcription": ("input_cost_per_second",),
}
_IMAGE_QUALITIES = ("standard", "medium", "low", "high", "hd")


@dataclass(frozen=True, slots=True)
class UnitPrice:
    """What one unit of a media kind costs on a model: an image, a second of video, a character of speech
    or a second of transcribed audio."""

    model: str
    kind: str
    usd_per_unit: float
    source: str  # policy | litellm | free


def unit_price(
    model: str,
    kind: str,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    size: str | None = None,
    quality: str | None = None,
) -> UnitPrice | None:
    """The price of one unit of `kind` on `model`: the policy's `models:` entry (usd_per_image,
    usd_per_video_second, usd_per_1k_chars, usd_per_minute) over LiteLLM's table (for images, the entry of
    the size and quality asked for when the table prices them apart, or a price per pixel); local and
    subscription providers cost nothing; None when nothing is known."""
    key, per = MEDIA_PRICE_KEYS[kind]
    override = (overrides or {}).get(model) or {}
    if override.get(key) is not None:
        return UnitPrice(model, kind, float(override[key]) / per, "policy")
    for entry in _media_entries(model, kind, size, quality):
        for name in _TABLE_UNIT_FIELDS[kind]:
            if isinstance(entry.get(name), int | float) and entry[name] > 0:
                return UnitPrice(model, kind, float(entry[name]), "litellm")
        if kind == "image" and size:
            pixels = _pixels(size)
            for name in ("output_cost_per_pixel", "input_cost_per_pixel"):
                if pixels and isinstance(entry.get(name), int | float) and entry[name] > 0:
                    return UnitPrice(model, kind, float(entry[name]) * pixels, "litellm")
    p = PROVIDERS.get(provider_of(model))
    if p is not None and (p.free or p.kind == "command"):
        return UnitPrice(model, kind, 0.0, "free")
    return None


def _media_entries(model: str, kind: str, size: str | None, quality: str | None) -> list[dict[str, Any]]:
    """The table entries that may price `model`: for images, the size-and-quality variants first
    (`medium/1024-x-1024/gpt-image-1`), then the model's own entry."""
    entries = []
    if kind == "image" and size and _pixels(size):
        bare = model.split("/", 1)[1] if "/" in model else model
        dims = size.lower().replace("x", "-x-")
        for q in (quality,) if quality else _IMAGE_QUALITIES:
            entry = table().get(f"{q}/{dims}/{bare}")
            if entry is not None and str(entry.get("litellm_provider", "")) == provider_of(model):
                entries.append(entry)
                break
    own = _entry(model)
    if own is not None:
        entries.append(own)
    return entries


def _pixels(size: str) -> int | None:
    """`1024x1536` -> 1572864; None for anything else (`auto`, an aspect ratio)."""
    width, sep, height = size.lower().partition("x")
    return int(width) * int(height) if sep and width.isdigit() and height.isdigit() else None
