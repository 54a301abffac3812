"""What every API handler shares: reading a bounded body, parsing it as a JSON object, the headers that say
what happened, and the caller's own credentials."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from llm_router import jsonio
from llm_router.gateway.errors import ApiError


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, or a 413 as soon as it is known to be larger than `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, too_large(int(declared), limit))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, too_large(size, limit))
        chunks.append(chunk)
    return b"".join(chunks)


def too_large(size: int, limit: int) -> str:
    return (
        f"the request body ({size:,} bytes or more) is larger than the gateway's limit of {limit:,} bytes "
        "(gateway.max_body_mb in the policy)"
    )


def parse_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, or a 400 saying what is wrong with it."""
    try:
        body = jsonio.loads(raw)
    except ValueError as exc:  # not UTF-8, not JSON, or nested deeper than the parser goes
        raise ApiError(400, f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ApiError(400, f"the body must be a JSON object, not {type(body).__name__}")
    return body


def require(body: Mapping[str, Any], name: str, kind: type | tuple[type, ...], what: str) -> Any:
    """`body[name]`, which must be present and of `kind` (a bool is not a number)."""
    if name not in body or body[name] is None:
        raise ApiError(400, f"{name}: field required", param=name)
    return check(body, name, kind, what)


def check(body: Mapping[str, Any], name: str, kind: type | tuple[type, ...], what: str) -> Any:
    """`body.get(name)`, which must be of `kind` when present."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise ApiError(400, f"{name}: expected {what}, got a boolean", param=name)
    if not isinstance(value, kind):
        raise ApiError(400, f"{name}: expected {what}, got {_type(value)}", param=name)
    return value


def _type(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


def routing_headers(model: str, decision_id: str, rule: str) -> dict[str, str]:
    """The headers that say which model answered, under which decision and rule."""
    return {
        "x-llm-router-model": model,
        "x-llm-router-decision": decision_id,
        "x-llm-router-rule": rule,
    }


def caller_credentials(headers: Mapping[str, str], gateway_token_header: str | None) -> bool:
    """Whether the caller sent Anthropic credentials of its own (not the gateway's token)."""
    return any(headers.get(name) and name != gateway_token_header for name in ("x-api-key", "authorization"))
