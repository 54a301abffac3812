"""The gateway's settings: the policy's `gateway:` section, under the environment variables that
override it."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_UPSTREAM = "https://api.anthropic.com"
UPSTREAM_ENV = "LLM_ROUTER_ANTHROPIC_UPSTREAM"
TOKEN_ENV = "LLM_ROUTER_GATEWAY_TOKEN"


@dataclass(frozen=True)
class GatewayConfig:
    """What `gateway:` says, with defaults."""

    anthropic_upstream: str = DEFAULT_UPSTREAM
    default_model: str | None = None
    long_context_tokens: int = 100_000
    max_body_bytes: int = 32 * 1024 * 1024
    background_models: tuple[str, ...] = ("claude-*haiku*",)
    turn_ttl_s: float = 3600.0

    def is_background_model(self, model: str) -> bool:
        """Whether a requested model is one the host uses for background work (titles, summaries)."""
        low = model.lower()
        return any(fnmatch.fnmatchcase(low, pattern.lower()) for pattern in self.background_models)


def gateway_config(section: Mapping[str, Any] | None, env: Mapping[str, str]) -> GatewayConfig:
    """The config of a policy's `gateway:` section (already schema-valid) and the environment."""
    s = dict(section or {})
    base = GatewayConfig()
    upstream = env.get(UPSTREAM_ENV) or s.get("anthropic_upstream") or base.anthropic_upstream
    return GatewayConfig(
        anthropic_upstream=str(upstream).rstrip("/"),
        default_model=s.get("default_model") or None,
        long_context_tokens=int(s.get("long_context_tokens", base.long_context_tokens)),
        max_body_bytes=int(float(s.get("max_body_mb", base.max_body_bytes / 2**20)) * 2**20),
        background_models=tuple(s.get("background_models", base.background_models)),
        turn_ttl_s=float(s.get("turn_ttl_s", base.turn_ttl_s)),
    )
