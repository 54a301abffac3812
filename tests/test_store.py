"""usage.db: migrations, usage reports, budgets per calendar period, decisions, the subscription window."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from llm_router import store
from llm_router.policy.compiled import BudgetSpec
from llm_router.store import migrations, state
from llm_router.store.usage import UsageRow
from llm_router.testing import make_decision


@pytest.fixture
def db_file(home: Path) -> Path:
    return store.db_path()


@pytest.fixture
def conn(db_file: Path):
    c = store.open_db(db_file)
    yield c
    c.close()


def _row(when: float, model: str = "openai/gpt-4o-mini", cost: float = 1.0, outcome: str = "ok") -> UsageRow:
    return UsageRow(when, model, model.split("/")[0], outcome, tokens_in=10, tokens_out=5, cost_usd=cost)


class _Policy:
    """The two attributes of a compiled policy the store reads."""

    def __init__(self, budgets: tuple[BudgetSpec, ...] = (), cooldown_s: float = 60):
        self.budgets = budgets
        self.fallback = {"circuit_breaker": {"failures": 3, "cooldown_s": cooldown_s}}


def test_the_database_lives_in_the_llm_router_home(home: Path) -> None:
    assert store.db_path() == home / ".llm-router" / "usage.db"


def test_opening_creates_a_wal_database_with_every_migration_recorded(conn, db_file: Path) -> None:
    assert db_file.is_file()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    names = [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]
    assert names == [m.__name__ for m in migrations.MIGRATIONS]


def test_reopening_applies_no_migration_twice(conn, db_file: Path) -> None:
    assert migrations.migrate(conn) == []
    store.open_db(db_file).close()
    assert conn.execute("SELECT COUNT(*) FROM _migrations").fetchone()[0] == len(migrations.MIGRATIONS)


def test_a_usage_report_counts_successful_calls_and_every_cost(conn) -> None:
    store.record(conn, _row(100, cost=0.5))
    store.record(conn, _row(101, cost=0.25, outcome="rate_limited"))
    store.record(conn, _row(102, model="ollama/llama3", cost=0.0))
    report = store.usage_report(conn)
    assert (report["calls"], report["failed_attempts"]) == (2, 1)
    assert report["cost_usd"] == pytest.approx(0.75)
    assert {m["model"]: m["calls"] for m in report["models"]} == {"openai/gpt-4o-mini": 1, "ollama/llama3": 1}


def test_a_usage_report_since_a_time_leaves_older_rows_out(conn) -> None:
    store.record(conn, _row(100))
    store.record(conn, _row(200))
    assert store.usage_report(conn, since=150)["calls"] == 1


def test_savings_are_the_baseline_cost_of_the_same_tokens_minus_the_actual_cost(conn) -> None:
    store.record(conn, _row(100, cost=0.0001))
    store.record(conn, _row(101, cost=0.00002, outcome="timeout"))
    report = store.savings_report(conn, "openai/gpt-4o", (1e-5, 2e-5))
    assert report["calls"] == 1 and report["tokens_in"] == 10 and report["tokens_out"] == 5
    assert report["baseline_cost_usd"] == pytest.approx(10 * 1e-5 + 5 * 2e-5)
    assert report["baseline_cost_usd"] - report["cost_usd"] == report["saved_usd"]
    assert report["baseline_model"] == "openai/gpt-4o"


def test_savings_leave_out_the_calls_of_models_with_no_known_price(conn) -> None:
    store.record(conn, _row(100, cost=0.0001))
    store.record(conn, _row(101, model="openai/unpriced", cost=0.0))
    report = store.savings_report(
        conn, "openai/gpt-4o", (1e-5, 2e-5), priced=lambda m: m != "openai/unpriced"
    )
    assert (report["calls"], report["tokens_in"]) == (1, 10)
    assert report["unpriced_models"] == [
        {"model": "openai/unpriced", "calls": 1, "tokens_in": 10, "tokens_out": 5}
    ]


@pytest.mark.parametrize(
    ("period", "now", "start"),
    [
        ("day", datetime(2026, 3, 18, 15, 30), datetime(2026, 3, 18)),
        ("week", datetime(2026, 3, 18, 15, 30), datetime(2026, 3, 16)),  # a Wednesday: back to Monday
        ("month", datetime(2026, 3, 18, 15, 30), datetime(2026, 3, 1)),
    ],
)
def test_budget_periods_are_calendar_periods_in_local_time(
    period: str, now: datetime, start: datetime
) -> None:
    assert state.period_start(period, now.timestamp()) == start.timestamp()


def test_a_budget_counts_only_its_provider_and_only_this_period(conn, db_file: Path) -> None:
    now = datetime(2026, 3, 18, 12).timestamp()
    store.record(conn, _row(now - 60, cost=2.0))
    store.record(conn, _row(now - 40 * 86400, cost=100.0))  # last month
    store.record(conn, _row(now - 60, model="anthropic/claude-haiku-4-5", cost=7.0))
    spec = BudgetSpec("openai-month", "month", 10.0, provider="openai")
    budgets, _ = state.read(db_file, _Policy((spec,)), now)
    assert budgets["openai-month"].spent_usd == pytest.approx(2.0)
    assert budgets["openai-month"].used_pct == pytest.approx(20.0)


def test_a_model_budget_counts_only_that_model(conn, db_file: Path) -> None:
    now = datetime(2026, 3, 18, 12).timestamp()
    store.record(conn, _row(now - 60, cost=2.0))
    store.record(conn, _row(now - 60, model="openai/gpt-4o", cost=3.0))
    spec = BudgetSpec("gpt4o-day", "day", 3.0, model="openai/gpt-4o")
    budgets, _ = state.read(db_file, _Policy((spec,)), now)
    assert budgets["gpt4o-day"].spent_usd == pytest.approx(3.0)
    assert budgets["gpt4o-day"].exhausted


def test_state_of_a_database_without_tables_is_nothing_spent_and_nothing_open(db_file: Path) -> None:
    db_file.parent.mkdir(parents=True)
    db_file.touch()
    budgets, open_breakers = state.read(db_file, _Policy((BudgetSpec("b", "day", 1.0),)), 0.0)
    assert budgets["b"].spent_usd == 0.0 and open_breakers == frozenset()


def test_reading_state_for_the_hook_imports_neither_sqlite_utils_nor_litellm(conn, db_file: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from llm_router.store import state; "
        f"state.read(Path({str(db_file)!r}), None, 0.0); "
        "print(sorted(m for m in ('sqlite_utils', 'litellm') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_saved_decision_loads_back_by_its_id(conn) -> None:
    decision = make_decision(["openai/gpt-4o-mini"], id="d-123")
    store.save_decision(conn, decision, session="s1")
    assert store.load_decision(conn, "d-123") == decision.to_dict()
    assert store.load_decision(conn, "no-such-id") is None


def test_the_subscription_window_opens_at_the_first_prompt_let_through_to_claude(conn) -> None:
    for i, when in enumerate((1000.0, 2000.0, 3000.0)):
        store.save_decision(
            conn, make_decision([], id=f"d{i}", action="passthrough", host="claude-code"), now=when
        )
    store.save_decision(conn, make_decision([], id="blocked", action="block", host="claude-code"), now=2500.0)
    window = store.subscription_window(conn, now=4000.0)
    assert window["active"] and window["prompts"] == 3
    started, resets = (datetime.fromisoformat(window[k]).timestamp() for k in ("started_at", "resets_at"))
    assert (started, resets) == (1000.0, 1000.0 + 5 * 3600)


def test_the_subscription_window_closes_five_hours_after_it_opened(conn) -> None:
    store.save_decision(conn, make_decision([], id="d", action="passthrough", host="claude-code"), now=1000.0)
    assert not store.subscription_window(conn, now=1000.0 + 5 * 3600 + 1)["active"]
