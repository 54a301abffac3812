"""`mode: zero_claude`: the prompt hook answers through the external chain, against a local fake provider."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_hook import accepted, hook, payload, prompt

from llm_router.testing import FakeProvider

ANSWER = "2 + 2 = 4."


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        provider.script("gpt-4o-mini", "ok", answer=ANSWER)
        yield provider


@pytest.fixture
def env(fake: FakeProvider, home: Path) -> dict[str, str]:
    """OpenAI pointed at the fake provider, and `mode: zero_claude` in the user's routing.yaml."""
    (home / ".llm-router").mkdir(exist_ok=True)
    (home / ".llm-router" / "routing.yaml").write_text("version: 1\nmode: zero_claude\n")
    return {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.openai_base}


def test_zero_claude_blocks_with_the_providers_answer(env: dict[str, str], fake: FakeProvider) -> None:
    output = accepted("claude-code", "UserPromptSubmit", prompt(**env))
    assert output is not None and output["decision"] == "block"
    assert ANSWER in output["reason"] and "gpt-4o-mini" in output["reason"]
    assert fake.count("gpt-4o-mini") == 1


def test_zero_claude_lets_claude_answer_a_claude_prefixed_prompt(
    env: dict[str, str], fake: FakeProvider
) -> None:
    run = prompt(text="claude: what is 2+2?", **env)
    output = accepted("claude-code", "UserPromptSubmit", run)
    assert output is None or "decision" not in output
    assert fake.count("gpt-4o-mini") == 0


def test_zero_claude_blocks_with_a_clear_error_when_every_provider_fails(
    env: dict[str, str], fake: FakeProvider
) -> None:
    fake.script("gpt-4o-mini", "500")
    output = accepted("claude-code", "UserPromptSubmit", prompt(**env))
    assert output is not None and output["decision"] == "block"
    assert "every provider" in output["reason"] and "claude:" in output["reason"]


def test_zero_claude_on_codex_blocks_with_only_known_keys(env: dict[str, str]) -> None:
    output = accepted("codex", "UserPromptSubmit", prompt("codex", **env))
    assert output is not None and set(output) == {"decision", "reason"} and ANSWER in output["reason"]


def test_zero_claude_on_gemini_answers_through_llm_response(env: dict[str, str], fake: FakeProvider) -> None:
    assert (
        accepted("gemini-cli", "BeforeAgent", hook("gemini-cli", payload("gemini-cli", "BeforeAgent"), **env))
        is None
    )
    run = hook("gemini-cli", payload("gemini-cli", "BeforeModel"), **env)
    output = accepted("gemini-cli", "BeforeModel", run)
    assert output is not None
    response = output["hookSpecificOutput"]["llm_response"]
    assert response["candidates"][0]["content"]["parts"][0]["text"] == ANSWER
    assert fake.count("gpt-4o-mini") == 1


def test_zero_claude_on_gemini_keeps_no_answer_text_once_delivered(
    env: dict[str, str], fake: FakeProvider, home: Path
) -> None:
    hook("gemini-cli", payload("gemini-cli", "BeforeAgent"), **env)
    hook("gemini-cli", payload("gemini-cli", "BeforeModel"), **env)
    sessions = home / ".llm-router" / "sessions"
    stored = "".join(path.read_text() for path in sessions.rglob("*") if path.is_file())
    assert stored and ANSWER not in stored


def test_a_model_call_from_a_hook_process_runs_with_the_garbage_collector_on(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hook process decides with the cyclic collector off (`hook.run`); LiteLLM's import and the call
    that follow get it back."""
    from llm_router.decision import Request
    from llm_router.hosts import handlers
    from llm_router.router import Settings, decide

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    request = Request("what is 2 + 2?", "claude-code", "UserPromptSubmit")
    decision = decide(request, settings=settings)
    gc.disable()
    try:
        answer, model, _result = handlers.execute(decision, request, settings)
        assert gc.isenabled()
    finally:
        gc.enable()
    assert answer == ANSWER and "gpt-4o-mini" in model
