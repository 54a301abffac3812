"""Which providers llm-router knows, how each is configured, and which are configured now.

A model id is LiteLLM's (`provider/name`); its provider is the part before the first slash.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Provider:
    name: str  # LiteLLM's provider prefix
    env: tuple[str, ...]  # any one of these configures it
    kind: str = "key"  # key | endpoint | command
    free: bool = False  # local or free: tried first by the built-in chains


PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        Provider("ollama", ("OLLAMA_BASE_URL", "OLLAMA_API_BASE"), kind="endpoint", free=True),
        Provider("openai", ("OPENAI_API_KEY",)),
        Provider("gemini", ("GEMINI_API_KEY", "GOOGLE_API_KEY")),
        Provider("anthropic", ("ANTHROPIC_API_KEY",)),
        Provider("xai", ("XAI_API_KEY",)),
        Provider("deepseek", ("DEEPSEEK_API_KEY",)),
        Provider("mistral", ("MISTRAL_API_KEY",)),
        Provider("cohere", ("COHERE_API_KEY",)),
        Provider("perplexity", ("PERPLEXITY_API_KEY", "PERPLEXITYAI_API_KEY")),
        Provider("groq", ("GROQ_API_KEY",)),
        Provider("together_ai", ("TOGETHER_API_KEY", "TOGETHERAI_API_KEY")),
        Provider("huggingface", ("HF_TOKEN", "HUGGINGFACE_API_KEY")),
        Provider("codex", (), kind="command"),
    )
}


def provider_of(model: str) -> str:
    """`openai/gpt-4o` -> `openai`."""
    return model.split("/", 1)[0] if "/" in model else model


def configured(env: Mapping[str, str], *, which: object = shutil.which) -> frozenset[str]:
    """The providers that have a key, an endpoint or an installed command in `env`."""
    found = {p.name for p in PROVIDERS.values() if any(env.get(var) for var in p.env)}
    if callable(which) and which("codex", path=env.get("PATH")):
        found.add("codex")
    return frozenset(found)


def how_to_configure(provider: str) -> str:
    """A short hint for a provider that is not configured."""
    p = PROVIDERS.get(provider)
    if p is None:
        return f"unknown provider {provider!r}"
    if p.kind == "command":
        return f"install the `{provider}` command"
    return f"set {p.env[0]}"
