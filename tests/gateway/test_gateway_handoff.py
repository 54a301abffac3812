"""Cold processes hand their work to the warm server named by serve.json (issue 16 item 3, issue 11 item 7):
the prompt hook forwards its event, `llm-router query` its call; each answers exactly as in-process, imports
no LiteLLM, and falls back to in-process work when the server is absent, refuses, or does not take the call
in time; once the server has taken it, nothing is run twice."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from llm_router.testing import FakeProvider

TOKEN = "test-gateway-token"  # the gateway fixture's token
ANSWER = "2 + 2 = 4."
FIXTURES = Path(__file__).parent.parent / "fixtures" / "hosts"


@pytest.fixture
def keys(fake: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The provider variables of the gateway fixture, in this process too (a served hook event reads the
    server's own environment, as `llm-router serve` does) and in the cold processes'."""
    fake.script("gpt-4o-mini", "ok", answer=ANSWER)
    variables = {
        "OPENAI_API_KEY": "sk-test-openai-key",
        "OPENAI_BASE_URL": fake.openai_base,
        "LLM_ROUTER_ANTHROPIC_UPSTREAM": fake.url,
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return variables


def write_serve_json(
    home: Path, port: int, pid: int | None = None, token: str = TOKEN, without: tuple[str, ...] = ()
) -> None:
    """serve.json as `llm-router serve` writes it (`without`: keys an older version did not write)."""
    from llm_router.gateway.server import state_for

    folder = home / ".llm-router"
    folder.mkdir(mode=0o700, exist_ok=True)
    state = {**state_for("127.0.0.1", port, token), "pid": pid or os.getpid()}
    path = folder / "serve.json"
    path.write_text(json.dumps({k: v for k, v in state.items() if k not in without}))
    path.chmod(0o600)


@pytest.fixture
def served(gateway: Callable[..., object], home: Path, keys: dict[str, str]) -> object:
    """A warm server that serve.json names."""
    running = gateway()
    write_serve_json(home, int(running.url.rsplit(":", 1)[1]))  # type: ignore[attr-defined]
    return running


@pytest.fixture
def silent(home: Path) -> Iterator[socket.socket]:
    """A 'server' that accepts connections and never answers; serve.json names it."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        write_serve_json(home, listener.getsockname()[1])
        yield listener


@pytest.fixture
def breaks_off(home: Path) -> Iterator[list[bytes]]:
    """A 'server' that takes a request (answers its headers) and then closes the connection."""
    got: list[bytes] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                got.append(conn.recv(1 << 20))
                conn.sendall(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")

    threading.Thread(target=serve, daemon=True).start()
    write_serve_json(home, listener.getsockname()[1])
    yield got
    listener.close()


def zero_claude(home: Path) -> None:
    (home / ".llm-router").mkdir(mode=0o700, exist_ok=True)
    (home / ".llm-router" / "routing.yaml").write_text("version: 1\nmode: zero_claude\n")


def run_hook(event: dict[str, object], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The prompt hook in a fresh process; stderr carries the modules it imported (-X importtime)."""
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "llm_router.hosts.hook", "claude-code"],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )


def run_query(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "from llm_router.cli import main; main()", "query", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )


def prompt_event(text: str = "what is 2+2?") -> dict[str, object]:
    event = json.loads((FIXTURES / "claude-code" / "UserPromptSubmit.json").read_text())
    event.update(prompt=text, cwd=os.getcwd())
    return event  # type: ignore[no-any-return]


def imported(err: str, module: str) -> bool:
    return any(
        line.rsplit("|", 1)[-1].strip() == module for line in err.splitlines() if "import time" in line
    )


def output(proc: subprocess.CompletedProcess[str]) -> dict[str, object] | None:
    assert proc.returncode == 0
    return json.loads(proc.stdout) if proc.stdout.strip() else None


# --- the zero_claude prompt hook ------------------------------------------------------------------------


def test_the_zero_claude_hook_is_answered_by_the_server_without_importing_litellm(
    served: object, home: Path, keys: dict[str, str], fake: FakeProvider
) -> None:
    zero_claude(home)
    proc = run_hook(prompt_event(), keys)
    answer = output(proc)
    assert answer is not None and answer["decision"] == "block" and ANSWER in str(answer["reason"])
    assert not imported(proc.stderr, "litellm") and len(fake.seen) == 1
    assert [(r["host"], r["outcome"]) for r in served.usage_rows()] == [("claude-code", "ok")]  # type: ignore[attr-defined]


def test_the_served_hook_answers_as_the_in_process_hook(
    served: object, home: Path, keys: dict[str, str], fake: FakeProvider
) -> None:
    zero_claude(home)
    through_server = output(run_hook(prompt_event(), keys))
    (home / ".llm-router" / "serve.json").unlink()
    in_process = output(run_hook(prompt_event(), keys))
    assert through_server == in_process and fake.count("gpt-4o-mini") == 2


