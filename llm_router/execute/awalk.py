"""The async walk of a whole request down a chain (the gateway's): the same walk as `execute.chain` (its
`Walk` decides what to try next, same-model retries and which models to skip; its `Recorder` writes one usage
row per attempt with the breakers it moves and never raises), except that an answer is taken as soon as it
opens, so that fallback happens only before the first byte reaches the client.

How a request is sent to one model is the caller's `Attempt`: it returns an `Opened` answer (a whole body,
or a stream primed up to its first content) or raises `Failure`. Failed attempts are recorded here; the
answer's own attempt by `Delivery.finish`, once the client has it (or has left).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio

from llm_router.decision import Decision, Request
from llm_router.execute.attempts import STOP
from llm_router.execute.chain import Options, _Run
from llm_router.execute.dispatch import Failure, Reply
from llm_router.execute.scrub import scrub
from llm_router.providers.catalogue import credentials


@dataclass
class Opened:
    """What one model gave: a whole `body`, or a `stream` already primed up to its first content."""

    body: Any = None
    stream: Any = None
    tokens_in: int | None = None
    tokens_out: int | None = None


Attempt = Callable[[str, Mapping[str, str]], Awaitable[Opened]]  # (model, its credentials) -> Opened


@dataclass
class Delivery:
    """The answer a walk found, and how to record it once the client has it."""

    model: str
    opened: Opened
    skipped: Mapping[str, str] = field(default_factory=dict)
    failed: tuple[tuple[str, str, str], ...] = ()  # (model, outcome, error) of the attempts before it
    _run: Any = None
    _started: float = 0.0
    _tokens_in: int = 0
    _recorded: bool = False

    def finish(
        self, outcome: str = "ok", tokens_in: int | None = None, tokens_out: int = 0, error: str = ""
    ) -> None:
        """Record the answer's attempt (once): how it ended and the tokens it used, also when the client left
        before the end (outcome `client_closed`, which counts against no breaker)."""
        if self._recorded:
            return
        self._recorded = True
        reply = Reply("", "stop", tokens_in if tokens_in is not None else self._tokens_in, tokens_out)
        error = scrub(error, self._run.secrets) if error else ""
        self._run.record(self.model, outcome, time.perf_counter() - self._started, error, reply)

    @property
    def warnings(self) -> tuple[str, ...]:
        """What went wrong besides the answer (usage.db could not be written, ...)."""
        return tuple(self._run.recorder.warnings) if self._run is not None else ()


async def walk(
    decision: Decision,
    request: Request,
    chain: Sequence[str],
    *,
    env: Mapping[str, str],
    options: Options,
    conn: sqlite3.Connection | None,
    attempt: Attempt,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
) -> Delivery:
    """Attempt the models of `chain` as the walk says (the same model again after a failure retrying can fix,
    within `fallback.retries` and `max_wait_s`) until one opens an answer; raise ProviderError (or
    BudgetExceeded) naming every model's failure when none does."""
    run = _Run(decision, request, chain, env, options, conn, clock)
    tokens_in = request.features.context_tokens or max(1, len(request.prompt) // 4)
    failed: list[tuple[str, str, str]] = []
    while (model := run.walk.next()) is not None:
        started = time.perf_counter()
        try:
            opened = await attempt(model, credentials(model, env))
        except Failure as failure:
            error = scrub(failure.message, run.secrets)
            recorded = run.record(model, failure.outcome, time.perf_counter() - started, error, None)
            failed.append((model, recorded.outcome, recorded.error))
            verdict = run.walk.failed(model, failure.outcome, retry_after_s=failure.retry_after_s)
            if verdict.step == STOP:
                break
            if verdict.wait_s > 0:
                await sleep(verdict.wait_s)
            continue
        run.walk.succeeded(model)
        return Delivery(model, opened, dict(run.walk.skipped), tuple(failed), run, started, tokens_in)
    raise run.failure()
