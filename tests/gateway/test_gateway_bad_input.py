"""Bad input gets a 400 in the API's own error shape, with a message; an oversized body a 413."""

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


@pytest.fixture
def url(gateway) -> str:
    return gateway().url


def post(
    url: str, body: object = None, *, raw: bytes | None = None, path: str = "/v1/messages"
) -> httpx.Response:
    content = raw if raw is not None else httpx.Request("POST", "http://x", json=body).read()
    headers = {"content-type": "application/json", "x-api-key": "k"}
    return httpx.post(url + path, content=content, headers=headers, timeout=60)


def anthropic_error(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert body["type"] == "error"
    return response.status_code, body["error"]["type"], body["error"]["message"]


def test_malformed_json_is_a_400_saying_so(url: str) -> None:
    status, kind, message = anthropic_error(post(url, raw=b'{"model": "claude-sonnet-4-6",'))
    assert (status, kind) == (400, "invalid_request_error")
    assert "not valid JSON" in message


def test_a_body_nested_deeper_than_the_parser_goes_is_a_400(url: str) -> None:
    status, kind, message = anthropic_error(post(url, raw=b"[" * 100_000 + b"]" * 100_000))
    assert (status, kind) == (400, "invalid_request_error") and "nested" in message


def test_a_body_that_is_not_an_object_is_a_400(url: str) -> None:
    status, _, message = anthropic_error(post(url, [1, 2]))
    assert status == 400 and "JSON object" in message


def test_a_missing_max_tokens_is_a_400_naming_it(url: str, fake: FakeProvider) -> None:
    status, kind, message = anthropic_error(post(url, {k: v for k, v in OK.items() if k != "max_tokens"}))
    assert (status, kind, message) == (400, "invalid_request_error", "max_tokens: field required")
    assert fake.seen == []


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("max_tokens", "ten", "max_tokens: expected an integer, got a string"),
        ("max_tokens", True, "max_tokens: expected an integer, got a boolean"),
        ("messages", "hi", "messages: expected an array of messages, got a string"),
        ("messages", [], "messages: at least one message is required"),
        ("messages", [{"role": "system", "content": "x"}], "messages.0.role: expected 'user' or 'assistant'"),
        ("model", 4, "model: expected a string, got a number"),
        ("stream", "yes", "stream: expected a boolean, got a string"),
    ],
)
def test_a_wrong_type_is_a_400_saying_what_was_expected(
    url: str, field: str, value: object, says: str
) -> None:
    status, _, message = anthropic_error(post(url, {**OK, field: value}))
    assert (status, message) == (400, says)


def test_the_sdk_raises_its_bad_request_error_with_the_message(url: str) -> None:
    client = anthropic.Anthropic(base_url=url, api_key="k", max_retries=0)
    with pytest.raises(anthropic.BadRequestError, match="expected 'user' or 'assistant'"):
        client.messages.create(
            model="claude-sonnet-4-6", max_tokens=5, messages=[{"role": "system", "content": "x"}]
        )


def test_a_body_over_the_limit_is_a_413_in_the_apis_shape(gateway, fake: FakeProvider) -> None:
    running = gateway("gateway: {max_body_mb: 0.01}")
    big = {**OK, "messages": [{"role": "user", "content": "x" * 20_000}]}
    status, kind, message = anthropic_error(post(running.url, big))
    assert (status, kind) == (413, "request_too_large")
    assert "gateway.max_body_mb" in message
    assert fake.seen == []


def test_a_body_under_the_limit_is_served(gateway) -> None:
    running = gateway("gateway: {max_body_mb: 0.01}")
    assert post(running.url, OK).status_code == 200


def test_count_tokens_estimates_the_whole_request(url: str, fake: FakeProvider) -> None:
    client = anthropic.Anthropic(base_url=url, api_key="k", max_retries=0)
    small = client.messages.count_tokens(model="claude-sonnet-4-6", messages=OK["messages"])
    large = client.messages.count_tokens(
        model="claude-sonnet-4-6", system="x" * 4000, messages=OK["messages"]
    )
    assert 0 < small.input_tokens < 100
    assert large.input_tokens >= small.input_tokens + 1000
    assert fake.seen == []


def test_count_tokens_counts_an_image_as_image_tokens(url: str) -> None:
    client = anthropic.Anthropic(base_url=url, api_key="k", max_retries=0)
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "A" * 40_000}}
    counted = client.messages.count_tokens(
        model="claude-sonnet-4-6",
        messages=[{"role": "user", "content": [image, {"type": "text", "text": "what?"}]}],
    )
    assert 1_600 <= counted.input_tokens < 2_000
