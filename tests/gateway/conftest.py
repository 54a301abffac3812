"""Fixtures for the gateway's tests: a stand-in provider (also playing the Anthropic upstream) and the
gateway serving from a thread on a free port, with the policy and environment a test asks for."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from llm_router import router
from llm_router.gateway import Gateway, build_app
from llm_router.gateway.server import in_thread
from llm_router.testing import FakeProvider

TOKEN = "test-gateway-token"
CALLER_KEY = "sk-ant-caller-own-key"


@dataclass
class Running:
    """A gateway serving from a thread."""

    url: str
    gw: Gateway
    home: Path

    def usage_rows(self) -> list[dict]:
        """Every usage row the gateway recorded, oldest first, once no request is in flight (an answer's
        row is written after the client has it)."""
        from llm_router.store.db import connect

        deadline = time.monotonic() + 30
        while self.gw.in_flight and time.monotonic() < deadline:
            time.sleep(0.01)
        path = self.home / "usage.db"
        if not path.exists():
            return []
        return [dict(r) for r in connect(path).execute("SELECT * FROM usage ORDER BY id")]


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    """The stand-in provider, fresh for each test."""
    with FakeProvider() as provider:
        yield provider


@pytest.fixture
def gateway(fake: FakeProvider, tmp_path: Path) -> Iterator[Callable[..., Running]]:
    """Start a gateway: `gateway(policy="...", env={...}, mcp=False, host=..., token=None)`.

    By default only OpenAI is configured (OPENAI_API_KEY and OPENAI_BASE_URL at the stand-in), and the
    Anthropic upstream is the stand-in too, so that passthrough can be watched."""
    stack = ExitStack()

    def start(
        policy: str = "",
        env: dict[str, str] | None = None,
        *,
        mcp: bool = False,
        host: str = "127.0.0.1",
        token: str | None = None,
    ) -> Running:
        config = tmp_path / "gateway-policy.yaml"
        config.write_text(policy or "{}\n")
        variables = {
            **os.environ,
            "OPENAI_API_KEY": "sk-test-openai-key",
            "OPENAI_BASE_URL": fake.openai_base,
            "LLM_ROUTER_ANTHROPIC_UPSTREAM": fake.url,
            **(env or {}),
        }
        settings = router.Settings(env=variables, cwd=Path.cwd(), config=config)
        gw = Gateway(settings, token=token or TOKEN, token_everywhere=token is not None, host=host)
        url = stack.enter_context(in_thread(build_app(gw, mcp=mcp, warm=False), host=host))
        return Running(url, gw, settings.home)

    yield start
    stack.close()
