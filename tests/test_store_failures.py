"""A usage.db that cannot be used never costs a paid answer: real files made read-only, filled with garbage,
or put on a "full disk" (a file-size limit on the process, RLIMIT_FSIZE: writes past it fail as on a full
disk), with `llm-router` run as its own process against a provider on 127.0.0.1."""

from __future__ import annotations

import ctypes
import json
import os
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from mcp import Client
from test_hook import Run, accepted, payload, prompt

from llm_router.cli import main
from llm_router.mcp.server import build_server
from llm_router.mcp.session import McpSession
from llm_router.store import open_db
from llm_router.store.repair import diagnose, fix_for
from llm_router.testing import FakeProvider

KEY = "sk-test-store-0123456789abcdef"
QUERY = ("query", "What is the capital of France?", "--models", "openai/gpt-4o-mini")
ANSWER = "answer from gpt-4o-mini"
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:pydantic", "ignore::DeprecationWarning:litellm")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        for name, value in provider.env(KEY).items():
            monkeypatch.setenv(name, value)
        yield provider


@pytest.fixture
def db(home: Path) -> Path:
    return home / ".llm-router" / "usage.db"


@pytest.fixture
def garbage(db: Path) -> Path:
    """usage.db holding bytes that are not a database."""
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"this is not an SQLite database, whatever its name says\n" * 64)
    return db


def without_root_overrides() -> None:
    """In the child: as root, give up the capabilities that ignore file modes, so 0444 means read-only."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP: gone once the child execs
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def llm_router(*argv: str, preexec: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["llm-router", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
        preexec_fn=preexec,
        check=False,
    )


def here(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """`llm-router ARGV` in this process (exit code, stdout), where no process is under test. It keeps a
    connection to usage.db open (store.db.shared), so a test whose process must find usage.db closed runs
    its first query as a process too."""
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    return int(code or 0), capsys.readouterr().out


def query_here(capsys: pytest.CaptureFixture[str]) -> str:
    """QUERY in this process: its answer."""
    code, out = here(capsys, *QUERY)
    assert code == 0
    return out


def one_warning(stderr: str, db: Path) -> str:
    warnings = [line for line in stderr.splitlines() if "warning:" in line]
    assert len(warnings) == 1, stderr
    assert str(db) in warnings[0] and "Fix:" in warnings[0]
    return warnings[0]


def test_a_corrupt_usage_db_still_prints_the_answer_with_one_warning_and_the_fix(
    fake: FakeProvider, garbage: Path
) -> None:
    proc = llm_router(*QUERY)
    assert proc.returncode == 0 and proc.stdout == ANSWER + "\n", proc.stderr
    warning = one_warning(proc.stderr, garbage)
    assert "not a database" in warning and ".recover" in warning and "Traceback" not in proc.stderr


def test_a_read_only_usage_db_still_prints_the_answer_with_one_warning_and_the_fix(
    fake: FakeProvider, db: Path
) -> None:
    assert llm_router(*QUERY).returncode == 0
    for path in db.parent.glob("usage.db*"):
        path.chmod(0o444)
    proc = llm_router(*QUERY, preexec=without_root_overrides)
    assert proc.returncode == 0 and proc.stdout == ANSWER + "\n", proc.stderr
    assert "readonly" in one_warning(proc.stderr, db) and "chmod 600" in proc.stderr
    assert fake.count("gpt-4o-mini") == 2


def test_a_usage_db_on_a_full_disk_still_prints_the_answer_with_one_warning_and_the_fix(
    fake: FakeProvider, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert query_here(capsys) == ANSWER + "\n"
    keep = open_db(db)  # holds the -wal and -shm files open, so the child fails on writing a row
    before = keep.execute("SELECT COUNT(*) FROM usage").fetchone()[0]
    proc = llm_router(*QUERY, preexec=file_size_limit(4096))
    assert proc.returncode == 0 and proc.stdout == ANSWER + "\n", proc.stderr
    assert "df -h" in one_warning(proc.stderr, db) and "not recorded" in proc.stderr
    assert keep.execute("SELECT COUNT(*) FROM usage").fetchone()[0] == before


def test_a_usage_db_that_cannot_even_be_opened_on_a_full_disk_does_not_stop_the_query(
    fake: FakeProvider, db: Path
) -> None:
    assert llm_router(*QUERY).returncode == 0
    proc = llm_router(*QUERY, preexec=file_size_limit(1))  # not even its -shm file can be made
    assert proc.returncode == 0 and proc.stdout == ANSWER + "\n", proc.stderr
    assert "budgets and breakers were not checked" in one_warning(proc.stderr, db)


@pytest.mark.parametrize("command", ["usage", "budget", "savings"])
def test_a_report_on_a_corrupt_usage_db_exits_1_naming_the_file_and_the_fix(
    garbage: Path, command: str
) -> None:
    proc = llm_router(command)
    assert proc.returncode == 1 and proc.stdout == ""
    assert f"cannot use usage.db ({garbage}: file is not a database). Fix:" in proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr


def test_the_zero_claude_hook_answers_with_a_corrupt_usage_db_and_logs_the_fix(
    fake: FakeProvider, garbage: Path, home: Path
) -> None:
    (home / ".llm-router" / "routing.yaml").write_text("version: 1\nmode: zero_claude\n")
    output = accepted("claude-code", "UserPromptSubmit", prompt())
    assert output is not None and output["decision"] == "block"
    model = re.match(r"\[answered by (\S+) via llm-router\]", output["reason"])
    assert model and output["reason"].endswith(fake.answer_for(model.group(1)))
    log = (home / ".llm-router" / "hooks.log").read_text()
    assert "warning: usage.db cannot be used" in log and str(garbage) in log and ".recover" in log


def hook_on_a_full_disk(host: str, event: str) -> Run:
    """The hook for `host`'s prompt event in a process that cannot write a byte to any file."""
    proc = subprocess.run(
        [sys.executable, "-m", "llm_router.hosts.hook", host],
        input=json.dumps(payload(host, event, prompt="what is 2+2?")).encode(),
        capture_output=True,
        env=dict(os.environ),
        timeout=120,
        preexec_fn=file_size_limit(1),
        check=False,
    )
    return Run(proc.returncode, proc.stdout.decode(), proc.stderr.decode())


