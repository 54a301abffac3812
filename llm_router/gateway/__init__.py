"""The local gateway (`llm-router serve`): one warm process that routes whole requests of the Anthropic
Messages, OpenAI Chat Completions and OpenAI Responses APIs through the one pipeline, passes Claude's own
turns through to Anthropic, and serves the MCP server at /mcp. See docs/gateway.md."""

from llm_router.gateway.app import build_app
from llm_router.gateway.service import Gateway

__all__ = ["Gateway", "build_app"]
