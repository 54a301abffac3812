"""The gateway's small parts: turn memory, its settings from the policy and the environment, SSE parsing."""

from __future__ import annotations

from llm_router.gateway.config import gateway_config
from llm_router.gateway.sse import SseParser
from llm_router.gateway.turns import TurnMemory
from llm_router.testing import make_decision

DECISION = make_decision(["openai/gpt-4o-mini"])


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_turn_memory_gives_back_the_turn_a_conversation_is_in() -> None:
    memory = TurnMemory()
    memory.keep("conv", "turn-1", DECISION, "openai/gpt-4o-mini")
    kept = memory.get("conv", "turn-1")
    assert kept is not None and kept.model == "openai/gpt-4o-mini"
    assert memory.get("conv", "turn-2") is None
    assert memory.get("other", "turn-1") is None


def test_turn_memory_forgets_a_turn_unused_for_its_ttl() -> None:
    clock = Clock()
    memory = TurnMemory(ttl_s=10, clock=clock)
    memory.keep("conv", "t", DECISION, "m")
    clock.now = 9
    assert memory.get("conv", "t") is not None  # using it keeps it alive
    clock.now = 18
    assert memory.get("conv", "t") is not None
    clock.now = 29
    assert memory.get("conv", "t") is None


def test_turn_memory_keeps_at_most_its_limit_dropping_the_least_recent() -> None:
    memory = TurnMemory(limit=2)
    for name in ("a", "b"):
        memory.keep(name, "t", DECISION, "m")
    memory.get("a", "t")
    memory.keep("c", "t", DECISION, "m")
    assert (memory.get("a", "t") is not None, memory.get("b", "t"), len(memory)) == (True, None, 2)


def test_the_upstream_comes_from_the_environment_over_the_policy() -> None:
    section = {"anthropic_upstream": "https://policy.example/"}
    assert gateway_config(section, {}).anthropic_upstream == "https://policy.example"
    env = {"LLM_ROUTER_ANTHROPIC_UPSTREAM": "http://127.0.0.1:9999"}
    assert gateway_config(section, env).anthropic_upstream == "http://127.0.0.1:9999"
    assert gateway_config({}, {}).anthropic_upstream == "https://api.anthropic.com"


def test_the_body_limit_is_in_megabytes() -> None:
    assert gateway_config({"max_body_mb": 0.5}, {}).max_body_bytes == 512 * 1024


def test_background_models_match_as_globs_ignoring_case() -> None:
    config = gateway_config({"background_models": ["claude-*haiku*"]}, {})
    assert config.is_background_model("Claude-3-5-Haiku-latest")
    assert not config.is_background_model("claude-sonnet-4-6")


def test_sse_events_split_across_chunks_are_joined() -> None:
    parser = SseParser()
    assert parser.feed(b'event: message_start\ndata: {"a":') == []
    assert parser.feed(b" 1}\n\nevent: ping\r\ndata: {}\r\n\r\n") == [
        ("message_start", '{"a": 1}'),
        ("ping", "{}"),
    ]
