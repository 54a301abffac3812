"""`llm-router serve` as a real process: serve.json (its keys, mode 0600, gone after stop), --detach returning
once /healthz answers, --status and --stop (a stale serve.json too), a port in use, a non-loopback bind
without a token, and the acceptance checks of a new user's first request."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anthropic
import httpx
import pytest

from llm_router.testing import FakeProvider

RUN_CLI = "from llm_router.cli import main; main()"
KEYS = {"pid", "host", "port", "token", "url", "version", "started", "compared"}


def command(*args: str) -> list[str]:
    script = shutil.which("llm-router")
    return [script, *args] if script else [sys.executable, "-c", RUN_CLI, *args]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(home: Path, fake: FakeProvider) -> dict[str, str]:
    """Only what a new user would have: a HOME, an OpenAI key and endpoint (the stand-in)."""
    keep = ("PATH", "PYTHONPATH", "LITELLM_LOCAL_MODEL_COST_MAP", "LITELLM_OFFLINE_MODE")
    return {k: os.environ[k] for k in keep if k in os.environ} | {
        "HOME": str(home),
        "LLM_ROUTER_HOME": str(home / ".llm-router"),
        "OPENAI_API_KEY": "sk-test-openai-key",
        "OPENAI_BASE_URL": fake.openai_base,
        "LLM_ROUTER_ANTHROPIC_UPSTREAM": fake.url,
    }


def cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(*args), env=env, capture_output=True, text=True, timeout=timeout)


class Served:
    def __init__(self, env: dict[str, str], port: int, fake: FakeProvider):
        self.env, self.port, self.fake = env, port, fake
        self.home = Path(env["LLM_ROUTER_HOME"])
        self.url = f"http://127.0.0.1:{port}"

    def state(self) -> dict:
        return json.loads((self.home / "serve.json").read_text())


@pytest.fixture(scope="module")
def served(module_home: Path) -> Iterator[Served]:
    """One gateway started with `serve --detach` for the checks that only read."""
    with FakeProvider() as fake:
        home = module_home
        port = free_port()
        env = environment(home, fake)
        started = cli(env, "serve", "--port", str(port), "--detach")
        assert started.returncode == 0, started.stderr
        try:
            yield Served(env, port, fake)
        finally:
            cli(env, "serve", "--stop")


def test_detach_returns_once_healthz_answers(served: Served) -> None:
    assert httpx.get(served.url + "/healthz", timeout=5).json()["status"] == "ok"


def test_serve_json_has_exactly_its_keys(served: Served) -> None:
    state = served.state()
    assert set(state) == KEYS
    assert (state["host"], state["port"], state["url"]) == ("127.0.0.1", served.port, served.url)
    assert len(state["token"]) >= 32


def test_serve_json_is_private(served: Served) -> None:
    assert stat.S_IMODE((served.home / "serve.json").stat().st_mode) == 0o600


def test_status_says_where_it_runs(served: Served) -> None:
    out = cli(served.env, "serve", "--status", "--json")
    status = json.loads(out.stdout)
    assert out.returncode == 0
    assert (status["running"], status["url"], status["pid"]) == (True, served.url, served.state()["pid"])
    assert "token" not in status


def test_a_second_serve_refuses_while_one_runs(served: Served) -> None:
    out = cli(served.env, "serve", "--port", str(free_port()))
    assert out.returncode == 1
    assert "already runs" in out.stderr


def test_a_new_user_gets_2_plus_2_from_the_simple_chains_openai_model(served: Served) -> None:
    client = anthropic.Anthropic(base_url=served.url, api_key="sk-ant-caller", max_retries=0)
    response = client.messages.with_raw_response.create(
        model="claude-sonnet-4-6",
        max_tokens=100,
        system="Be brief.",
        messages=[
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "what is 2+2?"},
        ],
        tools=[{"name": "calc", "description": "Calculate.", "input_schema": {"type": "object"}}],
    )
    assert response.parse().content[0].text == "answer from gpt-4o-mini"
    assert response.headers["x-llm-router-model"] == "openai/gpt-4o-mini"
    seen = served.fake.seen[-1].body
    assert seen["messages"][0] == {"role": "system", "content": "Be brief."}
    assert [m["content"] for m in seen["messages"][1:]] == ["hi", "Hello!", "what is 2+2?"]
    assert seen["tools"][0]["function"]["name"] == "calc"


def test_the_gateways_usage_shows_in_usage_and_savings(served: Served) -> None:
    client = anthropic.Anthropic(base_url=served.url, api_key="sk-ant-caller", max_retries=0)
    client.messages.create(
        model="claude-sonnet-4-6", max_tokens=10, messages=[{"role": "user", "content": "2+2?"}]
    )
    deadline = time.monotonic() + 30  # the row is written just after the answer is sent
    while (usage := json.loads(cli(served.env, "usage", "--json", "--host", "gateway").stdout))["calls"] < 1:
        assert time.monotonic() < deadline, "no usage row from the gateway"
        time.sleep(0.1)
    savings = json.loads(cli(served.env, "savings", "--json", "--host", "gateway").stdout)
    assert usage["calls"] >= 1 and {h["host"] for h in usage["hosts"]} == {"gateway"}
    assert savings["calls"] == usage["calls"]


def test_stop_ends_it_and_removes_serve_json(tmp_path: Path, fake: FakeProvider) -> None:
    env = environment(tmp_path, fake)
    assert cli(env, "serve", "--port", str(free_port()), "--detach").returncode == 0
    pid = json.loads((tmp_path / ".llm-router" / "serve.json").read_text())["pid"]
    out = cli(env, "serve", "--stop")
    assert out.returncode == 0 and "stopped" in out.stdout
    assert not (tmp_path / ".llm-router" / "serve.json").exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_foreground_serve_removes_serve_json_when_interrupted(tmp_path: Path, fake: FakeProvider) -> None:
    env = environment(tmp_path, fake)
    proc = subprocess.Popen(command("serve", "--port", str(free_port())), env=env, stderr=subprocess.PIPE)
    state = tmp_path / ".llm-router" / "serve.json"
    deadline = time.monotonic() + 120
    while not state.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert state.exists()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    assert not state.exists()


def test_a_port_in_use_is_a_clear_error_and_exit_1(tmp_path: Path, fake: FakeProvider) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        out = cli(environment(tmp_path, fake), "serve", "--port", str(taken.getsockname()[1]))
    assert out.returncode == 1
    assert "already in use" in out.stderr
    assert "Traceback" not in out.stderr


def test_a_stale_serve_json_is_reported_and_removed(tmp_path: Path, fake: FakeProvider) -> None:
    env = environment(tmp_path, fake)
    state = tmp_path / ".llm-router" / "serve.json"
    state.parent.mkdir()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    stale = {
        "pid": int(dead.stdout),
        "host": "127.0.0.1",
        "port": 1,
        "token": "t",
        "url": "http://127.0.0.1:1",
    }
    state.write_text(json.dumps({**stale, "version": "0", "started": "2026-01-01T00:00:00+00:00"}))
    out = cli(env, "serve", "--status")
    assert out.returncode == 1
    assert "stale serve.json was removed" in out.stdout
    assert not state.exists()


def test_a_non_loopback_bind_without_a_token_is_a_usage_error(tmp_path: Path, fake: FakeProvider) -> None:
    out = cli(environment(tmp_path, fake), "serve", "--host", "0.0.0.0")
    assert out.returncode == 2
    assert "--token" in out.stderr


def test_help_starts_nothing(tmp_path: Path, fake: FakeProvider) -> None:
    out = cli(environment(tmp_path, fake), "serve", "--help", timeout=30)
    assert out.returncode == 0 and "--detach" in out.stdout
    assert not (tmp_path / ".llm-router" / "serve.json").exists()


def test_an_invalid_policy_exits_3_before_listening(tmp_path: Path, fake: FakeProvider) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("mode: sideways\n")
    out = cli(environment(tmp_path, fake), "serve", "--port", str(free_port()), "--config", str(bad))
    assert out.returncode == 3
    assert "bad.yaml" in out.stderr


def test_on_loopback_the_token_variable_alone_leaves_the_apis_open(
    tmp_path: Path, fake: FakeProvider
) -> None:
    env = {**environment(tmp_path, fake), "LLM_ROUTER_GATEWAY_TOKEN": "exported-for-codex"}
    port = free_port()
    assert cli(env, "serve", "--port", str(port), "--detach").returncode == 0
    try:
        url = f"http://127.0.0.1:{port}"
        body = {
            "model": "claude-sonnet-4-6",
            "max_tokens": 10,
            "messages": [{"role": "user", "content": "2+2?"}],
        }
        assert (
            httpx.post(url + "/v1/messages", json=body, headers={"x-api-key": "own"}, timeout=60).status_code
            == 200
        )
        decide = {"prompt": "2+2?"}
        assert httpx.post(url + "/internal/decide", json=decide, timeout=60).status_code == 401
        headers = {"x-llm-router-token": "exported-for-codex"}
        assert (
            httpx.post(url + "/internal/decide", json=decide, headers=headers, timeout=60).status_code == 200
        )
    finally:
        cli(env, "serve", "--stop")


def test_on_loopback_a_token_given_as_an_option_is_required_everywhere(
    tmp_path: Path, fake: FakeProvider
) -> None:
    env = environment(tmp_path, fake)
    port = free_port()
    assert cli(env, "serve", "--port", str(port), "--detach", "--token", "opt-token").returncode == 0
    try:
        url = f"http://127.0.0.1:{port}"
        assert httpx.get(url + "/healthz", timeout=10).status_code == 401
        assert (
            httpx.get(url + "/healthz", headers={"x-llm-router-token": "opt-token"}, timeout=10).status_code
            == 200
        )
    finally:
        cli(env, "serve", "--stop")
