"""llm-router inside a real LiteLLM Proxy: `litellm --config` as a subprocess on 127.0.0.1, the example config
(examples/litellm-proxy) over two deployments of the stand-in provider, and the official OpenAI SDK as the
client. The proxy is started once for the module (it takes 8-25 s here)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

pytest.importorskip("litellm.proxy.proxy_server", reason="needs the litellm[proxy] extra")
openai = pytest.importorskip("openai")

from llm_router.testing import FakeProvider  # noqa: E402 - after the skips
from llm_router.testing.litellm_proxy import LiteLLMProxy  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "litellm-proxy"
EASY = "what is 2+2?"
HARD = "design a distributed tracing strategy for 40 services, with sampling and storage trade-offs"
NOTHING_SERVED = "chains:\n" + "".join(
    f"  {tier}: [anthropic/claude-haiku-4-5]\n"
    for tier in ("simple", "moderate", "complex", "deep_reasoning", "research")
)


class Proxy(NamedTuple):
    server: LiteLLMProxy
    fake: FakeProvider
    policy: Path  # the team policy's routing.yaml this proxy reads (a copy the tests may edit)
    refused: LiteLLMProxy  # a second proxy, started alongside, whose policy names nothing it serves


def proxy_config(fake: FakeProvider) -> dict[str, Any]:
    """The example config with its deployments pointed at the stand-in, and no retries, so a fallback is
    the next request the stand-in sees."""
    config = yaml.safe_load((EXAMPLE / "config.yaml").read_text())
    for d in config["model_list"]:
        d["litellm_params"].update(api_base=fake.openai_base, api_key="sk-test-fake-provider-key")
    config["router_settings"]["num_retries"] = 0
    return config


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """The proxy the tests talk to, and one that must refuse to start (both start at once: starting is
    mostly imports, and the machine has two cores)."""
    folder = tmp_path_factory.mktemp("proxy")
    shutil.copytree(EXAMPLE / "team-policy", folder / "team-policy")
    (folder / "nothing-served.yaml").write_text(NOTHING_SERVED)
    with FakeProvider() as fake:
        config = proxy_config(fake)
        env = {"LLM_ROUTER_CONFIG": str(folder / "nothing-served.yaml")}
        refused = LiteLLMProxy(config, folder / "refused", env=env).start()
        server = LiteLLMProxy(
            config, folder / "served", env={"LLM_ROUTER_CONFIG": str(folder / "team-policy")}
        )
        try:
            with server:
                yield Proxy(server, fake, folder / "team-policy" / "routing.yaml", refused)
        finally:
            refused.stop()


@pytest.fixture
def client(proxy: Proxy) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=proxy.server.url, api_key=proxy.server.master_key, max_retries=0, timeout=60
    )


def ask(client: openai.OpenAI, prompt: str, model: str = "auto") -> Any:
    """A chat completion, with its response headers."""
    messages = [{"role": "user", "content": prompt}]
    return client.chat.completions.with_raw_response.create(model=model, messages=messages)  # type: ignore[arg-type]


def test_a_trivial_prompt_reaches_the_cheap_deployment(proxy: Proxy, client: openai.OpenAI) -> None:
    before = proxy.fake.count("gpt-4o-mini")
    raw = ask(client, EASY)
    assert raw.parse().choices[0].message.content == "answer from gpt-4o-mini"
    assert proxy.fake.count("gpt-4o-mini") == before + 1
    assert raw.headers["x-llm-router-model"] == "gpt-4o-mini"


def test_a_hard_prompt_reaches_the_strong_deployment(proxy: Proxy, client: openai.OpenAI) -> None:
    before = proxy.fake.count("gpt-4o")
    raw = ask(client, HARD)
    assert raw.parse().choices[0].message.content == "answer from gpt-4o"
    assert proxy.fake.count("gpt-4o") == before + 1


def test_the_response_headers_name_the_decision_and_its_rule(client: openai.OpenAI) -> None:
    headers = ask(client, EASY).headers
    assert len(headers["x-llm-router-decision"]) == 16
    assert (headers["x-llm-router-rule"], headers["x-llm-router-tier"]) == ("by-difficulty", "simple")


def test_a_streamed_request_is_routed_too(client: openai.OpenAI) -> None:
    messages = [{"role": "user", "content": HARD}]
    with client.chat.completions.with_streaming_response.create(
        model="auto",
        messages=messages,  # type: ignore[arg-type]
        stream=True,
    ) as response:
        text = "".join(c.choices[0].delta.content or "" for c in response.parse() if c.choices)
        assert response.headers["x-llm-router-model"] == "gpt-4o"
    assert text == "answer from gpt-4o"


def test_a_concrete_model_is_left_alone(proxy: Proxy, client: openai.OpenAI) -> None:
    raw = ask(client, HARD, model="gpt-4o-mini")
    assert raw.parse().choices[0].message.content == "answer from gpt-4o-mini"
    assert "x-llm-router-decision" not in raw.headers


def test_a_tier_named_as_the_model_is_decided_for_that_tier(client: openai.OpenAI) -> None:
    raw = ask(client, EASY, model="complex")
    assert raw.parse().choices[0].message.content == "answer from gpt-4o"
    assert raw.headers["x-llm-router-tier"] == "complex"


def test_a_blocked_prompt_is_refused_with_the_rules_message(proxy: Proxy, client: openai.OpenAI) -> None:
    seen = len(proxy.fake.seen)
    with pytest.raises(openai.BadRequestError, match="blocked by rule no-secrets"):
        ask(client, "why does this fail? api_key = sk-live-1234567890")
    assert len(proxy.fake.seen) == seen  # no provider saw it


def test_a_failing_cheap_deployment_falls_back_to_the_strong_one(proxy: Proxy, client: openai.OpenAI) -> None:
    proxy.fake.script("gpt-4o-mini", "500")
    try:
        raw = ask(client, EASY)
    finally:
        proxy.fake.script("gpt-4o-mini", "ok")
    assert raw.parse().choices[0].message.content == "answer from gpt-4o"
    assert [s.model for s in proxy.fake.seen[-2:]] == ["gpt-4o-mini", "gpt-4o"]
    assert raw.headers["x-litellm-attempted-fallbacks"] == "1"


def rule_for(client: openai.OpenAI, prompt: str, rule: str, deadline_s: float = 60) -> str:
    """The rule that decides `prompt`, asked again until it is `rule` or the deadline passes."""
    deadline = time.monotonic() + deadline_s
    while True:
        seen = ask(client, prompt).headers["x-llm-router-rule"]
        if seen == rule or time.monotonic() > deadline:
            return seen
        time.sleep(0.2)


def test_an_edit_to_the_policy_file_changes_routing_without_a_restart(
    proxy: Proxy, client: openai.OpenAI
) -> None:
    original = proxy.policy.read_text()
    appended = "\n  - id: everything-strong\n    when: 'true'\n    then: {route: complex}\n"
    proxy.policy.write_text(original + appended)
    try:
        assert rule_for(client, EASY, "everything-strong") == "everything-strong"
        assert ask(client, EASY).headers["x-llm-router-model"] == "gpt-4o"
    finally:
        proxy.policy.write_text(original)
    assert rule_for(client, EASY, "by-difficulty") == "by-difficulty"


def test_a_policy_naming_no_model_the_proxy_serves_stops_it_at_start(proxy: Proxy) -> None:
    assert proxy.refused.wait_exit() != 0
    output = proxy.refused.output()
    assert "serves none of the models the routing policy names" in output
    assert "anthropic/claude-haiku-4-5" in output and "its model_list serves: gpt-4o, gpt-4o-mini" in output
