"""The decisions of a walk down a chain, apart from how a call is made: what a failure means (retry the same
model, move on, the provider's endpoint is down, stop), how long to wait before a retry, which breakers a
failure counts against, and which models may be skipped. The sync executor (`execute.chain`) and the async
gateway both walk a chain through `Walk`; neither decides any of this on its own.

Nothing here reads files, the clock or the network: what a walk needs from outside (is a model ruled out, is
its breaker open, how large is its context window) comes in as functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from llm_router.providers.catalogue import provider_of

# Outcome names, each with the breakers a failure of that kind counts against: "provider" (the model's and
# its provider's: the endpoint is unreachable, or the key is rejected), "model" (the model's only), "none".
SCOPES: dict[str, str] = {
    "unreachable": "provider",  # connection refused, DNS, TLS or connect timeout to the provider's base URL
    "auth": "provider",  # 401: the provider rejected the key
    "connection": "model",  # the endpoint answered, then the connection broke (reset, closed mid-answer)
    "timeout": "model",  # connected, but no answer in time
    "rate_limited": "model",
    "server_error": "model",
    "unavailable": "model",
    "forbidden": "model",  # 403: this key may not use this model
    "bad_response": "model",
    "bad_request": "model",
    "not_found": "model",
    "empty": "model",
    "refusal": "model",
    "length": "model",
    "context_window": "none",
    "client_closed": "none",  # the gateway's client left mid-answer: nothing wrong with the model
}
# Failures that the same model may not repeat a moment later: a 429, a 5xx, a timeout, a broken connection.
RETRYABLE = frozenset({"rate_limited", "server_error", "unavailable", "timeout", "connection"})
PROVIDER_DOWN = frozenset({"unreachable"})  # the provider's other models are down with it
PROVIDER_DEAD = frozenset({"auth"})  # the provider's other models share the rejected key
OPENS_PROVIDER_AT_ONCE = frozenset({"auth"})  # no threshold: a rejected key stays rejected
BREAKER_REASON = "circuit breaker open"  # how a breaker's refusal starts, here and in the evaluator

RETRY, NEXT, PROVIDER_DOWN_STEP, STOP = "retry", "next", "provider_down", "stop"
BACKOFF_S = 0.5  # the first retry's wait without a Retry-After; each further retry doubles it


@dataclass(frozen=True, slots=True)
class RetrySettings:
    """The policy's `fallback.retries` and `fallback.max_wait_s`: how often the same model is tried again
    after a failure that retrying can fix, and the longest wait before such a retry."""

    retries: int = 1
    max_wait_s: float = 10.0
    backoff_s: float = BACKOFF_S

    @classmethod
    def from_policy(cls, fallback: Mapping[str, Any] | None) -> RetrySettings:
        section = dict(fallback or {})
        return cls(int(section.get("retries", 1)), float(section.get("max_wait_s", 10.0)))


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a walk does after a failed attempt: `retry` the same model after `wait_s` seconds, go to the
    `next` model, go on knowing the model's `provider_down`, or `stop` the walk. `why` says why in words."""

    step: str
    wait_s: float = 0.0
    why: str = ""


def breaker_scope(outcome: str) -> str:
    """Which breakers a failure counts against: "provider" (the model's and its provider's), "model" or
    "none". Only an unreachable endpoint or a rejected key says anything about the provider."""
    return SCOPES.get(outcome, "model")


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds a `Retry-After` header asks to wait: delta-seconds ("30") or an HTTP-date, counted from `now`
    (epoch seconds); None when absent or unreadable. A date in the past means no wait."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        return max(0.0, when.timestamp() - now)
    return max(0.0, seconds) if seconds == seconds else None  # NaN is no answer


def retry_delay(tries: int, settings: RetrySettings, retry_after_s: float | None = None) -> float | None:
    """Seconds to wait before trying a model again after its `tries`-th failed attempt: the provider's
    Retry-After when it gave one, else a backoff that doubles from `backoff_s`; None when the provider asks
    for longer than `max_wait_s` (the walk moves on rather than wait)."""
    if retry_after_s is not None:
        return max(0.0, retry_after_s) if retry_after_s <= settings.max_wait_s else None
    return min(settings.backoff_s * 2 ** max(tries - 1, 0), settings.max_wait_s)


def after_failure(
    outcome: str,
    *,
    tries: int,
    settings: RetrySettings,
    retry_after_s: float | None = None,
    delivered: bool = False,
) -> Verdict:
    """What to do after a model failed for the `tries`-th time in this walk with `outcome`.

    `delivered`: part of this answer already reached a client that cannot be told the answer restarts
    (a gateway response after its first byte); nothing can follow it, so the walk stops.
    """
    if delivered:
        return Verdict(STOP, why="part of the answer was already sent")
    if outcome in PROVIDER_DOWN:
        return Verdict(PROVIDER_DOWN_STEP, why="the provider's endpoint cannot be reached")
    if outcome not in RETRYABLE:
        return Verdict(NEXT, why=f"retrying cannot fix {outcome}")
    if tries > settings.retries:
        return Verdict(NEXT, why=f"retried {settings.retries} time{'s' * (settings.retries != 1)}")
    wait = retry_delay(tries, settings, retry_after_s)
    if wait is None:
        return Verdict(
            NEXT, why=f"Retry-After {retry_after_s:g}s is longer than max_wait_s {settings.max_wait_s:g}s"
        )
    return Verdict(RETRY, wait, why=f"retry {tries} of {settings.retries}")


