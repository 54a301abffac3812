"""The internal endpoints a cold process hands work to: /internal/decide (the hook's decision) and
/internal/query (decide and run as `llm-router query` does), both behind the gateway's token."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from llm_router import router
from llm_router.decision import Request
from llm_router.testing import FakeProvider

TOKEN = "test-gateway-token"  # the gateway fixture's token


def post(url: str, path: str, body: dict, token: str | None = TOKEN) -> httpx.Response:
    headers = {"x-llm-router-token": token} if token else {}
    return httpx.post(url + path, json=body, headers=headers, timeout=60)


@pytest.mark.parametrize("path", ["/internal/decide", "/internal/query"])
def test_the_internal_endpoints_need_the_token_even_on_loopback(
    gateway, path: str, fake: FakeProvider
) -> None:
    running = gateway()
    assert post(running.url, path, {"prompt": "what is 2+2?"}, token=None).status_code == 401
    assert post(running.url, path, {"prompt": "what is 2+2?"}, token="wrong").status_code == 401
    assert fake.seen == []


def test_decide_gives_the_pipelines_decision(gateway) -> None:
    running = gateway()
    body = {"prompt": "what is 2+2?", "host": "claude-code", "event": "UserPromptSubmit", "session": "s1"}
    decision = post(running.url, "/internal/decide", body).json()["decision"]
    direct = router.decide(Request("what is 2+2?", host="claude-code"), settings=running.gw.settings)
    assert (decision["action"], decision["tier"], decision["rule"]) == (
        direct.action,
        direct.tier,
        direct.rule,
    )
    assert decision["host"] == "claude-code"
    assert decision["trace"]


def test_decide_reads_the_project_policy_of_the_given_folder(gateway, tmp_path: Path) -> None:
    running = gateway()
    project = tmp_path / "project"
    project.mkdir()
    (project / ".llm-router.yaml").write_text(
        "rules: [{id: project-rule, when: 'true', then: {route: complex}}]\n"
    )
    body = {"prompt": "what is 2+2?", "cwd": str(project)}
    assert post(running.url, "/internal/decide", body).json()["decision"]["rule"] == "project-rule"


def test_decide_applies_the_knobs(gateway) -> None:
    running = gateway()
    body = {"prompt": "what is 2+2?", "knobs": {"mode": "zero_claude"}}
    assert post(running.url, "/internal/decide", body).json()["decision"]["mode"] == "zero_claude"


def test_query_answers_as_llm_router_query_does(gateway, fake: FakeProvider) -> None:
    running = gateway()
    answer = post(running.url, "/internal/query", {"prompt": "what is 2+2?"}).json()
    assert answer["error"] is None
    assert (answer["result"]["model"], answer["result"]["text"]) == (
        "openai/gpt-4o-mini",
        "answer from gpt-4o-mini",
    )
    assert answer["decision"]["id"] == answer["result"]["decision"]["id"]
    assert [(r["host"], r["outcome"]) for r in running.usage_rows()] == [("cli", "ok")]


def test_query_runs_the_models_asked_for(gateway, fake: FakeProvider) -> None:
    running = gateway()
    answer = post(running.url, "/internal/query", {"prompt": "hi", "models": ["openai/gpt-4.1"]}).json()
    assert answer["result"]["model"] == "openai/gpt-4.1"


def test_query_of_a_passthrough_says_there_is_nothing_to_execute(gateway, fake: FakeProvider) -> None:
    running = gateway()
    answer = post(running.url, "/internal/query", {"prompt": "claude: hello"}).json()
    assert answer["result"] is None
    assert answer["error"]["exit_code"] == 1
    assert "nothing to execute" in answer["error"]["message"]
    assert fake.seen == []


def test_query_when_every_model_fails_gives_exit_code_5(gateway, fake: FakeProvider) -> None:
    running = gateway()
    fake.script("gpt-4o-mini", "500")
    answer = post(running.url, "/internal/query", {"prompt": "what is 2+2?"}).json()
    assert answer["error"]["exit_code"] == 5
    assert "server_error" in answer["error"]["message"]


def test_a_streamed_query_gives_the_lines_of_query_json_stream(gateway) -> None:
    running = gateway()
    body = {"prompt": "what is 2+2?", "stream": True}
    headers = {"x-llm-router-token": TOKEN}
    with httpx.stream("POST", running.url + "/internal/query", json=body, headers=headers, timeout=60) as r:
        lines = [json.loads(line) for line in r.iter_lines() if line]
    assert "".join(line["text"] for line in lines if line["type"] == "text") == "answer from gpt-4o-mini"
    assert lines[-1]["type"] == "result"
    assert lines[-1]["model"] == "openai/gpt-4o-mini"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({}, "prompt: field required"),
        ({"prompt": " "}, "prompt: the prompt is empty"),
        ({"prompt": "hi", "cwd": "relative/path"}, "is not an absolute path"),
        ({"prompt": "hi", "host": "elsewhere"}, "host: expected one of"),
        ({"prompt": "hi", "knobs": {"colour": "red"}}, "knobs: unknown colour"),
    ],
)
def test_a_bad_internal_request_is_a_400_saying_why(gateway, body: dict, says: str) -> None:
    response = post(gateway().url, "/internal/decide", body)
    assert response.status_code == 400
    assert says in response.json()["error"]["message"]