def test_a_deciding_hook_gets_the_same_advice_from_the_server(
    served: object, home: Path, keys: dict[str, str]
) -> None:
    (home / ".llm-router").mkdir(mode=0o700, exist_ok=True)
    (home / ".llm-router" / "routing.yaml").write_text("version: 1\nenforce: smart\n")
    event = prompt_event("what is the capital of France?")
    through_server = output(run_hook(event, keys))
    (home / ".llm-router" / "serve.json").unlink()
    in_process = output(run_hook(event, keys))
    assert through_server is not None and "llm_query" in json.dumps(through_server)
    assert without_ids(through_server) == without_ids(in_process)


def test_a_served_hook_digests_its_environment_with_the_names_serve_json_gives(
    served: object, home: Path, keys: dict[str, str]
) -> None:
    proc = run_hook(prompt_event("what is the capital of France?"), keys)
    assert "llm_query" in json.dumps(output(proc))
    assert not imported(proc.stderr, "llm_router.router")  # it was served
    assert not imported(proc.stderr, "llm_router.providers.table")


def test_a_serve_json_without_the_compared_names_is_served_all_the_same(
    served: object, home: Path, keys: dict[str, str]
) -> None:
    port = int(served.url.rsplit(":", 1)[1])  # type: ignore[attr-defined]
    write_serve_json(home, port, without=("compared",))  # as a server of an older version wrote it
    proc = run_hook(prompt_event("what is the capital of France?"), keys)
    assert "llm_query" in json.dumps(output(proc))
    assert not imported(proc.stderr, "llm_router.router")
    assert imported(proc.stderr, "llm_router.providers.table")  # the names come from the table, then


def test_the_second_stage_classifier_runs_for_a_hook_event_only_on_the_server(
    served: object, home: Path, keys: dict[str, str], fake: FakeProvider
) -> None:
    price = {"input_cost_per_token": 1.0e-6, "output_cost_per_token": 2.0e-6}
    llm = {"enabled": True, "models": ["openai/judge"], "below_confidence": 11, "max_cost_usd": 0.01}
    policy = {"version": 1, "enforce": "smart", "models": {"openai/judge": price}, "classifier": {"llm": llm}}
    (home / ".llm-router").mkdir(mode=0o700, exist_ok=True)
    (home / ".llm-router" / "routing.yaml").write_text(json.dumps(policy))
    fake.script(
        "judge", "ok", answer='{"task": "analysis", "complexity": "complex", "needs_workspace": false}'
    )
    event = prompt_event("should the export job move to a queue, or stay a cron for now?")
    assert output(run_hook(event, keys)) is not None and fake.count("judge") == 1
    (home / ".llm-router" / "serve.json").unlink()
    assert output(run_hook(event, keys)) is not None and fake.count("judge") == 1  # cold: not asked


def test_a_warning_of_a_served_event_is_printed_by_the_hook_as_in_process(
    served: object, home: Path, keys: dict[str, str]
) -> None:
    zero_claude(home)
    db = home / ".llm-router" / "usage.db"
    db.write_bytes(b"this is not an SQLite database\n" * 64)  # the answer stands; the store warns
    proc = run_hook(prompt_event(), keys)
    assert output(proc) is not None and not imported(proc.stderr, "litellm")
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("llm-router hook: warning:")]
    assert len(warnings) == 1 and "usage.db cannot be used" in warnings[0] and str(db) in warnings[0]


def without_ids(answer: object) -> str:
    """The answer with each decision's own id (new for every decision) left out."""
    return re.sub(r"\b[0-9a-f]{8,}[0-9a-f-]*\b", "ID", json.dumps(answer))


def test_without_a_server_the_hook_runs_in_process(
    home: Path, keys: dict[str, str], fake: FakeProvider
) -> None:
    zero_claude(home)
    write_serve_json(home, 9, pid=2**22 + 12345)  # a stale file: its process is gone
    answer = output(run_hook(prompt_event(), keys))
    assert answer is not None and ANSWER in str(answer["reason"]) and fake.count("gpt-4o-mini") == 1


def test_a_server_that_does_not_answer_in_time_leaves_the_hook_to_run_in_process(
    silent: socket.socket, home: Path, keys: dict[str, str], fake: FakeProvider
) -> None:
    zero_claude(home)
    answer = output(run_hook(prompt_event(), keys))
    assert answer is not None and ANSWER in str(answer["reason"]) and fake.count("gpt-4o-mini") == 1


def test_a_server_of_another_environment_leaves_the_hook_to_run_in_process(
    served: object, home: Path, keys: dict[str, str], fake: FakeProvider
) -> None:
    zero_claude(home)
    proc = run_hook(prompt_event(), {**keys, "LLM_ROUTER_PROFILE": "premium"})
    assert output(proc) is not None and imported(proc.stderr, "litellm") and len(fake.seen) == 1


