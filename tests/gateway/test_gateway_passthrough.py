"""Passthrough: Claude's own turns go to the Anthropic upstream byte for byte with the caller's headers, and
nothing else goes there; in zero_claude mode only prompts with the prefix pass through."""

from __future__ import annotations

import anthropic
import pytest

from llm_router.testing import FakeProvider

CALLER_KEY = "sk-ant-caller-own-key"
CLAUDE = "claude-sonnet-4-6"


def client_for(url: str, sent: list | None = None, **headers: str) -> anthropic.Anthropic:
    """An SDK client sending its key as x-api-key, as Claude Code does; `sent` collects its requests."""
    hooks = {"request": [lambda r: sent.append(r)]} if sent is not None else {}
    return anthropic.Anthropic(
        base_url=url,
        api_key=None,
        auth_token=None,
        max_retries=0,
        default_headers={"x-api-key": CALLER_KEY, **headers},
        http_client=anthropic.DefaultHttpxClient(event_hooks=hooks),
    )


def ask(client: anthropic.Anthropic, prompt: str, **extra):
    messages = [{"role": "user", "content": prompt}]
    return client.messages.with_raw_response.create(model=CLAUDE, max_tokens=64, messages=messages, **extra)


def test_a_claude_prompt_reaches_the_upstream_with_the_callers_key_and_model(
    gateway, fake: FakeProvider
) -> None:
    running = gateway()
    response = ask(client_for(running.url), "claude: review my plan for the release")
    (seen,) = fake.seen
    assert (seen.api, seen.path, seen.model) == ("anthropic", "/v1/messages", CLAUDE)
    assert seen.headers["x-api-key"] == CALLER_KEY
    assert response.headers["x-llm-router-model"] == f"anthropic/{CLAUDE}"
    assert response.headers["x-llm-router-rule"] == "explicit-claude"


def test_the_passed_body_is_byte_for_byte_the_callers(gateway, fake: FakeProvider) -> None:
    sent: list = []
    running = gateway()
    ask(client_for(running.url, sent), "claude: review my plan for the release", system="sys")
    assert fake.seen[0].raw == sent[0].read()


def test_the_callers_anthropic_headers_go_along(gateway, fake: FakeProvider) -> None:
    sent: list = []
    running = gateway()
    client = client_for(running.url, sent, **{"anthropic-beta": "fine-grained-tool-streaming-2025-05-14"})
    ask(client, "claude: review my plan for the release")
    headers = fake.seen[0].headers
    assert headers["anthropic-beta"] == "fine-grained-tool-streaming-2025-05-14"
    assert headers["anthropic-version"] == sent[0].headers["anthropic-version"]


def test_a_subscription_login_bearer_goes_along(gateway, fake: FakeProvider) -> None:
    running = gateway()
    client = anthropic.Anthropic(base_url=running.url, auth_token="sk-ant-oat-login", max_retries=0)
    ask(client, "claude: review my plan for the release")
    assert fake.seen[0].headers["authorization"] == "Bearer sk-ant-oat-login"


def test_a_streamed_passthrough_arrives_whole(gateway, fake: FakeProvider) -> None:
    running = gateway()
    messages = [{"role": "user", "content": "claude: say hello"}]
    with client_for(running.url).messages.stream(model=CLAUDE, max_tokens=64, messages=messages) as stream:
        text = stream.get_final_text()
    assert text == f"answer from {CLAUDE}"


def test_a_routed_prompt_sends_nothing_to_the_upstream(gateway, fake: FakeProvider) -> None:
    running = gateway()
    ask(client_for(running.url), "what is 2+2?")
    assert [s.api for s in fake.seen] == ["openai"]
    assert all(CALLER_KEY not in s.authorization and CALLER_KEY not in str(s.headers) for s in fake.seen)


def test_a_passthrough_is_recorded_with_its_usage(gateway, fake: FakeProvider) -> None:
    running = gateway()
    ask(client_for(running.url), "claude: review my plan for the release")
    (row,) = running.usage_rows()
    assert (row["model"], row["host"], row["outcome"], row["rule"]) == (
        f"anthropic/{CLAUDE}",
        "gateway",
        "ok",
        "explicit-claude",
    )
    assert row["tokens_out"] > 0


def test_the_upstream_comes_from_the_policy_when_the_environment_says_nothing(
    gateway, fake: FakeProvider
) -> None:
    running = gateway(
        f"gateway: {{anthropic_upstream: '{fake.url}'}}", env={"LLM_ROUTER_ANTHROPIC_UPSTREAM": ""}
    )
    ask(client_for(running.url), "claude: review my plan for the release")
    assert [s.api for s in fake.seen] == ["anthropic"]


def test_an_unreachable_upstream_is_a_clear_502(gateway) -> None:
    running = gateway(env={"LLM_ROUTER_ANTHROPIC_UPSTREAM": "http://127.0.0.1:9"})
    with pytest.raises(anthropic.APIStatusError) as caught:
        ask(client_for(running.url), "claude: review my plan for the release")
    assert caught.value.status_code == 502
    assert "cannot be reached" in caught.value.message


def test_without_credentials_a_passthrough_goes_to_the_default_model(gateway, fake: FakeProvider) -> None:
    running = gateway("gateway: {default_model: openai/gpt-4.1}")
    client = anthropic.Anthropic(base_url=running.url, api_key=None, auth_token=None, max_retries=0)
    response = ask(
        client, "claude: review my plan for the release", extra_headers={"Authorization": anthropic.Omit()}
    )
    assert response.headers["x-llm-router-model"] == "openai/gpt-4.1"
    assert [s.model for s in fake.seen] == ["gpt-4.1"]


def test_zero_claude_routes_what_would_pass_through(gateway, fake: FakeProvider) -> None:
    running = gateway("mode: zero_claude\npolicies: {balanced: {threshold: 10}}")
    response = ask(client_for(running.url), "write a python function that reverses a string")
    assert response.headers["x-llm-router-model"].startswith("openai/")
    assert [s.api for s in fake.seen] == ["openai"]


def test_zero_claude_still_passes_a_prefixed_prompt(gateway, fake: FakeProvider) -> None:
    running = gateway("mode: zero_claude")
    ask(client_for(running.url), "claude: review my plan for the release")
    assert [s.api for s in fake.seen] == ["anthropic"]


def test_zero_claude_with_no_usable_model_passes_nothing_through(gateway, fake: FakeProvider) -> None:
    running = gateway("mode: zero_claude", env={"OPENAI_API_KEY": ""})
    with pytest.raises(anthropic.APIStatusError) as caught:
        ask(client_for(running.url), "what is 2+2?")
    assert "zero_claude passes nothing to Claude" in caught.value.message
    assert fake.seen == []


def test_with_no_usable_model_a_request_passes_through(gateway, fake: FakeProvider) -> None:
    running = gateway(env={"OPENAI_API_KEY": ""})
    ask(client_for(running.url), "what is 2+2?")
    assert [s.api for s in fake.seen] == ["anthropic"]
