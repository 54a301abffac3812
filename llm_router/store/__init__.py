"""usage.db: migrations, usage rows, breaker state, budgets, decisions and savings.

Importing this package is cheap (plain `sqlite3`); sqlite-utils is loaded only to apply a migration.
"""

from llm_router.store.db import connect, db_path, open_db, shared, write
from llm_router.store.decisions import load_decision, save_decision, subscription_window
from llm_router.store.usage import UsageRow, record, savings_report, usage_report

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
