"""Circuit breakers shared through usage.db: open after N failures, skip while open, one probe after the
cooldown."""

from __future__ import annotations

import pytest

from llm_router import store
from llm_router.store import breakers, state
from llm_router.store.breakers import BreakerSettings

SETTINGS = BreakerSettings(failures=3, cooldown_s=60)


@pytest.fixture
def conn(home):
    c = store.open_db(store.db_path())
    yield c
    c.close()


def fail(conn, model: str, now: float, *, provider_too: bool = False, open_provider: bool = False) -> None:
    with store.write(conn):
        breakers.failed(
            conn, model, now, SETTINGS, "test", provider_too=provider_too, open_provider=open_provider
        )


def succeed(conn, model: str) -> None:
    with store.write(conn):
        breakers.succeeded(conn, model)


def test_a_model_is_allowed_until_it_has_failed_n_times_in_a_row(conn) -> None:
    for i in range(2):
        fail(conn, "openai/a", 100 + i)
        assert breakers.allow(conn, "openai/a", 110, SETTINGS) is None
    fail(conn, "openai/a", 102)
    why = breakers.allow(conn, "openai/a", 110, SETTINGS)
    assert why is not None and "openai/a" in why and "3 failures" in why


def test_a_success_resets_the_count_of_failures(conn) -> None:
    fail(conn, "openai/a", 100)
    fail(conn, "openai/a", 101)
    succeed(conn, "openai/a")
    fail(conn, "openai/a", 102)
    assert breakers.allow(conn, "openai/a", 110, SETTINGS) is None


def test_an_open_breaker_lets_exactly_one_probe_through_after_the_cooldown(conn) -> None:
    for _ in range(3):
        fail(conn, "openai/a", 100)
    assert breakers.allow(conn, "openai/a", 159, SETTINGS) is not None
    assert breakers.allow(conn, "openai/a", 161, SETTINGS) is None  # the probe
    why = breakers.allow(conn, "openai/a", 162, SETTINGS)
    assert why is not None and "probing" in why


def test_a_successful_probe_closes_the_breaker(conn) -> None:
    for _ in range(3):
        fail(conn, "openai/a", 100)
    assert breakers.allow(conn, "openai/a", 161, SETTINGS) is None
    succeed(conn, "openai/a")
    assert breakers.allow(conn, "openai/a", 162, SETTINGS) is None
    assert breakers.open_now(conn, 162, 60) == frozenset()


def test_a_failed_probe_opens_the_breaker_for_another_cooldown(conn) -> None:
    for _ in range(3):
        fail(conn, "openai/a", 100)
    assert breakers.allow(conn, "openai/a", 161, SETTINGS) is None
    fail(conn, "openai/a", 161)
    assert breakers.allow(conn, "openai/a", 200, SETTINGS) is not None
    assert breakers.allow(conn, "openai/a", 222, SETTINGS) is None


def test_connection_failures_open_the_provider_for_all_its_models(conn) -> None:
    for model in ("openai/a", "openai/b", "openai/c"):
        fail(conn, model, 100, provider_too=True)
    why = breakers.allow(conn, "openai/d", 110, SETTINGS)
    assert why is not None and "openai after 3 failures" in why


def test_model_failures_leave_the_provider_closed(conn) -> None:
    for model in ("openai/a", "openai/b", "openai/c"):
        fail(conn, model, 100)
    assert breakers.allow(conn, "openai/d", 110, SETTINGS) is None


def test_a_rejected_key_opens_the_provider_at_once(conn) -> None:
    fail(conn, "openai/a", 100, provider_too=True, open_provider=True)
    assert breakers.allow(conn, "openai/b", 110, SETTINGS) is not None


def test_open_breakers_are_part_of_the_live_state_until_they_cool_down(conn) -> None:
    class Policy:
        budgets = ()
        fallback = {"circuit_breaker": {"failures": 3, "cooldown_s": 60}}

    for _ in range(3):
        fail(conn, "openai/a", 100, provider_too=True)
    assert state.read(store.db_path(), Policy(), 120)[1] == frozenset({"openai/a", "openai"})
    assert state.read(store.db_path(), Policy(), 161)[1] == frozenset()