def _never(model: str) -> str | None:
    return None


def _unknown(model: str) -> int | None:
    return None


class Walk:
    """One walk down a chain: which model to call next, and what each failure changes.

    ::

        walk = Walk(chain, retry=RetrySettings.from_policy(cp.fallback), ruled_out=..., breaker=...)
        while (model := walk.next()) is not None:
            try:
                reply = call(model)
            except Failure as failure:
                verdict = walk.failed(model, failure.outcome, retry_after_s=failure.retry_after_s)
                if verdict.step == STOP:
                    break
                sleep(verdict.wait_s)
                continue
            walk.succeeded(model)
            break

    `ruled_out(model)` says why a model can never be tried in this walk (provider unknown or not configured,
    budget exhausted, a request the model cannot serve), or None. `breaker(model)` says why its breaker
    refuses it now, or None (it may claim the breaker's probe). `window(model)` is its context window, when
    known. A model refused only by its breaker, or by its provider's endpoint being down in this walk, is
    still tried when no later model of the chain can be: the last usable model is never skipped untried.
    """

    def __init__(
        self,
        chain: Sequence[str],
        *,
        retry: RetrySettings = RetrySettings(),
        ruled_out: Callable[[str], str | None] = _never,
        breaker: Callable[[str], str | None] = _never,
        window: Callable[[str], int | None] = _unknown,
    ) -> None:
        self.chain = tuple(dict.fromkeys(chain))  # a model listed twice is tried once
        self.retry = retry
        self.ruled_out, self.breaker, self.window = ruled_out, breaker, window
        self.skipped: dict[str, str] = {}  # model -> why it was not tried
        self.tries: dict[str, int] = {}  # model -> attempts made at it in this walk
        self.dead: dict[str, str] = {}  # provider -> why none of its models can answer (a rejected key)
        self.down: dict[str, str] = {}  # provider -> why its endpoint is taken to be down for this walk
        self.needs_window = 0  # after a context-window overflow: only models with a larger window
        self.answered: str | None = None
        self._position = 0
        self._again: str | None = None

    def next(self) -> str | None:
        """The model to call now (the same one again after a `retry` verdict); None when the walk is over."""
        if self.answered is not None:
            return None
        if self._again is not None:
            model, self._again = self._again, None
            refused = self.breaker(model)
            if refused is None:
                return model  # the failure that asked for the retry has not opened its breaker
        while self._position < len(self.chain):
            model = self.chain[self._position]
            self._position += 1
            why = self._hard(model)
            if why is not None:
                self.skipped[model] = why
                continue
            if self._later_usable():
                soft = self.down.get(provider_of(model)) or self.breaker(model)
                if soft is not None:
                    self.skipped[model] = soft
                    continue
            return model
        return None

    def failed(
        self, model: str, outcome: str, *, retry_after_s: float | None = None, delivered: bool = False
    ) -> Verdict:
        """Take in a failed attempt at `model`; the verdict says what the walk does next."""
        tries = self.tries[model] = self.tries.get(model, 0) + 1
        provider = provider_of(model)
        if outcome in PROVIDER_DEAD:
            self.dead[provider] = f"{provider} rejected its key"
        elif outcome in PROVIDER_DOWN:
            self.down[provider] = f"{provider}'s endpoint could not be reached from {model}"
        elif outcome == "context_window":
            self.needs_window = max(self.needs_window, self.window(model) or 1)
        verdict = after_failure(
            outcome, tries=tries, settings=self.retry, retry_after_s=retry_after_s, delivered=delivered
        )
        if verdict.step == RETRY:
            self._again = model
        elif verdict.step == STOP:
            self._position = len(self.chain)
        return verdict

    def succeeded(self, model: str) -> None:
        """Take in the attempt at `model` that gave the answer: the walk is over."""
        self.tries[model] = self.tries.get(model, 0) + 1
        self.answered = model

    def _hard(self, model: str) -> str | None:
        """Why `model` cannot be tried at all in this walk (or None)."""
        why = self.ruled_out(model)
        if why is not None:
            return why
        provider = provider_of(model)
        if provider in self.dead:
            return self.dead[provider]
        if self.needs_window:
            window = self.window(model)
            if window is not None and window <= self.needs_window:
                return f"context window {window} is not larger than the one that overflowed"
        return None

    def _later_usable(self) -> bool:
        """Whether a model after the current one could still be tried (ignoring breakers and endpoints
        found down, which never rule out the last usable model)."""
        return any(self._hard(m) is None for m in self.chain[self._position :])
