"""Decisions a prompt hook keeps as files beside usage.db: private, without the prompt unless store_prompts,
moved into usage.db by every reader (commit first, then removal), and bounded in number and size."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_hook import PROVIDER, QUESTION, accepted, prompt

from llm_router import router, store
from llm_router.decision import Request
from llm_router.hosts.handlers import save_decision
from llm_router.store import decision_files
from llm_router.store.decisions import load_decision, row_of, subscription_window


@pytest.fixture
def llm_home(home: Path) -> Path:
    return home / ".llm-router"


def routed_id(run) -> str:
    output = accepted("claude-code", "UserPromptSubmit", run)
    assert output is not None
    return output["hookSpecificOutput"]["additionalContext"].split('decision_id="')[1].split('"')[0]


def a_decision(text: str = QUESTION):
    settings = router.Settings(env=PROVIDER)
    return router.decide(
        Request(text, "claude-code", "UserPromptSubmit"), settings=settings, second_stage=False
    )


def a_row(n: int, **changes) -> dict:
    return row_of(a_decision(), now=time.time()) | {"id": f"{n:016x}"} | changes


def test_the_routed_hook_keeps_its_decision_in_a_private_file_and_opens_no_usage_db(llm_home: Path) -> None:
    decision_id = routed_id(prompt(**PROVIDER))
    kept = llm_home / "decisions" / f"{decision_id}.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert not (llm_home / "usage.db").exists()


@pytest.mark.parametrize("store_prompts", [False, True])
def test_a_kept_decision_holds_the_prompt_only_with_store_prompts(
    llm_home: Path, store_prompts: bool
) -> None:
    llm_home.mkdir()
    (llm_home / "config.yaml").write_text(f"store_prompts: {str(store_prompts).lower()}\n")
    (llm_home / "routing.yaml").write_text(  # a rule that reads the prompt: its trace step saw it
        "version: 1\nrules:\n  - {id: france, when: \"'France' in prompt\", then: {route: auto}}\n"
    )
    text = "what is the capital city of the country called France, please?"
    decision_id = routed_id(prompt(text=text, **PROVIDER))
    body = (llm_home / "decisions" / f"{decision_id}.json").read_text()
    assert (text in body) == store_prompts


def test_a_reader_moves_every_kept_decision_into_usage_db(llm_home: Path) -> None:
    first, second = routed_id(prompt(**PROVIDER)), routed_id(prompt(text="what is 3+3?", **PROVIDER))
    conn = store.open_db(llm_home / "usage.db")
    saved = load_decision(conn, first)
    assert saved is not None and saved["id"] == first and saved["tier"] == "simple"
    assert os.listdir(llm_home / "decisions") == []
    assert (
        conn.execute("SELECT COUNT(*) FROM decisions WHERE id IN (?, ?)", (first, second)).fetchone()[0] == 2
    )


def test_a_crash_between_commit_and_removal_moves_the_same_row_again(llm_home: Path) -> None:
    row = a_row(1)
    assert decision_files.save(llm_home, row)
    left = (llm_home / "decisions" / f"{row['id']}.json").read_bytes()
    conn = store.open_db(llm_home / "usage.db")
    assert decision_files.ingest(conn, llm_home) == 1
    (llm_home / "decisions" / f"{row['id']}.json").write_bytes(left)  # as if the removal never happened
    assert decision_files.ingest(conn, llm_home) == 1
    rows = conn.execute("SELECT id, time, decision FROM decisions").fetchall()
    assert [tuple(r) for r in rows] == [(row["id"], row["time"], row["decision"])]


def test_a_full_folder_sends_the_decision_to_usage_db_with_every_kept_one(llm_home: Path) -> None:
    for n in range(decision_files.MAX_KEPT):
        assert decision_files.save(llm_home, a_row(n))
    assert not decision_files.save(llm_home, a_row(decision_files.MAX_KEPT))
    decision = a_decision()
    assert save_decision(decision, router.Settings(env=PROVIDER))
    assert decision_files.count(llm_home) == 0
    conn = store.open_db(llm_home / "usage.db")
    assert conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == decision_files.MAX_KEPT + 1
    assert load_decision(conn, decision.id) is not None


def test_a_decision_larger_than_the_file_limit_goes_to_usage_db(llm_home: Path) -> None:
    assert not decision_files.save(llm_home, a_row(1, decision="x" * decision_files.FILE_LIMIT))
    assert decision_files.count(llm_home) == 0


def test_stale_temporary_files_are_removed_and_fresh_ones_kept(llm_home: Path) -> None:
    decision_files.save(llm_home, a_row(1))
    folder = llm_home / "decisions"
    stale, fresh = folder / ".a.json.1.0.tmp", folder / ".b.json.2.0.tmp"
    stale.write_text("{")
    fresh.write_text("{")
    old = time.time() - decision_files.STALE_TMP_S - 1
    os.utime(stale, (old, old))
    decision_files.ingest(store.open_db(llm_home / "usage.db"), llm_home)
    assert sorted(os.listdir(folder)) == [fresh.name]


def test_an_unusable_file_is_removed_and_not_taken_in(llm_home: Path) -> None:
    decision_files.save(llm_home, a_row(1))
    (llm_home / "decisions" / f"{2:016x}.json").write_text('{"id": "not this one"}')
    conn = store.open_db(llm_home / "usage.db")
    assert decision_files.ingest(conn, llm_home) == 1
    assert os.listdir(llm_home / "decisions") == []


@pytest.mark.parametrize("bad", ["../usage", "0123456789ABCDEF", "0123", "0123456789abcdef/.."])
def test_an_id_that_is_not_a_decision_id_names_no_file(llm_home: Path, bad: str) -> None:
    conn = store.open_db(llm_home / "usage.db")
    assert decision_files.read(llm_home, bad) is None
    assert load_decision(conn, bad) is None


def test_a_kept_decision_is_found_even_when_usage_db_cannot_take_it(llm_home: Path) -> None:
    row = a_row(1)
    decision_files.save(llm_home, row)
    store.open_db(llm_home / "usage.db").close()
    readonly = store.connect(f"file:{llm_home / 'usage.db'}?mode=ro")
    assert load_decision(readonly, row["id"]) is not None
    assert decision_files.count(llm_home) == 1


def test_the_subscription_window_counts_kept_decisions(llm_home: Path) -> None:
    now = time.time()
    decision_files.save(llm_home, a_row(1, time=now - 60, tokens=12))
    window = subscription_window(store.open_db(llm_home / "usage.db"), now)
    assert (window["active"], window["prompts"], window["tokens"]) == (True, 1, 12)


def test_the_subscription_estimate_counts_kept_decisions_without_transcripts(llm_home: Path) -> None:
    from llm_router.subscription.estimate import _from_records

    now = time.time()
    decision_files.save(llm_home, a_row(1, time=now - 60))
    usage = _from_records(llm_home, now)
    assert usage != _from_records(llm_home / "elsewhere", now)


def test_readers_in_parallel_move_each_kept_decision_in_once(llm_home: Path) -> None:
    rows = [a_row(n) for n in range(50)]
    for row in rows:
        decision_files.save(llm_home, row)
    store.open_db(llm_home / "usage.db").close()
    reader = (
        "import sys; from llm_router import store; from llm_router.store.decisions import load_decision; "
        "load_decision(store.open_db(sys.argv[1]), sys.argv[2])"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", reader, str(llm_home / "usage.db"), rows[0]["id"]])
        for _ in range(4)
    ]
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0, 0]
    conn = store.open_db(llm_home / "usage.db")
    assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM decisions").fetchone()[:] == (50, 50)
    assert decision_files.count(llm_home) == 0


def test_a_link_in_the_folder_is_never_read_and_is_removed(llm_home: Path, tmp_path: Path) -> None:
    row = a_row(1)
    decision_files.save(llm_home, row)
    outside = tmp_path / "planted.json"
    (llm_home / "decisions" / f"{row['id']}.json").replace(outside)
    (llm_home / "decisions" / f"{row['id']}.json").symlink_to(outside)
    conn = store.open_db(llm_home / "usage.db")
    assert load_decision(conn, row["id"]) is None
    assert os.listdir(llm_home / "decisions") == [] and outside.exists()
