"""The providers llm-router knows and how each is configured: pure data, no I/O, so the policy evaluator
can use it. Detecting which are configured now is `catalogue`'s job."""

from __future__ import annotations

from llm_router.records import Record


class Provider(Record):
    name: str  # LiteLLM's provider prefix
    env: tuple[str, ...]  # any one of these configures it
    kind: str = "key"  # key | endpoint | command
    free: bool = False  # local or free: tried first by the built-in chains
    base_env: tuple[str, ...] = ()  # endpoint overrides, first set wins
    default_base: str | None = None  # where an endpoint provider listens when only its model list is set

    @property
    def key_env(self) -> tuple[str, ...]:
        """The variables holding a secret: never printed, never stored."""
        return self.env if self.kind == "key" else ()


PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        Provider(
            "ollama",
            ("OLLAMA_BASE_URL", "OLLAMA_API_BASE", "OLLAMA_BUDGET_MODELS"),
            kind="endpoint",
            free=True,
            base_env=("OLLAMA_BASE_URL", "OLLAMA_API_BASE"),
            default_base="http://localhost:11434",
        ),
        Provider("openai", ("OPENAI_API_KEY",), base_env=("OPENAI_BASE_URL", "OPENAI_API_BASE")),
        Provider("gemini", ("GEMINI_API_KEY", "GOOGLE_API_KEY"), base_env=("GEMINI_API_BASE",)),
        Provider("anthropic", ("ANTHROPIC_API_KEY",), base_env=("ANTHROPIC_BASE_URL", "ANTHROPIC_API_BASE")),
        Provider("xai", ("XAI_API_KEY",), base_env=("XAI_API_BASE",)),
        Provider("deepseek", ("DEEPSEEK_API_KEY",), base_env=("DEEPSEEK_API_BASE",)),
        Provider("mistral", ("MISTRAL_API_KEY",), base_env=("MISTRAL_API_BASE",)),
        Provider("cohere", ("COHERE_API_KEY",), base_env=("COHERE_API_BASE",)),
        Provider(
            "perplexity", ("PERPLEXITY_API_KEY", "PERPLEXITYAI_API_KEY"), base_env=("PERPLEXITY_API_BASE",)
        ),
        Provider("groq", ("GROQ_API_KEY",), base_env=("GROQ_API_BASE",)),
        Provider(
            "together_ai", ("TOGETHER_API_KEY", "TOGETHERAI_API_KEY"), base_env=("TOGETHERAI_API_BASE",)
        ),
        Provider("huggingface", ("HF_TOKEN", "HUGGINGFACE_API_KEY"), base_env=("HUGGINGFACE_API_BASE",)),
        Provider("codex", (), kind="command"),
        # Media providers llm-router calls over their own HTTP APIs (llm_router/media/): each key goes
        # only to its provider's base URL, which a test may point at a stand-in.
        Provider("fal_ai", ("FAL_KEY",), base_env=("FAL_API_BASE",), default_base="https://queue.fal.run"),
        Provider(
            "stability",
            ("STABILITY_API_KEY",),
            base_env=("STABILITY_API_BASE",),
            default_base="https://api.stability.ai",
        ),
        Provider(
            "elevenlabs",
            ("ELEVENLABS_API_KEY",),
            base_env=("ELEVENLABS_API_BASE",),
            default_base="https://api.elevenlabs.io",
        ),
        Provider(
            "runwayml",
            ("RUNWAYML_API_SECRET",),
            base_env=("RUNWAYML_API_BASE",),
            default_base="https://api.dev.runwayml.com",
        ),
        Provider(
            "replicate",
            ("REPLICATE_API_TOKEN",),
            base_env=("REPLICATE_API_BASE",),
            default_base="https://api.replicate.com",
        ),
    )
}


# provider -> the media kinds llm-router sends it (llm_router/media/dispatch.py): through LiteLLM for openai
# and gemini, through the provider's own HTTP API for the others.
MEDIA_SUPPORT: dict[str, frozenset[str]] = {
    "openai": frozenset({"image", "video", "speech", "transcription"}),
    "gemini": frozenset({"image"}),  # Imagen through litellm.image_generation
    "fal_ai": frozenset({"image", "video", "speech"}),
    "replicate": frozenset({"image", "video", "speech"}),
    "runwayml": frozenset({"image", "video"}),
    "stability": frozenset({"image"}),
    "elevenlabs": frozenset({"speech", "transcription"}),
}


def provider_of(model: str) -> str:
    """`openai/gpt-4o` -> `openai`."""
    return model.split("/", 1)[0] if "/" in model else model


def not_configured(provider: str) -> str:
    """Why a model of `provider` cannot be tried when the provider has no key, endpoint or command."""
    return f"{provider} is not configured ({how_to_configure(provider)})"


def is_not_configured(reason: str) -> bool:
    """Whether `reason` (a decision's `unusable` value, a walk's `skipped`) is `not_configured`'s."""
    provider, sep, _ = reason.partition(" is not configured (")
    return bool(sep) and reason == not_configured(provider)


def how_to_configure(provider: str) -> str:
    """A short hint for a provider that is not configured."""
    p = PROVIDERS.get(provider)
    if p is None:
        return f"unknown provider {provider!r}"
    if p.kind == "command":
        return f"install the `{provider}` command"
    return f"set {p.env[0]}"
