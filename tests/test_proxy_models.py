"""Where a decision lands inside LiteLLM Proxy: the model group, its fallbacks, what the start check says."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from llm_router import router
from llm_router.integrations.proxy_models import Rejection, Served, Target, check_served, target_for
from llm_router.policy.compiled import CompiledPolicy
from llm_router.testing import make_decision

Load = Callable[[str], CompiledPolicy]

TEAM = """
chains:
  simple: [openai/gpt-4o-mini, openai/gpt-4o]
  moderate: [openai/gpt-4o-mini, openai/gpt-4o]
  complex: [openai/gpt-4o, openai/gpt-4o-mini]
  deep_reasoning: [anthropic/claude-opus-4-5]
  research: [openai/gpt-4o]
  long_context: [openai/gpt-4o]
"""


def deployment(name: str, model: str, ident: str | None = None, **params: object) -> dict:
    entry: dict = {"model_name": name, "litellm_params": {"model": model, **params}}
    if ident is not None:
        entry["model_info"] = {"id": ident}
    return entry


CHEAP = deployment("gpt-4o-mini", "openai/gpt-4o-mini", "d-mini")
STRONG = deployment("gpt-4o", "openai/gpt-4o", "d-4o")


@pytest.fixture
def load(tmp_path: Path) -> Load:
    def _load(text: str) -> CompiledPolicy:
        path = tmp_path / "policy.yaml"
        path.write_text(text)
        return router.load(router.Settings(cwd=tmp_path, config=path))

    return _load


def test_a_chain_model_is_served_by_the_group_of_that_name() -> None:
    served = Served([deployment("openai/gpt-4o", "azure/my-gpt-4o")])
    assert served.group("openai/gpt-4o") == "openai/gpt-4o"


def test_a_chain_model_is_served_by_the_group_whose_litellm_model_it_is() -> None:
    assert Served([CHEAP]).group("openai/gpt-4o-mini") == "gpt-4o-mini"


def test_a_wildcard_group_serves_any_model_it_matches() -> None:
    served = Served([deployment("openai/*", "openai/*")])
    assert served.group("openai/gpt-4o") == "openai/gpt-4o"
    assert served.group("anthropic/claude-haiku-4-5") is None


def test_configured_providers_are_those_the_deployments_use(load: Load) -> None:
    served = Served([CHEAP, deployment("claude", "anthropic/claude-haiku-4-5")])
    assert served.configured(load(TEAM)) == {"openai", "anthropic"}


def test_a_route_goes_to_the_first_served_model_with_the_rest_as_fallbacks(load: Load) -> None:
    d = make_decision(["ollama/llama3.1", "openai/gpt-4o-mini", "openai/gpt-4o"])
    assert target_for(d, load(TEAM), Served([CHEAP, STRONG])) == Target("gpt-4o-mini", ("gpt-4o",), "chain")


def test_models_that_cannot_be_tried_now_are_not_targets(load: Load) -> None:
    d = make_decision(
        ["openai/gpt-4o-mini", "openai/gpt-4o"],
        usable=("openai/gpt-4o",),
        unusable={"openai/gpt-4o-mini": "circuit breaker open"},
    )
    assert target_for(d, load(TEAM), Served([CHEAP, STRONG])) == Target("gpt-4o", (), "chain")


def test_a_chain_whose_served_models_all_rest_is_refused_with_why(load: Load) -> None:
    d = make_decision(
        ["openai/gpt-4o-mini"], usable=(), unusable={"openai/gpt-4o-mini": "budget 'openai-day' exhausted"}
    )
    target = target_for(d, load(TEAM), Served([CHEAP, STRONG]))
    assert isinstance(target, Rejection) and target.status == 429
    assert "budget 'openai-day' exhausted" in target.message


def test_a_chain_the_proxy_does_not_serve_goes_to_the_default_model(load: Load) -> None:
    cp = load(TEAM + "gateway: {default_model: openai/gpt-4o}\n")
    d = make_decision(["anthropic/claude-opus-4-5"], tier="deep_reasoning")
    assert target_for(d, cp, Served([CHEAP, STRONG])) == Target("gpt-4o", (), "default_model")


def test_without_a_default_model_an_unserved_tier_goes_to_the_nearest_served_one(load: Load) -> None:
    d = make_decision(["anthropic/claude-opus-4-5"], tier="deep_reasoning")
    assert target_for(d, load(TEAM), Served([CHEAP, STRONG])).via == "tier complex"  # type: ignore[union-attr]


def test_a_passthrough_goes_to_the_default_model(load: Load) -> None:
    cp = load(TEAM + "gateway: {default_model: openai/gpt-4o-mini}\n")
    d = make_decision([], action="passthrough", tier="complex")
    assert target_for(d, cp, Served([CHEAP, STRONG])) == Target("gpt-4o-mini", (), "default_model")


def test_a_passthrough_without_a_default_model_goes_to_its_tier(load: Load) -> None:
    d = make_decision([], action="passthrough", tier="complex")
    assert target_for(d, load(TEAM), Served([CHEAP, STRONG])) == Target(
        "gpt-4o", ("gpt-4o-mini",), "tier complex"
    )


def test_a_block_is_refused_with_the_rules_message(load: Load) -> None:
    d = make_decision([], action="block", rule="no-secrets", message="remove the key")
    assert target_for(d, load(TEAM), Served([CHEAP])) == Rejection(
        400, "blocked by rule no-secrets: remove the key"
    )


def test_a_policy_naming_no_served_model_fails_the_start_check_naming_them(load: Load) -> None:
    report = check_served(load(TEAM), Served([deployment("mistral", "mistral/mistral-small-latest")]))
    assert len(report.errors) == 1
    assert "openai/gpt-4o-mini" in report.errors[0] and "anthropic/claude-opus-4-5" in report.errors[0]
    assert "its model_list serves: mistral" in report.errors[0]


def test_an_unserved_chain_is_noted_with_where_its_requests_go(load: Load) -> None:
    report = check_served(load(TEAM), Served([CHEAP, STRONG]))
    assert report.errors == []
    assert report.notes == [
        "chain deep_reasoning: none of anthropic/claude-opus-4-5 is served here; its requests go to the "
        "complex chain"
    ]


def test_an_unserved_default_model_is_noted(load: Load) -> None:
    report = check_served(load(TEAM + "gateway: {default_model: openai/o3}\n"), Served([CHEAP, STRONG]))
    assert any("gateway.default_model openai/o3 is not served here" in n for n in report.notes)


def test_a_group_named_like_a_chain_is_noted_as_not_routed(load: Load) -> None:
    report = check_served(load(TEAM), Served([CHEAP, STRONG, deployment("simple", "openai/gpt-4o-mini")]))
    assert "model 'simple' is served here, so requests for it are not routed by the policy" in report.notes


def test_a_group_named_auto_is_noted_as_not_routed(load: Load) -> None:
    report = check_served(load(TEAM), Served([CHEAP, STRONG, deployment("auto", "openai/gpt-4o")]))
    assert "model 'auto' is served here, so requests for it are not routed by the policy" in report.notes