def test_a_codex_command_on_the_hooks_path_only_leaves_the_hook_to_run_in_process(
    served: object, home: Path, keys: dict[str, str], fake: FakeProvider, tmp_path: Path
) -> None:
    # `codex` on PATH configures the codex provider, so the server (which has none) would decide otherwise
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "codex").write_text("#!/bin/sh\n")
    (bin_dir / "codex").chmod(0o755)
    zero_claude(home)
    proc = run_hook(prompt_event(), {**keys, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"})
    assert output(proc) is not None and imported(proc.stderr, "litellm") and len(fake.seen) == 1


def test_another_path_that_finds_the_same_commands_is_served(
    served: object, home: Path, keys: dict[str, str], fake: FakeProvider, tmp_path: Path
) -> None:
    zero_claude(home)
    proc = run_hook(prompt_event(), {**keys, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"})
    assert output(proc) is not None and not imported(proc.stderr, "litellm") and len(fake.seen) == 1


def test_a_server_that_took_the_event_and_broke_off_is_not_run_again(
    breaks_off: list[bytes], home: Path, keys: dict[str, str], fake: FakeProvider
) -> None:
    zero_claude(home)
    proc = run_hook(prompt_event(), keys)
    assert output(proc) is None and "prompt let through" in proc.stderr
    assert len(breaks_off) == 1 and fake.count("gpt-4o-mini") == 0


# --- llm-router query -----------------------------------------------------------------------------------


def test_query_is_answered_by_the_server_without_importing_litellm(
    served: object, keys: dict[str, str], fake: FakeProvider
) -> None:
    proc = run_query(keys, "what is 2+2?")
    assert proc.returncode == 0 and proc.stdout == ANSWER + "\n"
    assert "-- openai/gpt-4o-mini · 1 attempt" in proc.stderr and not imported(proc.stderr, "litellm")
    assert [(r["host"], r["outcome"]) for r in served.usage_rows()] == [("cli", "ok")]  # type: ignore[attr-defined]


@pytest.mark.parametrize("flags", [["--json"], ["--stream"], ["--json", "--stream"]])
def test_query_through_the_server_prints_what_query_in_process_prints(
    served: object, home: Path, keys: dict[str, str], flags: list[str]
) -> None:
    def shape(out: str) -> object:
        if "--json" not in flags:
            return out
        lines = out.splitlines() if "--stream" in flags else [out]
        rows = [json.loads(line) for line in lines if line.strip()]
        drop = ("decision", "attempts", "cost_usd", "baseline_cost_usd", "saved_usd")
        return [{k: v for k, v in row.items() if k not in drop} for row in rows]

    through_server = run_query(keys, "what is 2+2?", *flags)
    (home / ".llm-router" / "serve.json").unlink()
    in_process = run_query(keys, "what is 2+2?", *flags)
    assert through_server.returncode == in_process.returncode == 0
    assert shape(through_server.stdout) == shape(in_process.stdout)
    assert not imported(through_server.stderr, "litellm") and imported(in_process.stderr, "litellm")


def test_query_through_the_server_exits_as_query_does_when_every_provider_fails(
    served: object, keys: dict[str, str], fake: FakeProvider
) -> None:
    for model in ("gpt-4o-mini", "gpt-4.1-mini", "gpt-4.1", "gpt-4o", "o3", "o4-mini"):
        fake.script(model, "500")
    proc = run_query(keys, "what is 2+2?", "--json")
    assert proc.returncode == 5 and json.loads(proc.stdout)["error"]["exit_code"] == 5


def test_query_without_an_answering_server_runs_in_process(
    silent: socket.socket, keys: dict[str, str], fake: FakeProvider
) -> None:
    proc = run_query(keys, "what is 2+2?")
    assert proc.returncode == 0 and proc.stdout == ANSWER + "\n" and fake.count("gpt-4o-mini") == 1


def test_query_that_the_server_took_and_broke_off_is_an_error_not_a_second_call(
    breaks_off: list[bytes], keys: dict[str, str], fake: FakeProvider
) -> None:
    proc = run_query(keys, "what is 2+2?")
    assert proc.returncode == 1 and "broke off" in proc.stderr and "Traceback" not in proc.stderr
    assert len(breaks_off) == 1 and fake.count("gpt-4o-mini") == 0


def test_a_serve_json_others_can_write_is_not_believed(home: Path) -> None:
    from llm_router import warm

    write_serve_json(home, 4141)
    path = home / ".llm-router" / "serve.json"
    assert warm.read_state(path.parent) is not None
    path.chmod(0o666)
    assert warm.read_state(path.parent) is None and warm.find({"HOME": str(home)}) is None
