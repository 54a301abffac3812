"""Passthrough: an Anthropic request sent on unchanged to the Anthropic upstream with the caller's own
headers (x-api-key or Authorization, anthropic-version, anthropic-beta), so that a Claude login keeps working
for the turns that stay on Claude. The body goes byte for byte; the answer comes back as it arrives, and its
usage is recorded on the way."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from starlette.requests import Request as HttpRequest
from starlette.responses import Response, StreamingResponse

from llm_router import jsonio
from llm_router.gateway.errors import ApiError
from llm_router.gateway.sse import SseParser

if TYPE_CHECKING:
    from llm_router.decision import Decision, Request
    from llm_router.gateway.service import Gateway

log = logging.getLogger("llm_router.gateway")

# Hop-by-hop headers, what httpx sets itself, and the gateway's own token never go upstream.
_DROP_OUT = frozenset(
    {
        "host",
        "content-length",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "upgrade",
        "proxy-authorization",
        "proxy-connection",
        "x-llm-router-token",
        "accept-encoding",
    }
)
_DROP_BACK = frozenset(
    {"content-length", "connection", "keep-alive", "transfer-encoding", "content-encoding"}
)
STATUS_OUTCOMES = {
    401: "auth",
    403: "forbidden",
    404: "not_found",
    413: "bad_request",
    429: "rate_limited",
    400: "bad_request",
    529: "unavailable",
    503: "unavailable",
}


async def forward(
    gw: Gateway,
    http: HttpRequest,
    raw: bytes,
    decision: Decision,
    request: Request,
    *,
    token_header: str | None,
    headers: dict[str, str],
) -> Response:
    """Send `raw` to the upstream at the same path, and stream the answer back as it comes."""
    import httpx

    upstream = gw.config().anthropic_upstream
    url = upstream + http.url.path + (f"?{http.url.query}" if http.url.query else "")
    out = {k: v for k, v in http.headers.items() if k.lower() not in _DROP_OUT and k.lower() != token_header}
    out["accept-encoding"] = "identity"  # read the usage on the way; the loopback leg gains nothing from gzip
    client = gw.http()
    started = time.perf_counter()
    try:
        response = await client.send(client.build_request("POST", url, content=raw, headers=out), stream=True)
    except httpx.HTTPError as exc:
        raise ApiError(
            502, f"the Anthropic upstream {upstream} cannot be reached: {exc or type(exc).__name__}"
        ) from None
    back = {k: v for k, v in response.headers.items() if k.lower() not in _DROP_BACK}
    back.update(headers)
    meter = _Meter(response.headers.get("content-type", ""))

    async def body() -> AsyncIterator[bytes]:
        outcome = "client_closed"
        try:
            async for chunk in response.aiter_raw():
                meter.feed(chunk)
                yield chunk
            outcome = (
                "ok"
                if response.status_code < 400
                else STATUS_OUTCOMES.get(response.status_code, "server_error")
            )
        finally:
            await response.aclose()
            record(gw, decision, request, meter, outcome, time.perf_counter() - started)

    return StreamingResponse(body(), status_code=response.status_code, headers=back)


class _Meter:
    """Reads the usage of an answer (a JSON body or an SSE stream) as it passes."""

    def __init__(self, content_type: str):
        self.stream = "event-stream" in content_type
        self.parser = SseParser()
        self.raw = bytearray()
        self.tokens_in = 0
        self.tokens_out = 0
        self.model = ""

    def feed(self, chunk: bytes) -> None:
        if not self.stream:
            if len(self.raw) < 4 * 2**20:
                self.raw += chunk
            return
        for _, data in self.parser.feed(chunk):
            try:
                self._usage(jsonio.loads(data))
            except ValueError:
                continue

    def done(self) -> None:
        if not self.stream and self.raw:
            with contextlib.suppress(ValueError):
                self._usage(jsonio.loads(bytes(self.raw)))

    def _usage(self, payload: Any) -> None:
        if not isinstance(payload, dict):
            return
        message = payload.get("message") if payload.get("type") == "message_start" else payload
        usage = (message or {}).get("usage") or payload.get("usage") or {}
        if isinstance(message, dict) and message.get("model"):
            self.model = str(message["model"])
        self.tokens_in = max(
            self.tokens_in,
            int(usage.get("input_tokens") or 0)
            + int(usage.get("cache_read_input_tokens") or 0)
            + int(usage.get("cache_creation_input_tokens") or 0),
        )
        self.tokens_out = max(self.tokens_out, int(usage.get("output_tokens") or 0))


def record(
    gw: Gateway, decision: Decision, request: Request, meter: _Meter, outcome: str, latency: float
) -> None:
    """One usage row for a passthrough answer (never raises: the answer is already the client's)."""
    from llm_router.execute.options import baseline_model
    from llm_router.providers import prices
    from llm_router.providers.catalogue import user_config
    from llm_router.store import shared, usage

    meter.done()
    cp = gw.policy()
    model = "anthropic/" + (request.features.requested_model or meter.model or "unknown")
    baseline = baseline_model(cp)
    row = usage.UsageRow(
        time=time.time(),
        model=model,
        provider="anthropic",
        outcome=outcome,
        tokens_in=meter.tokens_in,
        tokens_out=meter.tokens_out,
        cost_usd=prices.cost(model, meter.tokens_in, meter.tokens_out, cp.models),
        baseline_model=baseline or "",
        baseline_cost_usd=prices.cost(baseline, meter.tokens_in, meter.tokens_out, cp.models)
        if baseline and outcome == "ok"
        else 0.0,
        latency_s=latency,
        session=request.session,
        host=request.host,
        prompt_sha256=hashlib.sha256(request.prompt.encode()).hexdigest(),
        prompt_chars=len(request.prompt),
        prompt=request.prompt if user_config(gw.settings.home).store_prompts else None,
        rule=decision.rule,
        policy_revision=decision.policy_revision,
        decision_id=decision.id,
        user_agent=request.client[:200],
    )
    try:
        usage.record(shared(gw.settings.home / "usage.db"), row)
    except sqlite3.Error as exc:
        log.warning("llm-router gateway: usage of a passthrough answer not recorded: %s", exc)
