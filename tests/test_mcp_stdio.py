"""`llm-router mcp` as a host runs it: a real subprocess on stdio, driven by the MCP SDK's own client."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from typing import Any

import pytest
from mcp import Client, MCPError, StdioServerParameters

from llm_router.testing import FakeProvider

pytestmark = pytest.mark.anyio

ACCEPTANCE_TOOLS = {
    "llm_route",
    "llm_classify",
    "llm_query",
    "llm_code",
    "llm_analyze",
    "llm_research",
    "llm_usage",
    "llm_savings",
    "llm_budget",
    "llm_health",
}
RUN_CLI = "from llm_router.cli import main; main()"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def command() -> list[str]:
    """`llm-router mcp` through the console script when installed, else through the same entry point."""
    script = shutil.which("llm-router")
    return [script, "mcp"] if script else [sys.executable, "-c", RUN_CLI, "mcp"]


def server_env(**extra: str) -> dict[str, str]:
    """The test's HOME and offline LiteLLM settings, plus `extra`; nothing else of this process's env."""
    keep = (
        "HOME",
        "LLM_ROUTER_HOME",
        "PATH",
        "PYTHONPATH",
        "LITELLM_LOCAL_MODEL_COST_MAP",
        "LITELLM_OFFLINE_MODE",
    )
    return {k: os.environ[k] for k in keep if k in os.environ} | extra


def stdio(**extra: str) -> StdioServerParameters:
    cmd = command()
    return StdioServerParameters(command=cmd[0], args=cmd[1:], env=server_env(**extra), cwd=os.getcwd())


def spawn(**extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=server_env(**extra),
    )


def send(proc: subprocess.Popen[bytes], message: dict[str, Any]) -> None:
    assert proc.stdin is not None
    proc.stdin.write((json.dumps(message) + "\n").encode())
    proc.stdin.flush()


def handshake(proc: subprocess.Popen[bytes]) -> dict[str, Any]:
    """The pre-2026 initialize handshake by hand, so a test controls exactly when the client vanishes."""
    assert proc.stdout is not None
    send(
        proc,
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "test", "version": "0"},
            },
        },
    )
    reply: dict[str, Any] = json.loads(proc.stdout.readline())
    send(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    return reply


async def test_the_client_sees_the_routing_generation_and_admin_tools() -> None:
    async with Client(stdio()) as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert names >= ACCEPTANCE_TOOLS


async def test_core_slim_mode_lists_fewer_tools_than_the_default() -> None:
    async with Client(stdio()) as client:
        default = {t.name for t in (await client.list_tools()).tools}
    async with Client(stdio(LLM_ROUTER_SLIM="core")) as client:
        core = {t.name for t in (await client.list_tools()).tools}
    assert core < default
    assert {"llm_route", "llm_query"} <= core


async def test_route_returns_the_chain_and_tier_as_structured_content() -> None:
    async with Client(stdio(GEMINI_API_KEY="test-key")) as client:
        result = await client.call_tool("llm_route", {"prompt": "What is the capital of France?"})
    assert not result.is_error, result.content
    route = result.structured_content
    assert route["action"] == "route"
    assert route["tier"]
    assert route["chain"] and all("/" in model for model in route["chain"])
    assert route["id"]


async def test_a_prompt_that_is_not_a_string_is_an_error_result() -> None:
    async with Client(stdio()) as client:
        result = await client.call_tool("llm_route", {"prompt": 12345})
        still_serving = await client.list_tools()
    assert result.is_error
    assert "prompt" in result.content[0].text
    assert still_serving.tools


async def test_query_with_a_model_returns_the_answer_of_the_local_openai_compatible_server() -> None:
    with FakeProvider() as fake:
        fake.script("fake-model", "ok", answer="forty-two, from the fake server")
        params = stdio(OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=fake.openai_base)
        async with Client(params) as client:
            arguments = {"prompt": "What is 6 x 7?", "model": "openai/fake-model"}
            result = await client.call_tool("llm_query", arguments)
    assert not result.is_error, result.content
    assert result.structured_content["text"] == "forty-two, from the fake server"
    assert result.structured_content["model"] == "openai/fake-model"
    assert fake.count("fake-model") == 1


def test_stdout_carries_only_the_protocol_and_the_server_exits_cleanly_when_stdin_closes() -> None:
    proc = spawn()
    reply = handshake(proc)
    assert reply["result"]["serverInfo"]["name"] == "llm-router"
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.close()
    assert proc.wait(timeout=20) == 0
    assert proc.stdout.read() == b""


def test_the_server_exits_cleanly_when_the_client_vanishes_mid_call() -> None:
    with FakeProvider(slow_s=30) as fake:
        fake.script("slow-model", "slow")
        proc = spawn(OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=fake.openai_base)
        handshake(proc)
        call = {"name": "llm_query", "arguments": {"prompt": "take your time", "model": "openai/slow-model"}}
        send(proc, {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": call})
        deadline = time.monotonic() + 20
        while fake.count("slow-model") == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fake.count("slow-model") == 1, "the call never reached the model"
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdin.close()
        proc.stdout.close()
        started = time.monotonic()
        assert proc.wait(timeout=20) == 0
        assert time.monotonic() - started < 10
        assert b"Traceback" not in proc.stderr.read()


async def test_the_server_keeps_serving_after_a_call_the_client_gave_up_on() -> None:
    with FakeProvider(slow_s=30) as fake:
        fake.script("slow-model", "slow")
        async with Client(stdio(OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=fake.openai_base)) as client:
            arguments = {"prompt": "take your time", "model": "openai/slow-model"}
            with pytest.raises(MCPError):
                await client.call_tool("llm_query", arguments, read_timeout_seconds=1)
            after = await client.call_tool("llm_providers", {})
    assert not after.is_error


def test_an_unknown_slim_mode_is_a_usage_error() -> None:
    proc = spawn(LLM_ROUTER_SLIM="tiny")
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 2
    assert b"LLM_ROUTER_SLIM must be one of" in err


def test_the_mcp_command_module_imports_neither_the_policy_engine_nor_litellm() -> None:
    code = (
        "import sys, llm_router.cli.mcp, llm_router.mcp.server as s; s.build_server(); "
        "heavy = ('llm_router.policy', 'llm_router.store', 'litellm'); "
        "print([m for m in sys.modules if m.startswith(heavy)])"
    )
    run = [sys.executable, "-c", code]
    out = subprocess.run(run, capture_output=True, text=True, env=server_env(), check=True)
    assert out.stdout.strip() == "[]"


async def test_streamable_http_transport_serves_the_same_tools() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cmd = [*command(), "--transport", "streamable-http", "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=server_env())
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        async with Client(f"http://127.0.0.1:{port}/mcp") as client:
            names = {t.name for t in (await client.list_tools()).tools}
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert names >= ACCEPTANCE_TOOLS
