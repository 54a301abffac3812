"""A cloned repository's `.env` must never send the user's key elsewhere: an endpoint it sets is used only
with its own key. Checked with a real attacker endpoint (a FakeProvider) through the CLI, the zero_claude
hook and an MCP server started in that project."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters
from test_hook import accepted, hook, payload
from test_mcp_stdio import command, server_env

from llm_router.providers import projectenv
from llm_router.providers.catalogue import credentials, environment
from llm_router.testing import FakeProvider

USER_KEY = "sk-user-own-key-0123456789"
PROJECT_KEY = "sk-project-key-9876543210"
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:pydantic", "ignore::DeprecationWarning:litellm")


@pytest.fixture
def attacker() -> Iterator[FakeProvider]:
    """The endpoint a hostile repository's `.env` names."""
    with FakeProvider() as fake:
        yield fake


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    """The user's own endpoint, set in the user's environment."""
    with FakeProvider() as fake:
        fake.script("gpt-4o-mini", "ok", answer="the user's provider answered")
        yield fake


@pytest.fixture
def project(attacker: FakeProvider) -> Path:
    """A cloned repository (the working folder) whose `.env` points OpenAI at the attacker."""
    folder = Path.cwd()
    (folder / ".env").write_text(f"OPENAI_BASE_URL={attacker.openai_base}\n")
    return folder


@pytest.fixture
def user_env(provider: FakeProvider) -> dict[str, str]:
    """The user's key and endpoint, in the process environment (OPENAI_API_BASE, which the `.env`'s
    OPENAI_BASE_URL would outrank)."""
    return {"OPENAI_API_KEY": USER_KEY, "OPENAI_API_BASE": provider.openai_base}


def assert_untouched(attacker: FakeProvider) -> None:
    assert attacker.seen == []


def assert_served_with_the_users_key(provider: FakeProvider) -> None:
    assert provider.seen and all(USER_KEY in s.authorization for s in provider.seen)


# --- the rule -------------------------------------------------------------------------------------------


def test_a_dotenv_endpoint_is_dropped_when_the_key_comes_from_the_environment(
    project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="llm_router"):
        env = environment({"OPENAI_API_KEY": USER_KEY}, cwd=project)
    assert "OPENAI_BASE_URL" not in env
    assert credentials("openai/gpt-4o-mini", env) == {"api_key": USER_KEY}


def test_the_dropped_endpoint_is_warned_about_once_naming_the_file_and_variable_but_not_the_key(
    project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    projectenv._warned.clear()
    with caplog.at_level(logging.WARNING, logger="llm_router"):
        environment({"OPENAI_API_KEY": USER_KEY}, cwd=project)
        environment({"OPENAI_API_KEY": USER_KEY}, cwd=project)
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert str(project / ".env") in warnings[0] and "OPENAI_BASE_URL" in warnings[0]
    assert USER_KEY not in caplog.text


def test_a_dotenv_endpoint_is_dropped_when_the_key_comes_from_the_user_config(
    project: Path, home: Path
) -> None:
    config = home / ".llm-router" / "config.yaml"
    config.parent.mkdir()
    config.write_text(f"OPENAI_API_KEY: {USER_KEY}\n")
    config.chmod(0o600)
    assert credentials("openai/gpt-4o-mini", environment({}, cwd=project)) == {"api_key": USER_KEY}


def test_a_dotenv_endpoint_with_its_own_key_takes_both_from_the_dotenv(
    project: Path, attacker: FakeProvider, user_env: dict[str, str]
) -> None:
    with (project / ".env").open("a") as f:
        f.write(f"OPENAI_API_KEY={PROJECT_KEY}\n")
    env = environment(user_env, cwd=project)
    assert credentials("openai/gpt-4o-mini", env) == {
        "api_key": PROJECT_KEY,
        "api_base": attacker.openai_base,
    }


def test_a_dotenv_key_alone_goes_to_the_users_endpoint(project: Path, provider: FakeProvider) -> None:
    (project / ".env").write_text(f"OPENAI_API_KEY={PROJECT_KEY}\n")
    env = environment({"OPENAI_BASE_URL": provider.openai_base}, cwd=project)
    assert credentials("openai/x", env) == {"api_key": PROJECT_KEY, "api_base": provider.openai_base}


def test_every_providers_endpoint_variables_follow_the_rule(project: Path) -> None:
    (project / ".env").write_text(
        "ANTHROPIC_BASE_URL=http://evil.example\nGEMINI_API_BASE=http://evil.example\n"
        "MISTRAL_API_BASE=http://evil.example\nOPENAI_API_BASE=http://evil.example\n"
    )
    env = environment(
        {"ANTHROPIC_API_KEY": USER_KEY, "GEMINI_API_KEY": USER_KEY, "MISTRAL_API_KEY": USER_KEY}, cwd=project
    )
    assert not {"ANTHROPIC_BASE_URL", "GEMINI_API_BASE", "MISTRAL_API_BASE", "OPENAI_API_BASE"} & set(env)


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("http://localhost:11500", True),
        ("http://127.0.0.1:11500", True),
        ("http://evil.example:11434", False),
    ],
)
def test_a_dotenv_may_point_keyless_ollama_only_at_this_machine(project: Path, url: str, kept: bool) -> None:
    (project / ".env").write_text(f"OLLAMA_BASE_URL={url}\n")
    env = environment({}, cwd=project)
    assert ("OLLAMA_BASE_URL" in env) is kept


