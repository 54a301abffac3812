"""Providers: where keys and endpoints come from, what LiteLLM is given, and prices read as data."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from llm_router.providers import catalogue, prices
from llm_router.providers.catalogue import configured, credentials, environment, parse_dotenv


def test_a_key_in_the_environment_configures_its_provider() -> None:
    assert configured({"OPENAI_API_KEY": "sk-1"}, files=False) >= {"openai"}
    assert "openai" not in configured({}, files=False)


def test_an_ollama_model_list_alone_configures_ollama_at_its_default_address() -> None:
    env = {"OLLAMA_BUDGET_MODELS": "qwen3:8b, llama3.1"}
    assert "ollama" in configured(env, files=False)
    assert credentials("ollama/qwen3:8b", env) == {"api_base": "http://localhost:11434"}
    assert catalogue.ollama_models(env) == ["ollama/qwen3:8b", "ollama/llama3.1"]


def test_a_dotenv_file_in_the_working_directory_configures_providers(home: Path) -> None:
    (Path.cwd() / ".env").write_text("# keys\nexport GEMINI_API_KEY='g-key'\nGROQ_API_KEY=x # comment\n")
    env = environment({})
    assert (env["GEMINI_API_KEY"], env["GROQ_API_KEY"]) == ("g-key", "x")
    assert {"gemini", "groq"} <= configured({})


def test_the_process_environment_wins_over_dotenv_and_dotenv_over_the_user_config(home: Path) -> None:
    config = home / ".llm-router" / "config.yaml"
    config.parent.mkdir()
    config.write_text("env:\n  OPENAI_API_KEY: from-config\n  MISTRAL_API_KEY: m\n")
    config.chmod(0o600)
    (Path.cwd() / ".env").write_text("OPENAI_API_KEY=from-dotenv\nXAI_API_KEY=from-dotenv\n")
    env = environment({"XAI_API_KEY": "from-process"})
    assert (env["OPENAI_API_KEY"], env["XAI_API_KEY"], env["MISTRAL_API_KEY"]) == (
        "from-dotenv",
        "from-process",
        "m",
    )


def test_a_user_config_readable_by_others_is_warned_about(
    home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = home / ".llm-router" / "config.yaml"
    config.parent.mkdir()
    config.write_text("OPENAI_API_KEY: sk-config\nstore_prompts: true\n")
    config.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="llm_router"):
        user = catalogue.user_config(home / ".llm-router")
    assert user.env == {"OPENAI_API_KEY": "sk-config"} and user.store_prompts
    assert "readable by other users" in caplog.text and "chmod 600" in caplog.text
    assert "sk-config" not in caplog.text


def test_a_private_user_config_is_not_warned_about(home: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = home / ".llm-router" / "config.yaml"
    config.parent.mkdir()
    config.write_text("env: {OPENAI_API_KEY: sk-config}\n")
    config.chmod(0o600)
    with caplog.at_level(logging.WARNING, logger="llm_router"):
        catalogue.user_config(home / ".llm-router")
    assert not caplog.text


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": "http://h/v1"},
            {"api_key": "k", "api_base": "http://h/v1"},
        ),
        (
            {"OPENAI_API_KEY": "k", "OPENAI_API_BASE": "http://o/v1"},
            {"api_key": "k", "api_base": "http://o/v1"},
        ),
        ({"OPENAI_API_KEY": "k"}, {"api_key": "k"}),
    ],
)
def test_endpoint_overrides_reach_litellm(env: dict[str, str], expected: dict[str, str]) -> None:
    assert credentials("openai/gpt-4o", env) == expected


def test_parse_dotenv_reads_quotes_exports_and_comments() -> None:
    text = "A=1\n# no\nexport B=\"two words\"\nC='3'\nD=4 # trailing\n\nbroken line\n"
    assert parse_dotenv(text) == {"A": "1", "B": "two words", "C": "3", "D": "4"}


def test_codex_is_a_provider_when_its_command_is_installed(tmp_path: Path) -> None:
    codex = tmp_path / "codex"
    codex.write_text("#!/bin/sh\necho codex 1.0\n")
    codex.chmod(0o755)
    assert "codex" in configured({"PATH": str(tmp_path)}, files=False)
    assert "codex" not in configured({"PATH": str(tmp_path / "nowhere")}, files=False)


def test_codex_answers_through_its_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from llm_router.execute.dispatch import Call, codex_dispatch

    codex = tmp_path / "codex"
    # A stand-in for `codex exec ... --output-last-message FILE -`: reads the prompt, writes the answer.
    codex.write_text('#!/bin/sh\nout="$4"\nprompt=$(cat)\necho "codex says: $prompt" > "$out"\n')
    codex.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    reply = codex_dispatch(Call("codex/default", "hello", 5.0))
    assert reply.text == "codex says: hello"


def test_prices_come_from_litellms_table_by_full_or_bare_name() -> None:
    gpt4o = prices.price("openai/gpt-4o")
    assert gpt4o is not None and gpt4o.input_cost_per_token > 0 and gpt4o.max_input_tokens
    assert prices.price("gemini/gemini-2.5-flash") is not None
    assert prices.price("nosuch/model") is None


def test_the_policy_models_section_prices_a_model_and_overrides_the_table() -> None:
    overrides = {
        "openai/gpt-4o": {"input_cost_per_token": 1.0},
        "mistral/private": {
            "input_cost_per_token": 2e-6,
            "output_cost_per_token": 4e-6,
            "max_input_tokens": 9,
        },
    }
    assert prices.price("openai/gpt-4o", overrides).input_cost_per_token == 1.0  # type: ignore[union-attr]
    private = prices.price("mistral/private", overrides)
    assert private is not None and private.cost(10, 5) == pytest.approx(10 * 2e-6 + 5 * 4e-6)
    assert private.max_input_tokens == 9


def test_local_models_missing_from_the_table_cost_nothing() -> None:
    assert prices.cost("ollama/some-local-model", 1000, 1000) == 0.0


def test_reading_prices_does_not_import_litellm() -> None:
    code = (
        "import sys; from llm_router.providers import prices; prices.price('openai/gpt-4o'); "
        "print('litellm' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
