"""The LiteLLM Proxy callback in-process: the request dicts the proxy hands it, its start check and report,
and the proxy state (a real `litellm.Router` over the stand-in provider) its budgets and health read.
tests/test_litellm_proxy.py runs it inside a real proxy."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

pytest.importorskip("fastapi", reason="needs the litellm[proxy] extra")

from fastapi import HTTPException  # noqa: E402 - after the skip

from llm_router import router  # noqa: E402
from llm_router.integrations.litellm_proxy import ProxyHandler, ProxyStartError, prompt_of  # noqa: E402
from llm_router.testing import FakeProvider  # noqa: E402

pytestmark = pytest.mark.anyio

TEAM = Path(__file__).resolve().parent.parent / "examples" / "litellm-proxy" / "team-policy"
EASY = "what is 2+2?"
HARD = "design a distributed tracing strategy for 40 services, with sampling and storage trade-offs"
BUDGETS = {"provider_budget_config": {"openai": {"budget_limit": 50, "time_period": "1d"}}}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def deployment(name: str, model: str, ident: str, api_base: str = "http://127.0.0.1:9/v1") -> dict:
    params = {"model": model, "api_base": api_base, "api_key": "sk-test"}
    return {"model_name": name, "litellm_params": params, "model_info": {"id": ident}}


MODELS = [
    deployment("gpt-4o-mini", "openai/gpt-4o-mini", "d-mini"),
    deployment("gpt-4o", "openai/gpt-4o", "d-4o"),
]

Make = Callable[..., ProxyHandler]


@pytest.fixture
def make(tmp_path: Path) -> Make:
    """A handler over the example team policy (or `policy` text) and these deployments."""

    def _make(policy: str | None = None, **kwargs: Any) -> ProxyHandler:
        config = TEAM
        if policy is not None:
            config = tmp_path / "policy.yaml"
            config.write_text(policy)
        kwargs.setdefault("model_list", MODELS)
        kwargs.setdefault("router_settings", BUDGETS)
        env = {**os.environ, "LLM_ROUTER_CONFIG": str(config)}
        return ProxyHandler(env=env, cwd=tmp_path, **kwargs)

    return _make


def chat(prompt: str, model: str = "auto") -> dict[str, Any]:
    """A chat request as the proxy hands it to a pre-call hook."""
    return {"model": model, "messages": [{"role": "user", "content": prompt}], "metadata": {}}


async def routed(handler: ProxyHandler, data: dict[str, Any], call_type: str = "acompletion") -> dict:
    out = await handler.async_pre_call_hook(None, None, data, call_type)
    assert isinstance(out, dict)
    return out


def test_a_policy_naming_no_served_model_stops_the_start(make: Make) -> None:
    with pytest.raises(ProxyStartError, match="openai/gpt-4o-mini") as caught:
        make(model_list=[deployment("mistral", "mistral/mistral-small-latest", "d-m")])
    assert "its model_list serves: mistral" in str(caught.value)


def test_a_changed_policy_naming_no_served_model_is_not_put_in_force(make: Make, tmp_path: Path) -> None:
    tiers = ("simple", "moderate", "complex", "deep_reasoning", "research")
    (tmp_path / "elsewhere.yaml").write_text(
        "chains:\n" + "".join(f"  {t}: [anthropic/claude-haiku-4-5]\n" for t in tiers)
    )
    elsewhere = router.load(router.Settings(cwd=tmp_path, config=tmp_path / "elsewhere.yaml"))
    check = make().source.check  # what a reload must pass before the new policy replaces the old
    assert check is not None and "serves none of the models" in check(elsewhere)[0]


def test_a_budget_the_proxy_does_not_track_is_reported_with_the_rule_using_it(make: Make) -> None:
    report = "\n".join(make(router_settings={}).report)
    assert "rule openai-day-guard" in report and "uses budget['openai-day']" in report
    assert "provider_budget_config: {openai: {budget_limit: 50, time_period: 1d}}" in report


def test_a_budget_the_proxy_tracks_is_not_reported(make: Make) -> None:
    assert make().report == []


async def test_a_trivial_prompt_goes_to_the_cheap_group_with_the_strong_as_fallback(make: Make) -> None:
    data = await routed(make(), chat(EASY))
    assert (data["model"], data["fallbacks"]) == ("gpt-4o-mini", ["gpt-4o"])


async def test_a_hard_prompt_goes_to_the_strong_group(make: Make) -> None:
    assert (await routed(make(), chat(HARD)))["model"] == "gpt-4o"


async def test_the_decision_goes_into_the_request_metadata(make: Make) -> None:
    meta = (await routed(make(), chat(EASY)))["metadata"]
    assert len(meta["llm_router_decision"]) == 16
    assert (meta["llm_router_rule"], meta["llm_router_tier"], meta["llm_router_model"]) == (
        "by-difficulty",
        "simple",
        "gpt-4o-mini",
    )


async def test_the_spend_log_keeps_the_decision_and_its_rule(make: Make) -> None:
    data = chat(EASY)
    data["metadata"]["spend_logs_metadata"] = {"ticket": "OPS-1"}  # the caller's own stays
    meta = (await routed(make(), data))["metadata"]
    assert meta["spend_logs_metadata"] == {
        "ticket": "OPS-1",
        "llm_router_decision": meta["llm_router_decision"],
        "llm_router_rule": "by-difficulty",
    }


async def test_the_responses_api_metadata_is_the_one_used(make: Make) -> None:
    data = {"model": "auto", "input": EASY, "litellm_metadata": {}}
    data = await routed(make(), data, "aresponses")
    assert data["model"] == "gpt-4o-mini" and "llm_router_decision" in data["litellm_metadata"]


async def test_a_tier_named_as_the_model_is_decided_for_that_tier(make: Make) -> None:
    data = await routed(make(), chat(EASY, model="complex"))
    assert (data["model"], data["metadata"]["llm_router_tier"]) == ("gpt-4o", "complex")


async def test_a_concrete_model_is_left_alone(make: Make) -> None:
    data = await routed(make(), chat(HARD, model="gpt-4o-mini"))
    assert data["model"] == "gpt-4o-mini" and data["metadata"] == {}


async def test_calls_that_carry_no_prompt_are_left_alone(make: Make) -> None:
    data = await routed(make(), {"model": "auto", "input": ["some text"]}, "aembedding")
    assert data["model"] == "auto"


async def test_a_blocked_prompt_is_refused_with_the_rules_message(make: Make) -> None:
    with pytest.raises(HTTPException) as caught:
        await routed(make(), chat("why does this fail? api_key = sk-live-1234567890"))
    assert caught.value.status_code == 400
    assert "blocked by rule no-secrets" in str(caught.value.detail)


async def test_a_passthrough_goes_to_the_policys_default_model(make: Make) -> None:
    data = await routed(make(), chat("claude: review this design"))
    assert (data["model"], data["metadata"]["llm_router_rule"]) == ("gpt-4o-mini", "explicit-claude")


async def test_routed_responses_carry_the_decision_in_headers(make: Make) -> None:
    handler = make()
    data = await routed(handler, chat(EASY))
    headers = await handler.async_post_call_response_headers_hook(data, None, None)
    assert headers is not None
    assert headers["x-llm-router-decision"] == data["metadata"]["llm_router_decision"]
    assert (headers["x-llm-router-rule"], headers["x-llm-router-model"]) == ("by-difficulty", "gpt-4o-mini")


async def test_responses_not_routed_carry_no_headers(make: Make) -> None:
    handler = make()
    data = await routed(handler, chat(EASY, model="gpt-4o"))
    assert await handler.async_post_call_response_headers_hook(data, None, None) is None


@pytest.mark.parametrize(
    ("data", "prompt"),
    [
        ({"messages": [{"role": "user", "content": [{"type": "text", "text": "fix it"}]}]}, "fix it"),
        (
            {
                "messages": [
                    {"role": "user", "content": "fix the test"},
                    {"role": "assistant", "content": None, "tool_calls": [{"id": "1"}]},
                    {"role": "tool", "tool_call_id": "1", "content": "FAILED"},
                ]
            },
            "fix the test",
        ),
        (
            {
                "messages": [
                    {"role": "user", "content": "fix the test"},
                    {
                        "role": "user",
                        "content": [{"type": "tool_result", "tool_use_id": "1", "content": "x"}],
                    },
                ]
            },
            "fix the test",
        ),
        ({"input": [{"role": "user", "content": [{"type": "input_text", "text": "hi"}]}]}, "hi"),
        ({"prompt": ["a", "b"]}, "b"),
    ],
    ids=["content-parts", "openai-tool-loop", "anthropic-tool-loop", "responses-items", "text-completion"],
)
def test_the_prompt_is_the_last_user_text(data: dict[str, Any], prompt: str) -> None:
    assert prompt_of(data) == prompt


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    """The stand-in provider, and litellm's process-wide callback lists as they were before the test: a
    router registers its spend tracker there, and a later router's tracker of the same type is not added."""
    import litellm

    lists = (
        "callbacks",
        "success_callback",
        "_async_success_callback",
        "failure_callback",
        "_async_failure_callback",
    )
    saved = {name: list(getattr(litellm, name)) for name in lists}
    with FakeProvider() as provider:
        yield provider
    for name, items in saved.items():
        getattr(litellm, name)[:] = items