def test_the_environment_still_wins_over_the_dotenv_for_the_same_endpoint(
    project: Path, provider: FakeProvider
) -> None:
    env = environment({"OPENAI_API_KEY": USER_KEY, "OPENAI_BASE_URL": provider.openai_base}, cwd=project)
    assert credentials("openai/x", env)["api_base"] == provider.openai_base


# --- every entry point ----------------------------------------------------------------------------------


def test_cli_query_in_the_project_sends_nothing_to_the_dotenv_endpoint(
    project: Path, attacker: FakeProvider, provider: FakeProvider, user_env: dict[str, str]
) -> None:
    proc = subprocess.run(
        ["llm-router", "query", "what is 2+2?", "--models", "openai/gpt-4o-mini", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **user_env},
        cwd=project,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["text"] == "the user's provider answered"
    assert_untouched(attacker)
    assert_served_with_the_users_key(provider)
    assert "OPENAI_BASE_URL" in proc.stderr and ".env" in proc.stderr and USER_KEY not in proc.stderr


def test_the_zero_claude_hook_in_the_project_sends_nothing_to_the_dotenv_endpoint(
    project: Path, attacker: FakeProvider, provider: FakeProvider, user_env: dict[str, str]
) -> None:
    (project / ".llm-router.yaml").write_text("version: 1\nmode: zero_claude\n")
    run = hook("claude-code", payload("claude-code", "UserPromptSubmit", prompt="what is 2+2?"), **user_env)
    output = accepted("claude-code", "UserPromptSubmit", run)
    assert output is not None and "the user's provider answered" in output["reason"]
    assert_untouched(attacker)
    assert_served_with_the_users_key(provider)


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_an_mcp_server_started_in_the_project_sends_nothing_to_the_dotenv_endpoint(
    project: Path, attacker: FakeProvider, provider: FakeProvider, user_env: dict[str, str]
) -> None:
    cmd = command()
    params = StdioServerParameters(command=cmd[0], args=cmd[1:], env=server_env(**user_env), cwd=str(project))
    async with Client(params) as client:
        result = await client.call_tool(
            "llm_query", {"prompt": "what is 2+2?", "model": "openai/gpt-4o-mini"}
        )
    assert not result.is_error, result
    assert result.structured_content is not None
    assert result.structured_content["text"] == "the user's provider answered"
    assert_untouched(attacker)
    assert_served_with_the_users_key(provider)


def test_importing_litellm_leaves_the_projects_dotenv_out_of_the_process_environment(project: Path) -> None:
    # `python -c` counts as interactive for python-dotenv, so LiteLLM's import would read ./.env.
    code = (
        "import os; from llm_router.execute.dispatch import litellm_module; litellm_module(); "
        "print(os.environ.get('OPENAI_BASE_URL'), os.environ.get('LITELLM_MODE'))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=project, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["None", "None"]
