"""Request features offered to `when:` (neutral for a lone prompt), the built-in rules that read them, and
the models a decision sets aside because they cannot serve the whole request."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from llm_router import router
from llm_router.decision import Request, RequestFeatures
from llm_router.errors import PolicyError

OPENAI = {"OPENAI_API_KEY": "sk-test-features"}


@pytest.fixture
def settings(tmp_path: Path):
    """Settings with an extra policy file holding `text`, OpenAI configured."""

    def _settings(text: str = "", **env: str) -> router.Settings:
        path = tmp_path / "extra.yaml"
        path.write_text(text or "{}\n")
        return router.Settings(env={**os.environ, **OPENAI, **env}, cwd=tmp_path, config=path)

    return _settings


def gateway(prompt: str, **features: object) -> Request:
    return Request(prompt, host="gateway", features=RequestFeatures(**features))  # type: ignore[arg-type]


def seen(decision, rule: str) -> dict:
    return next(step.saw for step in decision.trace if step.rule == rule)


def test_a_lone_prompt_sees_neutral_request_features(settings) -> None:
    policy = """
rules:
  - id: look
    when: "requested_model == '' and not has_tools and n_messages == 1 and context_tokens == tokens
           and not thinking and not has_images and not stream and not background"
    then: {route: complex}
"""
    decision = router.decide(Request("what is 2+2?"), settings=settings(policy))
    assert decision.rule == "look"


def test_request_features_reach_when(settings) -> None:
    policy = """
rules:
  - id: look
    when: "requested_model == 'gpt-x' and has_tools and n_messages == 7 and context_tokens == 5000
           and thinking and has_images and stream and not background"
    then: {route: complex}
"""
    request = gateway(
        "what is 2+2?",
        requested_model="gpt-x",
        has_tools=True,
        n_messages=7,
        context_tokens=5000,
        thinking=True,
        has_images=True,
        stream=True,
    )
    decision = router.decide(request, settings=settings(policy))
    assert decision.rule == "look"


def test_an_unknown_name_next_to_the_new_ones_is_still_an_error(settings) -> None:
    with pytest.raises(PolicyError, match="has_tool"):
        router.load(settings('rules: [{id: x, when: "has_tool", then: {route: simple}}]'))


def test_a_background_request_goes_to_the_simple_tier(settings) -> None:
    request = gateway("design a distributed tracing strategy for 40 services", background=True)
    decision = router.decide(request, settings=settings())
    assert (decision.rule, decision.tier) == ("background", "simple")


def test_a_context_above_the_threshold_goes_to_the_long_context_chain(settings) -> None:
    decision = router.decide(gateway("summarise this", context_tokens=150_000), settings=settings())
    assert (decision.rule, decision.tier) == ("long-context", "long_context")


def test_the_long_context_threshold_comes_from_the_gateway_section(settings) -> None:
    request = gateway("summarise this", context_tokens=150_000)
    decision = router.decide(request, settings=settings("gateway: {long_context_tokens: 200000}"))
    assert decision.rule != "long-context"
    assert seen(decision, "long-context")["long_context_tokens"] == 200_000


def test_thinking_goes_one_tier_up(settings) -> None:
    plain = router.decide(gateway("what is 2+2?"), settings=settings())
    thinking = router.decide(gateway("what is 2+2?", thinking=True), settings=settings())
    assert (plain.tier, thinking.tier) == ("simple", "moderate")


def test_an_unsure_request_for_claude_at_the_gateway_passes_through(settings) -> None:
    prompt, unsure_policy = (
        "write a python function that reverses a string",
        "policies: {balanced: {threshold: 10}}",
    )
    claude = gateway(prompt, requested_model="claude-sonnet-4-5")
    unsure = router.decide(claude, settings=settings(unsure_policy))
    auto = router.decide(gateway(prompt, requested_model="auto"), settings=settings(unsure_policy))
    assert unsure.confidence < unsure.threshold
    assert (unsure.action, unsure.rule) == ("passthrough", "uncertain-in-host")
    assert auto.action == "route"


def test_tools_set_aside_models_without_function_calling(settings) -> None:
    policy = "chains: {simple: [deepseek/deepseek-reasoner, openai/gpt-4o-mini]}"
    decision = router.decide(
        gateway("what is 2+2?", has_tools=True),
        settings=settings(policy, DEEPSEEK_API_KEY="sk-test-deepseek"),
    )
    assert decision.usable == ("openai/gpt-4o-mini",)
    assert "cannot call tools" in decision.unusable["deepseek/deepseek-reasoner"]


def test_images_set_aside_models_without_vision(settings) -> None:
    policy = "chains: {simple: [deepseek/deepseek-chat, openai/gpt-4o-mini]}"
    decision = router.decide(
        gateway("what is in this picture?", has_images=True),
        settings=settings(policy, DEEPSEEK_API_KEY="sk-test-deepseek"),
    )
    assert decision.usable == ("openai/gpt-4o-mini",)
    assert "images" in decision.unusable["deepseek/deepseek-chat"]


def test_a_context_larger_than_a_window_sets_the_model_aside(settings) -> None:
    policy = "chains: {simple: [openai/gpt-4o-mini, openai/gpt-4.1]}\ngateway: {long_context_tokens: 900000}"
    decision = router.decide(gateway("what is 2+2?", context_tokens=200_000), settings=settings(policy))
    assert decision.usable == ("openai/gpt-4.1",)
    assert "context window 128000" in decision.unusable["openai/gpt-4o-mini"]


def test_the_policy_can_declare_what_a_model_supports(settings) -> None:
    policy = """
chains: {simple: [openai/gpt-4o-mini, openai/gpt-4.1]}
models: {openai/gpt-4o-mini: {supports_function_calling: false}}
"""
    decision = router.decide(gateway("what is 2+2?", has_tools=True), settings=settings(policy))
    assert decision.usable == ("openai/gpt-4.1",)


def test_a_lone_prompt_sets_no_model_aside_for_its_window(settings) -> None:
    policy = "chains: {simple: [openai/gpt-4o-mini]}\nmodels: {openai/gpt-4o-mini: {max_input_tokens: 1}}"
    decision = router.decide(Request("what is 2+2?"), settings=settings(policy))
    assert decision.usable == ("openai/gpt-4o-mini",)


def test_when_no_model_can_serve_the_request_the_reason_says_so(settings) -> None:
    policy = "chains: {simple: [deepseek/deepseek-reasoner]}"
    decision = router.decide(
        gateway("what is 2+2?", has_tools=True),
        settings=settings(policy, DEEPSEEK_API_KEY="sk-test-deepseek"),
    )
    assert decision.usable == ()
    assert "no model of this chain can serve the request" in decision.reason