@pytest.mark.parametrize(
    ("host", "event"), [("claude-code", "UserPromptSubmit"), ("gemini-cli", "BeforeAgent")]
)
def test_the_zero_claude_hook_on_a_full_disk_still_gives_the_answer(
    fake: FakeProvider, home: Path, host: str, event: str
) -> None:
    (home / ".llm-router").mkdir()
    (home / ".llm-router" / "routing.yaml").write_text("version: 1\nmode: zero_claude\n")
    output = accepted(host, event, hook_on_a_full_disk(host, event))
    assert output is not None and output["decision"] in ("block", "deny")
    model = re.match(r"\[answered by (\S+) via llm-router\]", output["reason"])
    assert model and output["reason"].endswith(fake.answer_for(model.group(1)))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_an_mcp_query_answers_with_a_corrupt_usage_db_and_says_what_was_not_recorded(
    fake: FakeProvider, garbage: Path
) -> None:
    async with Client(build_server(McpSession(env=dict(os.environ)))) as client:
        result = await client.call_tool("llm_auto", {"prompt": "What is the capital of France?"})
    assert not result.is_error, result.content
    answer = result.structured_content
    assert answer["text"] == fake.answer_for(answer["model"])
    assert len(answer["warnings"]) == 1 and str(garbage) in answer["warnings"][0]


def test_doctor_finds_a_corrupt_usage_db_and_gives_the_recipe(garbage: Path) -> None:
    status, detail, fix = diagnose(garbage)
    assert status == "fail" and "not a database" in detail
    assert f"cd {garbage.parent} && mv usage.db usage.db.broken" in fix and ".recover" in fix


def test_doctor_finds_a_read_only_usage_db_and_says_how_to_make_it_writable(
    fake: FakeProvider, db: Path
) -> None:
    assert llm_router(*QUERY).returncode == 0
    db.chmod(0o444)
    probe = "import json, sys; from llm_router.store.repair import diagnose; print(json.dumps(diagnose(" + (
        f"__import__('pathlib').Path({str(db)!r}))))"
    )
    proc = subprocess.run(
        ["python", "-c", probe], capture_output=True, text=True, preexec_fn=without_root_overrides, check=True
    )
    status, detail, fix = json.loads(proc.stdout)
    assert status == "fail" and str(db) in detail and "chmod 600" in fix


def test_doctor_passes_a_healthy_usage_db(
    fake: FakeProvider, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert query_here(capsys) == ANSWER + "\n"
    assert diagnose(db)[0] == "ok"


def recipe(db: Path) -> str:
    """The shell command doctor gives for a corrupt usage.db."""
    found = re.search(r"`([^`]+)`", fix_for(db, "corrupt"))
    assert found
    return found.group(1)


def damaged(db: Path) -> Path:
    """usage.db with three recorded calls, then two of its pages overwritten."""
    conn = open_db(db)
    with conn:
        conn.executemany(
            "INSERT INTO usage (time, model, provider, outcome) VALUES (?, 'openai/a', 'openai', 'ok')",
            [(float(i),) for i in range(3)],
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    raw = bytearray(db.read_bytes())
    raw[4096 : 3 * 4096] = b"\xff" * (2 * 4096)
    db.write_bytes(bytes(raw))
    return db


def test_after_the_doctors_recipe_llm_router_records_again(
    fake: FakeProvider, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    damaged(db)
    assert llm_router("usage").returncode == 1
    subprocess.run(["sh", "-c", recipe(db)], capture_output=True, check=False)
    assert query_here(capsys) == ANSWER + "\n"
    assert json.loads(here(capsys, "usage", "--json")[1])["calls"] >= 1
    assert (db.parent / "usage.db.broken").exists()


def working_recover() -> bool:
    """Whether this machine's sqlite3 CLI has a working `.recover` (some builds lack what it needs)."""
    if shutil.which("sqlite3") is None:
        return False
    proc = subprocess.run(["sqlite3", ":memory:", ".recover"], capture_output=True, text=True, check=False)
    return proc.returncode == 0 and "error" not in proc.stderr.lower()


@pytest.mark.skipif(not working_recover(), reason="this sqlite3 CLI has no working .recover")
def test_the_doctors_recipe_recovers_the_records_of_a_damaged_usage_db(db: Path) -> None:
    damaged(db)
    subprocess.run(["sh", "-c", recipe(db)], capture_output=True, check=False)
    conn = sqlite3.connect(db)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "usage" in tables or "lost_and_found" in tables
