"""usage.db shared by real processes: parallel writers lose nothing; a writer killed mid-write leaves the
database readable and consistent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from llm_router import store

# Each transaction adds one failed usage row for model m<N> and counts one failure on its breaker, so in a
# consistent database the two always agree.
WRITER = """
import sys, time
from pathlib import Path
from llm_router import store
from llm_router.store import breakers, usage
from llm_router.store.breakers import BreakerSettings

conn = store.open_db(Path(sys.argv[1]))
worker, count = sys.argv[2], int(sys.argv[3])
settings = BreakerSettings(failures=10**9, cooldown_s=60)
i = 0
while count < 0 or i < count:
    model = f"openai/m{worker}"
    with store.write(conn):
        usage.insert(conn, usage.UsageRow(time.time(), model, "openai", "server_error", error="x" * 2000))
        breakers.failed(conn, model, time.time(), settings, "server_error")
    i += 1
    if i == 1:
        print("writing", flush=True)
"""


def _writer(db: Path, worker: int, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), str(worker), str(count)], stdout=subprocess.PIPE, text=True
    )


def test_six_processes_writing_at_once_lose_no_row(home: Path) -> None:
    db = store.db_path()
    procs = [_writer(db, w, 40) for w in range(6)]
    assert [p.wait(timeout=60) for p in procs] == [0] * 6
    conn = store.open_db(db)
    assert conn.execute("SELECT COUNT(*) FROM usage").fetchone()[0] == 240
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_writer_killed_mid_write_leaves_the_database_readable_and_consistent(home: Path) -> None:
    db = store.db_path()
    store.open_db(db).close()
    procs = [_writer(db, w, -1) for w in range(2)]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "writing"
    time.sleep(0.3)
    for p in procs:
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
    conn = store.open_db(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = dict(conn.execute("SELECT model, COUNT(*) FROM usage GROUP BY model").fetchall())
    counted = dict(conn.execute("SELECT key, failures FROM breakers WHERE kind = 'model'").fetchall())
    assert rows and rows == counted
    store.record(conn, store.UsageRow(time.time(), "openai/after", "openai", "ok"))  # still writable
