"""The same process serves the MCP server over streamable HTTP at /mcp (the MCP SDK's client)."""

from __future__ import annotations

import httpx
import pytest
from mcp import Client

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_the_mcp_server_answers_at_mcp(gateway) -> None:
    running = gateway(mcp=True)
    async with Client(running.url + "/mcp") as client:
        names = {t.name for t in (await client.list_tools()).tools}
        routed = await client.call_tool("llm_route", {"prompt": "what is 2+2?"})
    assert {"llm_route", "llm_query", "llm_usage"} <= names
    assert routed.structured_content["tier"] == "simple"


async def test_mcp_needs_the_token_when_every_request_does(gateway) -> None:
    running = gateway(mcp=True, host="0.0.0.0", token="s3cret")
    url = running.url.replace("0.0.0.0", "127.0.0.1") + "/mcp"
    response = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert response.status_code == 401
