"""Streamed answers that break off mid-answer (FakeProvider's `cut` step, through LiteLLM for real): the
break is marked on every streaming surface (the executor's callbacks, `query --stream` on a terminal and in
JSON, MCP `llm_stream`), and the final text is the one complete answer."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from llm_router import store
from llm_router.cli import main
from llm_router.decision import Request
from llm_router.execute import Options, Restart, Result, execute
from llm_router.mcp.server import build_server
from llm_router.mcp.session import McpSession
from llm_router.testing import FakeProvider, make_decision

KEY = "sk-test-stream-0123456789abcdef"
LONG_A = "Alpha says the capital of France is Paris, a city on the Seine with a long and rich history. " * 2
LONG_B = "Bravo says Paris is the capital of France; it has been the seat of government for centuries. " * 2
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:pydantic", "ignore::DeprecationWarning:litellm")


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        provider.script("a", "cut:30", answer=LONG_A)  # well past the 80 characters held back, then it breaks
        provider.script("b", "ok", answer=LONG_B)
        yield provider


@pytest.fixture
def conn(home: Path):
    c = store.open_db(store.db_path())
    yield c
    c.close()


def stream(fake: FakeProvider, conn: Any, chain: list[str], **callbacks: Any) -> Result:
    return execute(
        make_decision(chain),
        Request("What is the capital of France?"),
        chain,
        env=fake.env(KEY),
        options=Options(timeout_s=5.0),
        conn=conn,
        sleep=lambda seconds: None,
        **callbacks,
    )


def test_a_broken_stream_is_followed_by_a_separator_naming_both_models_then_the_next_answer(
    fake: FakeProvider, conn: Any
) -> None:
    pieces: list[str] = []
    result = stream(fake, conn, ["openai/a", "openai/b"], on_text=pieces.append)
    shown = "".join(pieces)
    before, separator, after = shown.partition("\n\n--- llm-router: openai/a failed mid-answer (connection)")
    assert separator and LONG_A.startswith(before) and len(before) > 80
    assert "retrying openai/a" in after.split("---\n\n", 1)[0]  # a dropped connection is retried first
    assert after.endswith(LONG_B) and result.text == LONG_B and result.model == "openai/b"


def test_each_restart_is_reported_to_on_restart_instead_of_a_separator(fake: FakeProvider, conn: Any) -> None:
    pieces: list[str] = []
    restarts: list[Restart] = []
    result = stream(fake, conn, ["openai/a", "openai/b"], on_text=pieces.append, on_restart=restarts.append)
    assert [(r.failed, r.next) for r in restarts] == [("openai/a", "openai/a"), ("openai/a", "openai/b")]
    assert all(r.outcome == "connection" and r.shown_chars > 80 for r in restarts)
    assert "---" not in "".join(pieces) and "".join(pieces).endswith(LONG_B)
    assert list(result.restarts) == restarts


def test_a_retry_of_the_same_model_after_a_break_says_it_is_retrying(fake: FakeProvider, conn: Any) -> None:
    fake.script("a", "cut:30", "ok", answer=LONG_A)
    restarts: list[Restart] = []
    result = stream(fake, conn, ["openai/a", "openai/b"], on_text=lambda _: None, on_restart=restarts.append)
    assert result.text == LONG_A and [(r.failed, r.next) for r in restarts] == [("openai/a", "openai/a")]
    assert "retrying openai/a" in restarts[0].separator()


def test_a_break_before_anything_was_shown_needs_no_marker(fake: FakeProvider, conn: Any) -> None:
    fake.script("a", "cut:3", answer=LONG_A)  # three words: still held back as a possible refusal
    pieces: list[str] = []
    result = stream(fake, conn, ["openai/a", "openai/b"], on_text=pieces.append)
    assert "".join(pieces) == LONG_B == result.text and not result.restarts


def test_the_retry_event_carries_what_a_json_consumer_needs() -> None:
    event = Restart("openai/a", "connection", 120, "openai/b").to_event()
    assert event == {
        "type": "retry",
        "failed_model": "openai/a",
        "outcome": "connection",
        "discarded_chars": 120,
        "next_model": "openai/b",
    }


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        returned = main(list(argv))
        code = returned if isinstance(returned, int) else 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def openai_at_fake(fake: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", fake.openai_base)
    return fake


def test_query_stream_on_a_terminal_marks_the_break_with_a_separator_line(
    openai_at_fake: FakeProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "query", "capital?", "--models", "openai/a,openai/b", "--stream")
    assert code == 0, err
    assert out.count("--- llm-router: openai/a failed mid-answer") == 2
    assert "continuing with openai/b" in out and out.endswith(LONG_B + "\n")


def test_query_stream_json_emits_a_retry_event_before_the_replacing_text(
    openai_at_fake: FakeProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "query", "capital?", "--models", "openai/a,openai/b", "--stream", "--json")
    assert code == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    kinds = [e["type"] for e in events]
    last_retry = len(kinds) - 1 - kinds[::-1].index("retry")
    assert kinds.count("retry") == 2 and kinds[-1] == "result"
    assert events[last_retry]["next_model"] == "openai/b"
    assert "".join(e["text"] for e in events[last_retry:] if e["type"] == "text") == LONG_B
    assert events[-1]["text"] == LONG_B and len(events[-1]["restarts"]) == 2


def test_query_stream_that_fails_for_good_ends_its_line_before_the_error(
    openai_at_fake: FakeProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "query", "capital?", "--models", "openai/a", "--stream")
    assert code == 5 and out.endswith("\n") and "openai/a: connection" in err


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_mcp_llm_stream_sends_the_separator_as_progress_and_lists_the_restarts(
    fake: FakeProvider,
) -> None:
    fake.script("gpt-4o-mini", "cut:30", "ok", answer=LONG_A)
    messages: list[str] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        messages.append(message or "")

    srv = build_server(McpSession(env=dict(os.environ) | fake.env(KEY)))
    async with Client(srv) as client:
        result = await client.call_tool(
            "llm_stream",
            {"prompt": "What is the capital of France?", "model": "openai/gpt-4o-mini"},
            progress_callback=progress,
        )
    assert not result.is_error, result.content
    answer = result.structured_content
    separators = [m for m in messages if m.startswith("\n\n--- llm-router:")]
    assert len(separators) == 1 and "retrying openai/gpt-4o-mini" in separators[0]
    assert "".join(messages).endswith(separators[0] + LONG_A) and answer["text"] == LONG_A
    assert [r["failed_model"] for r in answer["restarts"]] == ["openai/gpt-4o-mini"]