async def real_router(fake: FakeProvider) -> Any:
    import litellm

    models = [
        deployment("gpt-4o-mini", "openai/gpt-4o-mini", "d-mini", fake.openai_base),
        deployment("gpt-4o", "openai/gpt-4o", "d-4o", fake.openai_base),
    ]
    return litellm.Router(model_list=models, num_retries=0, **BUDGETS)  # type: ignore[arg-type]


async def spent(llm_router: Any, key: str) -> float:
    """What the router's budget tracker has counted under `key`, once it has counted something (it counts
    after each call, in the background)."""
    for _ in range(200):
        usd = float(await llm_router.router_budget_logger.dual_cache.async_get_cache(key) or 0.0)
        if usd > 0:
            return usd
        await anyio.sleep(0.05)
    raise AssertionError(f"the router counted nothing under {key}")


async def test_a_cooling_deployment_opens_its_models_breaker(make: Make, fake: FakeProvider) -> None:
    llm_router = await real_router(fake)
    llm_router.cooldown_cache.add_deployment_to_cooldown("d-mini", RuntimeError("500"), 500, 60)
    data = await routed(make(llm_router=llm_router), chat(EASY))
    assert (data["model"], data.get("fallbacks")) == ("gpt-4o", None)


async def test_the_proxys_own_spend_feeds_the_policys_budget(make: Make, fake: FakeProvider) -> None:
    llm_router = await real_router(fake)
    await llm_router.acompletion(model="gpt-4o", messages=[{"role": "user", "content": "hello there"}])
    spend = await spent(llm_router, "provider_spend:openai:1d")  # the router counts each call's cost
    limit = spend / 0.9  # so the policy's budget is 90% used
    policy = (TEAM / "routing.yaml").read_text().replace("limit_usd: 50", f"limit_usd: {limit!r}")
    data = await routed(make(policy, llm_router=llm_router), chat(HARD))
    assert data["metadata"]["llm_router_tier"] == "moderate"  # one tier down: over 80% is spent
