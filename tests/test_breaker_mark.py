"""The breaker mark beside usage.db: written before a breaker's commit, trusted only for its own database
file, and what lets the live state skip usage.db when no breaker can be open."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from llm_router import router, store
from llm_router.store import breaker_mark, breakers
from llm_router.store.breakers import BreakerSettings

SETTINGS = BreakerSettings(failures=3, cooldown_s=60)
PROVIDER = {"OPENAI_API_KEY": "sk-test"}


@pytest.fixture
def db(home: Path) -> Path:
    path = store.db_path()
    store.open_db(path).close()
    return path


@pytest.fixture
def conn(db: Path):
    c = store.open_db(db)
    yield c
    c.close()


def open_breaker(conn, model: str, now: float) -> None:
    for _ in range(SETTINGS.failures):
        with store.write(conn):
            breakers.failed(conn, model, now, SETTINGS, "test")


def open_behind_its_back(conn, model: str, now: float) -> None:
    """A breaker opened as a version before the mark did: usage.db only."""
    conn.execute(
        "INSERT INTO breakers (key, kind, failures, reason, updated, opened_at) "
        "VALUES (?, 'model', 3, 't', ?, ?)",
        (model, now, now),
    )


def live_breakers(now: float) -> frozenset[str]:
    settings = router.Settings(env=PROVIDER)
    return router.live_state(router.load(settings), settings, now)[2]


def test_a_breaker_that_opens_writes_the_mark_before_its_commit(conn, db: Path) -> None:
    for _ in range(SETTINGS.failures - 1):
        with store.write(conn):
            breakers.failed(conn, "openai/gpt-4o-mini", 100.0, SETTINGS, "test")
    assert breaker_mark.latest(db) is None  # below the threshold nothing opened
    with store.write(conn):
        breakers.failed(conn, "openai/gpt-4o-mini", 100.0, SETTINGS, "test")
        assert conn.in_transaction
        assert breaker_mark.latest(db) == 100.0  # before the commit
    assert live_breakers(120.0) == {"openai/gpt-4o-mini"}


def test_a_rolled_back_opening_leaves_a_mark_that_claims_more_never_less(conn, db: Path) -> None:
    with pytest.raises(RuntimeError), store.write(conn):
        for _ in range(SETTINGS.failures):
            breakers.failed(conn, "openai/gpt-4o-mini", 100.0, SETTINGS, "test")
        raise RuntimeError("the process died before its commit")
    assert breaker_mark.latest(db) == 100.0
    assert live_breakers(120.0) == frozenset()  # usage.db read: nothing open there


def test_a_mark_that_cannot_be_written_or_removed_rolls_the_opening_back(conn, db: Path) -> None:
    blocker = Path(breaker_mark.path_of(db))
    blocker.mkdir()
    (blocker / "x").write_text("")
    with pytest.raises(OSError):
        open_breaker(conn, "openai/gpt-4o-mini", 100.0)
    assert breakers.open_now(conn, 120.0, 60) == frozenset()


def test_an_old_database_without_a_mark_is_read_and_then_marked(conn, db: Path) -> None:
    open_behind_its_back(conn, "openai/gpt-4o-mini", 100.0)
    assert live_breakers(120.0) == {"openai/gpt-4o-mini"}
    assert breaker_mark.latest(db) == 100.0


def test_a_database_with_no_open_breaker_is_marked_as_none(conn, db: Path) -> None:
    assert live_breakers(120.0) == frozenset()
    assert breaker_mark.latest(db) == 0.0


@pytest.mark.parametrize(
    "content", ["", "garbage", "llm-router-breakers 1 1 2 nan\n", "llm-router-breakers 9 0 0 0"]
)
def test_an_unreadable_mark_vouches_for_nothing(conn, db: Path, content: str) -> None:
    open_behind_its_back(conn, "openai/gpt-4o-mini", 100.0)
    Path(breaker_mark.path_of(db)).write_text(content)
    assert live_breakers(120.0) == {"openai/gpt-4o-mini"}


def test_a_mark_of_another_database_file_vouches_for_nothing(conn, db: Path) -> None:
    live_breakers(120.0)  # marked: none open
    copy = db.with_name("copy.db")
    open_behind_its_back(conn, "openai/gpt-4o-mini", 100.0)
    conn.close()
    shutil.copyfile(db, copy)
    copy.replace(db)  # the same content under a new inode (a restored backup, a repair)
    assert live_breakers(120.0) == {"openai/gpt-4o-mini"}


def test_the_live_state_takes_a_cooled_down_mark_at_its_word(conn, db: Path) -> None:
    open_breaker(conn, "openai/gpt-4o-mini", 100.0)
    open_behind_its_back(conn, "openai/gpt-4o", 150.0)  # unseen by the mark: proves usage.db was not read
    assert live_breakers(159.0) == {"openai/gpt-4o-mini", "openai/gpt-4o"}  # within the cooldown: read
    assert live_breakers(160.0) == frozenset()  # 100 + 60: no breaker the mark knows can be open


def test_a_usd_budget_reads_usage_db_whatever_the_mark_says(conn, db: Path, home: Path) -> None:
    (home / ".llm-router" / "routing.yaml").write_text(
        "version: 1\nbudgets:\n  - {id: month, provider: openai, period: month, limit_usd: 20}\n"
    )
    live_breakers(120.0)  # marked: none open
    open_behind_its_back(conn, "openai/gpt-4o-mini", 100.0)
    assert live_breakers(120.0) == {"openai/gpt-4o-mini"}


def test_a_usage_db_that_is_a_link_is_always_read(home: Path) -> None:
    real = home / "elsewhere" / "usage.db"
    conn = store.open_db(real)
    (home / ".llm-router").mkdir()
    (home / ".llm-router" / "usage.db").symlink_to(real)
    live_breakers(120.0)  # the mark goes beside the file SQLite opened, not beside the link
    open_breaker(conn, "openai/gpt-4o-mini", 100.0)
    open_behind_its_back(conn, "openai/gpt-4o", 150.0)
    assert breaker_mark.latest(real) == 100.0
    assert live_breakers(165.0) == {"openai/gpt-4o"}  # usage.db read, though the mark beside it says 100


def test_a_recorder_whose_breaker_mark_cannot_be_kept_warns_and_never_raises(conn, db: Path) -> None:
    from llm_router.execute.record import Recorder
    from llm_router.store.usage import UsageRow

    blocker = Path(breaker_mark.path_of(db))
    blocker.mkdir()
    (blocker / "x").write_text("")
    recorder = Recorder(conn, db, SETTINGS)
    for _ in range(SETTINGS.failures):
        recorder.attempt(UsageRow(100.0, "openai/gpt-4o-mini", "openai", "server_error"))
    assert recorder.warnings and "usage.db cannot be used" in recorder.warnings[0]
    assert breakers.open_now(conn, 120.0, 60) == frozenset()  # never committed under a mark saying less
