"""LiteLLM dispatch through a fallback chain, circuit breakers and the quality guard."""
