"""Every file the product reads is a regular file under a size limit, or it gets a located error (or, for a
`.env`, a warning): a link to /dev/zero or a fifo never hangs a command or a hook, nor eats memory.

Commands that could hang on the old code run as processes with a timeout."""

from __future__ import annotations

import json
import logging
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_hook import accepted, prompt, tool

from llm_router import fileio
from llm_router.cli import cli
from llm_router.evaluation import dataset
from llm_router.hosts import session
from llm_router.hosts.doctor import check_hook_log
from llm_router.policy import cache
from llm_router.providers import catalogue
from llm_router.providers.catalogue import environment


def llm_router(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["llm-router", *argv], capture_output=True, text=True, timeout=60, env=dict(os.environ), cwd=cwd
    )


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


# --- fileio ---------------------------------------------------------------------------------------------


def test_read_bounded_refuses_a_device_without_reading_it(tmp_path: Path) -> None:
    (tmp_path / "zero").symlink_to("/dev/zero")
    with pytest.raises(fileio.RefusedFile, match=r"lexicon .*zero: is a device, not a regular file"):
        fileio.read_bounded(tmp_path / "zero", limit=10, what="lexicon")


def test_read_bounded_refuses_a_fifo_without_waiting_for_a_writer(fifo: Path) -> None:
    with pytest.raises(fileio.RefusedFile, match="is a fifo"):
        fileio.read_bounded(fifo, limit=10, what="policy file")


