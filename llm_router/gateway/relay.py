"""Handing a routed model's stream to the client: the events primed before the first byte, then the rest as
they come; an error after the first byte becomes an error event of the API; the attempt is recorded when the
stream ends, also when the client leaves (the provider call is closed then)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from llm_router.execute.awalk import Delivery, Opened
from llm_router.execute.dispatch import Failure
from llm_router.gateway.http import routing_headers
from llm_router.gateway.litellm_calls import classify_failure, litellm_ready

if TYPE_CHECKING:
    from llm_router.gateway.plan import Plan
    from llm_router.gateway.service import Gateway


class Events(Protocol):
    """A primed stream of SSE bytes that counts its tokens."""

    tokens_in: int | None

    def __aiter__(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...

    def tokens_so_far(self) -> int: ...


class WholeResponse(JSONResponse):
    """A whole answer, whose attempt is recorded once it has been sent (or the client left): the usage row
    is written off the request's path, never lost."""

    def __init__(self, delivery: Delivery, headers: Mapping[str, str]):
        super().__init__(delivery.opened.body, headers=dict(headers))
        self.delivery = delivery

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        outcome = "client_closed"
        try:
            await super().__call__(scope, receive, send)
            outcome = "ok"
        finally:
            opened = self.delivery.opened
            self.delivery.finish(outcome, opened.tokens_in, opened.tokens_out or 0)


def stream_response(
    delivery: Delivery,
    headers: Mapping[str, str],
    error_event: Callable[[str], bytes],
    done: bytes = b"",
) -> StreamingResponse:
    """The client's response for a streamed delivery. `error_event(message)` is the API's error event;
    `done` what ends the stream after the last event (OpenAI's `[DONE]`)."""
    events: Events = delivery.opened.stream

    async def relay() -> AsyncIterator[bytes]:
        outcome, error = "client_closed", ""
        try:
            async for chunk in events:
                yield chunk
            outcome = "ok"
            if done:
                yield done
        except Exception as exc:  # noqa: BLE001 - after the first byte an error can only be told in-stream
            failure = classify_failure(exc)
            outcome, error = failure.outcome, failure.message
            yield error_event(f"{delivery.model} failed mid-answer: {error}")
        finally:
            await events.aclose()
            delivery.finish(outcome, events.tokens_in, events.tokens_so_far(), error)

    return StreamingResponse(relay(), media_type="text/event-stream", headers=dict(headers))


class ChunkEvents:
    """A LiteLLM stream of pydantic chunks (chat completion chunks, Responses events) as SSE bytes, primed up
    to its first content. The API module says what counts as content, how a chunk is written, and reads the
    usage."""

    def __init__(
        self,
        source: Any,
        *,
        write: Callable[[Any], bytes | None],
        is_content: Callable[[Any], bool],
        usage: Callable[[Any], tuple[int | None, int | None]],
        chars: Callable[[Any], int],
    ) -> None:
        self._source = source
        self._iter = source.__aiter__()
        self._write, self._is_content, self._usage, self._chars = write, is_content, usage, chars
        self._buffer: list[bytes] = []
        self.tokens_in: int | None = None
        self.tokens_out: int | None = None
        self.chars = 0
        self.content = False
        self.ended = False

    async def prime(self) -> None:
        """Read chunks until the first one with content (or the end), holding them back."""
        while not self.content:
            try:
                chunk = await self._iter.__anext__()
            except StopAsyncIteration:
                self.ended = True
                return
            self.content = self._is_content(chunk)
            self._take(chunk)

    def _take(self, chunk: Any) -> None:
        tokens_in, tokens_out = self._usage(chunk)
        self.tokens_in = tokens_in or self.tokens_in
        self.tokens_out = tokens_out or self.tokens_out
        self.chars += self._chars(chunk)
        out = self._write(chunk)
        if out is not None:
            self._buffer.append(out)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            for out in self._buffer:
                yield out
            self._buffer.clear()
            if self.ended:
                return
            try:
                chunk = await self._iter.__anext__()
            except StopAsyncIteration:
                self.ended = True
                continue
            self._take(chunk)

    async def aclose(self) -> None:
        close = getattr(self._source, "aclose", None)
        if close is not None:
            await close()

    def tokens_so_far(self) -> int:
        return self.tokens_out if self.tokens_out else self.chars // 4


async def primed(events: Any, texts: Sequence[str]) -> Opened:
    """A streamed answer opened for delivery: its first events are read before any byte reaches the client,
    so a failure or an empty answer there still falls back along the chain (`texts`: the request's own
    texts, withheld from the failure's message)."""
    try:
        await events.prime()
    except Exception as exc:  # noqa: BLE001 - before the first byte: fall back
        await events.aclose()
        raise classify_failure(exc, texts) from None
    if not events.content:
        await events.aclose()
        raise Failure("empty", "quality guard: empty answer")
    return Opened(stream=events, tokens_in=events.tokens_in)


async def deliver(
    gw: Gateway,
    plan: Plan,
    shape: Any,
    attempt: Any,
    stream: bool,
    error_event: Callable[[str], bytes],
    done: bytes = b"",
) -> Response:
    """Walk the plan's models with `attempt`, keep the model for the rest of a new turn, and answer the
    client: whole, or streamed (`error_event` and `done` as `stream_response` takes them)."""
    litellm_ready()
    delivery = await gw.run(plan.decision, plan.request, attempt, plan.models)
    remember(gw, plan, shape, delivery.model)
    headers = routing_headers(delivery.model, plan.decision.id, plan.decision.rule)
    if not stream:
        return WholeResponse(delivery, headers)
    return stream_response(delivery, headers, error_event, done)


def remember(gw: Gateway, plan: Plan, shape: Any, model: str) -> None:
    """A new turn keeps `model` until its next user turn (a turn that continues was kept already)."""
    if not plan.kept:
        gw.turns.keep(shape.conversation, shape.turn, plan.decision, model)
