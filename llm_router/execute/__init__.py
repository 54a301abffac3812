"""LiteLLM dispatch through a fallback chain, circuit breakers and the quality guard."""

from llm_router.execute.chain import Attempt, Options, Result, execute
from llm_router.execute.stream import Restart

__all__ = ["Attempt", "Options", "Restart", "Result", "execute"]