def test_read_bounded_refuses_a_file_over_its_limit(tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(b"x" * 11)
    with pytest.raises(fileio.RefusedFile) as exc:
        fileio.read_bounded(tmp_path / "big", limit=10, what="session")
    assert exc.value.too_large and "more than the limit of 10" in str(exc.value)


def test_read_bounded_reads_a_file_at_its_limit(tmp_path: Path) -> None:
    (tmp_path / "ok").write_bytes(b"x" * 10)
    assert fileio.read_bounded(tmp_path / "ok", limit=10, what="session") == b"x" * 10


def test_a_missing_file_is_still_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        fileio.read_bounded(tmp_path / "nope", limit=10, what="session")


# --- classifier lexicons: exit 3 with a location ----------------------------------------------------------


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_a_lexicon_that_is_not_a_regular_file_exits_3_with_its_location(
    tmp_path: Path, fifo: Path, target: str
) -> None:
    path = str(fifo) if target == "fifo" else target
    (tmp_path / "lex.yaml").write_text(f"classifier:\n  lexicon:\n    file: {path}\n")
    proc = llm_router("route", "--config", str(tmp_path / "lex.yaml"), "hello there")
    assert proc.returncode == 3
    assert (
        "lex.yaml:3:11: bad-lexicon /classifier/lexicon/file" in proc.stderr
        and "not a regular file" in proc.stderr
    )


def test_a_lexicon_over_its_size_limit_is_a_located_problem(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as f:
        f.truncate(fileio.LEXICON_LIMIT + 1)
    (tmp_path / "lex.yaml").write_text(f"classifier:\n  lexicon:\n    file: {big}\n")
    result = CliRunner().invoke(cli, ["route", "--config", str(tmp_path / "lex.yaml"), "hi"])
    assert result.exit_code == 3 and "bad-lexicon" in result.stderr and "more than the limit" in result.stderr


# --- .env and config.yaml: ignored with a warning -------------------------------------------------------


def test_a_dotenv_linked_to_dev_zero_is_ignored_with_a_warning_by_the_cli() -> None:
    (Path.cwd() / ".env").symlink_to("/dev/zero")
    proc = llm_router("route", "what is 2+2?", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["action"]
    assert ".env" in proc.stderr and "not a regular file" in proc.stderr


def test_a_dotenv_linked_to_dev_zero_lets_the_hook_answer() -> None:
    (Path.cwd() / ".env").symlink_to("/dev/zero")
    accepted("claude-code", "UserPromptSubmit", prompt())


def test_a_dotenv_that_is_a_fifo_is_ignored(fifo: Path, caplog: pytest.LogCaptureFixture) -> None:
    (Path.cwd() / ".env").symlink_to(fifo)
    with caplog.at_level(logging.WARNING, logger="llm_router"):
        assert environment({"OPENAI_API_KEY": "k"}) == {"OPENAI_API_KEY": "k"}
    assert "is a fifo" in caplog.text


def test_an_oversized_dotenv_is_ignored_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    (Path.cwd() / ".env").write_text("GROQ_API_KEY=x\n" + "#" * fileio.SETTINGS_LIMIT)
    with caplog.at_level(logging.WARNING, logger="llm_router"):
        assert "GROQ_API_KEY" not in environment({})
    assert "more than the limit" in caplog.text


def test_a_config_yaml_that_is_a_fifo_is_ignored_with_a_warning(
    home: Path, fifo: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (home / ".llm-router").mkdir()
    (home / ".llm-router" / "config.yaml").symlink_to(fifo)
    with caplog.at_level(logging.WARNING, logger="llm_router"):
        assert catalogue.user_config(home / ".llm-router").env == {}
    assert "config.yaml" in caplog.text and "is a fifo" in caplog.text


def test_a_config_yaml_that_does_not_parse_is_ignored_with_a_warning(
    home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (home / ".llm-router").mkdir()
    (home / ".llm-router" / "config.yaml").write_text("env: [unclosed\n")
    with caplog.at_level(logging.WARNING, logger="llm_router"):
        assert catalogue.user_config(home / ".llm-router").env == {}
    assert "config.yaml" in caplog.text


# --- state the hooks read: fail open --------------------------------------------------------------------


def test_a_session_file_that_is_a_fifo_reads_as_empty(home: Path) -> None:
    path = Path(session.path_for("claude-code", "s1"))
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    assert session.load("claude-code", "s1") == {}


def test_a_session_file_linked_to_dev_zero_lets_the_tool_hook_through(home: Path) -> None:
    data = json.loads((Path(__file__).parent / "fixtures/hosts/claude-code/PreToolUse-Edit.json").read_text())
    path = Path(session.path_for("claude-code", data["session_id"]))
    path.parent.mkdir(parents=True)
    path.symlink_to("/dev/zero")
    assert accepted("claude-code", "PreToolUse", tool("Edit")) is None


def test_a_cache_entry_replaced_by_a_fifo_is_a_miss(home: Path, fifo: Path) -> None:
    entry = cache.entry_path(home, "key")
    entry.parent.mkdir(parents=True)
    entry.symlink_to(fifo)
    assert cache.read(home, "key") is None


def test_doctor_does_not_read_a_hook_log_linked_to_dev_zero(home: Path) -> None:
    (home / ".llm-router").mkdir()
    (home / ".llm-router" / "hooks.log").symlink_to("/dev/zero")
    assert check_hook_log().status == "ok"


# --- policy test suites and eval datasets ---------------------------------------------------------------


def test_a_policy_test_suite_linked_to_dev_zero_exits_3_with_its_name(tmp_path: Path) -> None:
    (tmp_path / "x.test.yaml").symlink_to("/dev/zero")
    proc = llm_router("policy", "test", str(tmp_path / "x.test.yaml"))
    assert proc.returncode == 3 and "x.test.yaml" in proc.stderr and "not a regular file" in proc.stderr


def test_an_eval_dataset_linked_to_dev_zero_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "data.jsonl").symlink_to("/dev/zero")
    with pytest.raises(dataset.DatasetError, match="data.jsonl: is a device"):
        dataset.load(tmp_path / "data.jsonl")


def test_an_eval_dataset_line_over_the_limit_names_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fileio, "DATASET_LINE_LIMIT", 100)
    good = '{"prompt": "p", "models": {"a": {"score": 1}}}'
    (tmp_path / "data.jsonl").write_text(f"{good}\n" + '{"prompt": "' + "x" * 200 + '"}\n')
    with pytest.raises(dataset.DatasetError, match=r"data.jsonl:2: the line is longer than the limit of 100"):
        dataset.load(tmp_path / "data.jsonl")


def test_a_routellm_csv_that_is_a_fifo_is_a_clear_error(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "mmlu_x.csv")
    with pytest.raises(dataset.DatasetError, match="is a fifo"):
        dataset.load(tmp_path)


def test_a_host_settings_file_linked_to_dev_zero_exits_7_with_its_path(home: Path) -> None:
    (home / ".claude").mkdir()
    (home / ".claude" / "settings.json").symlink_to("/dev/zero")
    proc = llm_router("install", "--host", "claude-code")
    assert proc.returncode == 7 and "settings.json: cannot read it: it is a device" in proc.stderr


def test_a_repositorys_agent_file_that_is_a_fifo_is_not_waited_on() -> None:
    from test_hook_subagents import model_of, subagent

    agents = Path(".claude/agents")
    agents.mkdir(parents=True)
    os.mkfifo(agents / "reviewer.md")
    assert model_of(subagent(subagent_type="reviewer")) == "haiku"
