"""Recording a walk in usage.db without ever costing its answer: one usage row per attempt, written together
with the breaker change it implies, and breaker checks before each attempt. A store that fails (read-only,
corrupt, a full disk, locked for too long) becomes one warning with the path and the fix; the walk goes on.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from llm_router.execute.attempts import OPENS_PROVIDER_AT_ONCE, breaker_scope
from llm_router.store import breakers, usage
from llm_router.store.breakers import BreakerSettings
from llm_router.store.db import write
from llm_router.store.repair import warning


class Recorder:
    """Writes what a walk did to usage.db (`conn` may be None: nothing is stored, nothing is refused).

    `problem` is a warning already found before the walk (the store could not be opened or read); later
    failures add nothing new but a count, so the caller shows one warning per walk.
    """

    def __init__(
        self,
        conn: sqlite3.Connection | None,
        path: Path | None = None,
        breaker: BreakerSettings | None = None,
        problem: str | None = None,
    ) -> None:
        self.conn, self.path, self.settings = conn, path or Path("usage.db"), breaker or BreakerSettings()
        self.problem = problem
        self.lost = 0  # attempts not recorded after the store failed

    @property
    def warnings(self) -> tuple[str, ...]:
        if self.problem is None:
            return ()
        if not self.lost:
            return (self.problem,)
        return (f"{self.problem} ({self.lost} attempt{'s' * (self.lost != 1)} of this query not recorded)",)

    def allow(self, model: str, now: float) -> str | None:
        """Why `model`'s breaker (or its provider's) refuses an attempt now, or None. A store that cannot
        be read refuses nothing."""
        if self.conn is None:
            return None
        try:
            return breakers.allow(self.conn, model, now, self.settings)
        except sqlite3.Error as exc:
            self._failed(exc, "breakers were not checked and this query's usage was not recorded")
            return None

    def attempt(self, row: usage.UsageRow) -> None:
        """Store one attempt's row and move its breakers, in one transaction; never raises."""
        if self.conn is None:
            if self.problem is not None:
                self.lost += 1
            return
        try:
            with write(self.conn):  # the row and the breaker move together or not at all
                usage.insert(self.conn, row)
                if row.outcome == "ok":
                    breakers.succeeded(self.conn, row.model)
                elif (scope := breaker_scope(row.outcome)) != "none":
                    breakers.failed(
                        self.conn,
                        row.model,
                        row.time,
                        self.settings,
                        row.outcome,
                        provider_too=scope == "provider",
                        open_provider=row.outcome in OPENS_PROVIDER_AT_ONCE,
                    )
        except (sqlite3.Error, OSError) as exc:  # OSError: the breaker mark (store.breaker_mark)
            self._failed(exc, "this query's usage was not recorded (the answer is complete)")
            self.lost += 1

    def _failed(self, exc: BaseException, consequence: str) -> None:
        if self.problem is None:
            self.problem = warning(self.path, exc, consequence)
        self.conn = None  # one failure is enough: later writes would fail (or wait on a lock) the same way
