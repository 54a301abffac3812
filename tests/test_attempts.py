"""The walk's decisions (`execute.attempts`), on their own: what a failure leads to, how long a retry waits,
which breakers a failure counts against, and which models a walk may skip. No provider, no store."""

from __future__ import annotations

from email.utils import formatdate

import pytest

from llm_router.execute.attempts import (
    NEXT,
    PROVIDER_DOWN_STEP,
    RETRY,
    STOP,
    RetrySettings,
    Walk,
    after_failure,
    breaker_scope,
    parse_retry_after,
    retry_delay,
)

NOW = 1_800_000_000.0
DEFAULT = RetrySettings()


def test_retry_after_in_seconds_is_read_as_given() -> None:
    assert parse_retry_after("7", NOW) == 7.0
    assert parse_retry_after(" 1.5 ", NOW) == 1.5


def test_retry_after_as_an_http_date_counts_from_now() -> None:
    assert parse_retry_after(formatdate(NOW + 30, usegmt=True), NOW) == 30.0


def test_retry_after_in_the_past_means_no_wait() -> None:
    assert parse_retry_after(formatdate(NOW - 30, usegmt=True), NOW) == 0.0
    assert parse_retry_after("-4", NOW) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "nan"])
def test_a_missing_or_unreadable_retry_after_is_no_answer(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None


def test_a_retry_waits_what_retry_after_asks_within_max_wait() -> None:
    assert retry_delay(1, RetrySettings(max_wait_s=10), retry_after_s=4) == 4


def test_a_retry_after_longer_than_max_wait_is_not_waited_for() -> None:
    assert retry_delay(1, RetrySettings(max_wait_s=10), retry_after_s=11) is None


def test_without_retry_after_the_backoff_doubles_up_to_max_wait() -> None:
    settings = RetrySettings(retries=5, max_wait_s=3, backoff_s=0.5)
    assert [retry_delay(n, settings) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


@pytest.mark.parametrize("outcome", ["rate_limited", "server_error", "unavailable", "timeout", "connection"])
def test_what_retrying_can_fix_is_retried_once_by_default(outcome: str) -> None:
    assert after_failure(outcome, tries=1, settings=DEFAULT).step == RETRY
    assert after_failure(outcome, tries=2, settings=DEFAULT).step == NEXT


@pytest.mark.parametrize(
    "outcome", ["auth", "bad_request", "forbidden", "not_found", "context_window", "refusal", "empty"]
)
def test_what_retrying_cannot_fix_moves_on_at_once(outcome: str) -> None:
    verdict = after_failure(outcome, tries=1, settings=RetrySettings(retries=5))
    assert verdict.step == NEXT and "cannot fix" in verdict.why


def test_no_retries_means_moving_on_after_a_429() -> None:
    assert after_failure("rate_limited", tries=1, settings=RetrySettings(retries=0)).step == NEXT


def test_a_retry_after_over_max_wait_moves_on_and_says_why() -> None:
    verdict = after_failure("rate_limited", tries=1, settings=RetrySettings(max_wait_s=10), retry_after_s=60)
    assert verdict.step == NEXT and "Retry-After 60s" in verdict.why and "max_wait_s 10s" in verdict.why


def test_a_retry_carries_the_wait_retry_after_asked_for() -> None:
    verdict = after_failure("unavailable", tries=1, settings=DEFAULT, retry_after_s=2)
    assert (verdict.step, verdict.wait_s) == (RETRY, 2)


def test_an_unreachable_endpoint_means_its_provider_is_down() -> None:
    assert after_failure("unreachable", tries=1, settings=DEFAULT).step == PROVIDER_DOWN_STEP


def test_a_failure_after_part_of_the_answer_reached_the_client_stops_the_walk() -> None:
    assert after_failure("rate_limited", tries=1, settings=DEFAULT, delivered=True).step == STOP


@pytest.mark.parametrize(
    ("outcome", "scope"),
    [
        ("unreachable", "provider"),
        ("auth", "provider"),
        ("connection", "model"),
        ("timeout", "model"),
        ("rate_limited", "model"),
        ("server_error", "model"),
        ("not_found", "model"),
        ("forbidden", "model"),
        ("context_window", "none"),
    ],
)
def test_only_an_unreachable_endpoint_or_a_rejected_key_counts_against_the_provider(
    outcome: str, scope: str
) -> None:
    assert breaker_scope(outcome) == scope


def walk_through(walk: Walk, outcomes: dict[str, list[str]]) -> list[str]:
    """Drive `walk`, each model failing with its listed outcomes in turn (answering once they run out)."""
    called: list[str] = []
    while (model := walk.next()) is not None:
        called.append(model)
        pending = outcomes.get(model) or []
        if not pending:
            walk.succeeded(model)
            continue
        walk.failed(model, pending.pop(0))
    return called


def test_a_retried_model_is_called_again_before_the_chain_moves_on() -> None:
    walk = Walk(["a/x", "b/y"])
    assert walk_through(walk, {"a/x": ["rate_limited"]}) == ["a/x", "a/x"]
    assert walk.answered == "a/x" and walk.tries == {"a/x": 2}


def test_a_model_failing_its_retry_too_gives_way_to_the_next() -> None:
    walk = Walk(["a/x", "b/y"])
    assert walk_through(walk, {"a/x": ["server_error", "server_error"]}) == ["a/x", "a/x", "b/y"]


def test_a_retry_is_not_made_once_the_failure_opened_the_models_breaker() -> None:
    open_after_first: set[str] = set()

    def breaker(model: str) -> str | None:
        return "circuit breaker open" if model in open_after_first else None

    walk = Walk(["a/x", "b/y"], breaker=breaker)
    assert walk.next() == "a/x"
    open_after_first.add("a/x")
    assert walk.failed("a/x", "rate_limited").step == RETRY
    assert walk.next() == "b/y"


def test_a_model_ruled_out_is_skipped_with_its_reason() -> None:
    walk = Walk(["a/x", "b/y"], ruled_out=lambda m: "not configured" if m == "a/x" else None)
    assert walk_through(walk, {}) == ["b/y"]
    assert walk.skipped == {"a/x": "not configured"}


def test_a_model_whose_breaker_is_open_is_skipped_while_a_later_one_can_answer() -> None:
    walk = Walk(["a/x", "b/y"], breaker=lambda m: "circuit breaker open" if m == "a/x" else None)
    assert walk_through(walk, {}) == ["b/y"]
    assert walk.skipped["a/x"] == "circuit breaker open"


def test_the_last_usable_model_is_tried_although_its_breaker_is_open() -> None:
    walk = Walk(
        ["a/x", "b/y", "c/z"],
        ruled_out=lambda m: "budget exhausted" if m == "c/z" else None,
        breaker=lambda m: "circuit breaker open",
    )
    assert walk_through(walk, {}) == ["b/y"]
    assert walk.skipped == {"a/x": "circuit breaker open"}


def test_an_unreachable_endpoint_skips_the_providers_other_models_but_not_the_last() -> None:
    walk = Walk(["p/a", "p/b", "q/c", "p/d"])
    called = walk_through(walk, {"p/a": ["unreachable"], "q/c": ["server_error", "server_error"]})
    assert called == ["p/a", "q/c", "q/c", "p/d"]
    assert "could not be reached" in walk.skipped["p/b"]


def test_a_rejected_key_rules_out_the_providers_other_models_even_the_last() -> None:
    walk = Walk(["p/a", "q/b", "p/c"])
    assert walk_through(walk, {"p/a": ["auth"], "q/b": ["bad_request"]}) == ["p/a", "q/b"]
    assert walk.skipped == {"p/c": "p rejected its key"}


def test_after_a_context_overflow_only_larger_windows_are_tried() -> None:
    windows = {"p/small": 8000, "p/same": 8000, "p/large": 200_000}
    walk = Walk(["p/small", "p/same", "p/large"], window=windows.get)
    assert walk_through(walk, {"p/small": ["context_window"]}) == ["p/small", "p/large"]
    assert "not larger" in walk.skipped["p/same"]


def test_a_model_listed_twice_is_tried_once() -> None:
    walk = Walk(["a/x", "a/x"], retry=RetrySettings(retries=0))
    assert walk_through(walk, {"a/x": ["server_error"]}) == ["a/x"]


def test_a_stopped_walk_offers_no_model() -> None:
    walk = Walk(["a/x", "b/y"])
    assert walk.next() == "a/x"
    assert walk.failed("a/x", "timeout", delivered=True).step == STOP
    assert walk.next() is None


def test_retry_settings_come_from_the_policys_fallback_section() -> None:
    assert RetrySettings.from_policy({"retries": 3, "max_wait_s": 2.5}) == RetrySettings(3, 2.5)
    assert RetrySettings.from_policy({}) == RetrySettings(1, 10.0)
