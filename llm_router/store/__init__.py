"""usage.db: migrations, usage rows, breaker state, budgets, decisions and savings.

Importing this package is cheap (plain `sqlite3`); sqlite-utils is loaded only to apply a migration.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from llm_router.store.db import connect, db_path, open_db, shared, write
    from llm_router.store.decisions import load_decision, save_decision, subscription_window
    from llm_router.store.usage import UsageRow, record, savings_report, usage_report

# Exports are imported on first use, so the hook path pays only for the modules it touches.
_HOME = {
    "connect": "db",
    "db_path": "db",
    "open_db": "db",
    "shared": "db",
    "write": "db",
    "load_decision": "decisions",
    "save_decision": "decisions",
    "subscription_window": "decisions",
    "UsageRow": "usage",
    "record": "usage",
    "savings_report": "usage",
    "usage_report": "usage",
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'llm_router.store' has no attribute {name!r}")
    return getattr(__import__(f"llm_router.store.{module}", fromlist=[name]), name)


__all__ = [
    "UsageRow",
    "connect",
    "db_path",
    "load_decision",
    "open_db",
    "record",
    "save_decision",
    "savings_report",
    "shared",
    "subscription_window",
    "usage_report",
    "write",
]
