"""Who may talk to the gateway: the token on a non-loopback bind and on the internal endpoints, no web pages
(no CORS, an Origin header is refused), no DNS rebinding (a foreign Host is refused on a loopback bind)."""

from __future__ import annotations

import anthropic
import httpx
import pytest

from llm_router.testing import FakeProvider

OK = {
    "model": "claude-sonnet-4-6",
    "max_tokens": 10,
    "messages": [{"role": "user", "content": "what is 2+2?"}],
}
SECRET = "s3cret-gateway-token"


def test_a_non_loopback_bind_refuses_a_request_without_the_token(gateway, fake: FakeProvider) -> None:
    running = gateway(host="0.0.0.0", token=SECRET)
    url = running.url.replace("0.0.0.0", "127.0.0.1")
    client = anthropic.Anthropic(base_url=url, api_key="sk-ant-not-the-token", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError, match="needs the gateway's token"):
        client.messages.create(**OK)
    assert fake.seen == []


@pytest.mark.parametrize("header", ["x-llm-router-token", "x-api-key", "authorization"])
def test_the_token_is_accepted_in_any_of_its_headers(gateway, header: str) -> None:
    running = gateway(host="0.0.0.0", token=SECRET)
    url = running.url.replace("0.0.0.0", "127.0.0.1")
    value = f"Bearer {SECRET}" if header == "authorization" else SECRET
    response = httpx.post(url + "/v1/messages", json=OK, headers={header: value}, timeout=60)
    assert response.status_code == 200


def test_the_token_never_goes_to_the_upstream(gateway, fake: FakeProvider) -> None:
    running = gateway(host="0.0.0.0", token=SECRET)
    url = running.url.replace("0.0.0.0", "127.0.0.1")
    body = {**OK, "messages": [{"role": "user", "content": "claude: hello"}]}
    headers = {"x-llm-router-token": SECRET, "x-api-key": "sk-ant-caller"}
    httpx.post(url + "/v1/messages", json=body, headers=headers, timeout=60)
    (seen,) = fake.seen
    assert SECRET not in str(seen.headers)
    assert seen.headers["x-api-key"] == "sk-ant-caller"


def test_healthz_needs_the_token_on_a_non_loopback_bind(gateway) -> None:
    running = gateway(host="0.0.0.0", token=SECRET)
    url = running.url.replace("0.0.0.0", "127.0.0.1")
    assert httpx.get(url + "/healthz").status_code == 401
    assert httpx.get(url + "/healthz", headers={"x-llm-router-token": SECRET}).json()["status"] == "ok"


def test_on_loopback_the_api_needs_no_token(gateway) -> None:
    running = gateway()
    assert (
        httpx.post(running.url + "/v1/messages", json=OK, headers={"x-api-key": "k"}, timeout=60).status_code
        == 200
    )


def test_a_request_from_a_web_page_is_refused(gateway, fake: FakeProvider) -> None:
    running = gateway()
    response = httpx.post(running.url + "/v1/messages", json=OK, headers={"origin": "https://evil.example"})
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers
    assert fake.seen == []


def test_no_cors_preflight_is_answered(gateway) -> None:
    running = gateway()
    response = httpx.options(
        running.url + "/v1/messages",
        headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
    )
    assert response.status_code >= 400
    assert "access-control-allow-origin" not in response.headers


def test_a_foreign_host_header_is_refused_on_a_loopback_bind(gateway, fake: FakeProvider) -> None:
    running = gateway()
    response = httpx.post(running.url + "/v1/messages", json=OK, headers={"host": "attacker.example:4141"})
    assert response.status_code == 403
    assert fake.seen == []
