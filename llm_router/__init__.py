"""llm-router: route each prompt to the cheapest model that can still do the job, by a YAML policy."""

__version__ = "0.1.0"
__all__ = ["__version__"]
