"""A hook's decision is what the MCP tool it points at executes: decided once, never re-decided."""

from __future__ import annotations

import os
import sqlite3

import pytest
from mcp import Client
from test_decision_files import routed_id
from test_hook import QUESTION, prompt

from llm_router.mcp.server import build_server
from llm_router.mcp.session import McpSession
from llm_router.testing import FakeProvider

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_llm_query_executes_the_decision_the_prompt_hook_saved() -> None:
    with FakeProvider() as fake:
        fake.script("gpt-4o-mini", "ok", answer="four")
        env = {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.openai_base}
        decision_id = routed_id(prompt(**env))
        async with Client(build_server(McpSession(env=dict(os.environ) | env))) as client:
            result = await client.call_tool("llm_query", {"prompt": QUESTION, "decision_id": decision_id})
        assert not result.is_error
        assert result.structured_content is not None
        assert result.structured_content["text"] == "four"
        assert result.structured_content["decision_id"] == decision_id
        assert fake.count("gpt-4o-mini") == 1


async def test_llm_query_finds_the_hook_s_decision_in_its_file_and_moves_it_into_usage_db(home) -> None:
    with FakeProvider() as fake:
        fake.script("gpt-4o-mini", "ok", answer="four")
        env = {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.openai_base}
        decision_id = routed_id(prompt(**env))
        kept = home / ".llm-router" / "decisions" / f"{decision_id}.json"
        assert kept.exists()  # the hook kept it without usage.db
        async with Client(build_server(McpSession(env=dict(os.environ) | env))) as client:
            result = await client.call_tool("llm_query", {"prompt": QUESTION, "decision_id": decision_id})
        assert not result.is_error and result.structured_content is not None
        assert result.structured_content["decision_id"] == decision_id
    assert not kept.exists()
    conn = sqlite3.connect(home / ".llm-router" / "usage.db")
    assert conn.execute("SELECT COUNT(*) FROM decisions WHERE id = ?", (decision_id,)).fetchone()[0] == 1
