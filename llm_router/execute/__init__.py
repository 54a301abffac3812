"""LiteLLM dispatch through a fallback chain, circuit breakers and the quality guard."""

from llm_router.execute.chain import Attempt, Options, Result, execute

__all__ = ["Attempt", "Options", "Result", "execute"]
