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
