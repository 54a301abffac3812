"""Errors in each API's own shape, so that the official SDKs raise their usual exceptions with our message.

Anthropic: `{"type": "error", "error": {"type": ..., "message": ...}}`; OpenAI: `{"error": {"message", "type",
"param", "code"}}`. `ApiError` carries a status and a message and is rendered by the API that raised it.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

ANTHROPIC_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "overloaded_error",
    529: "overloaded_error",
}
OPENAI_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "forbidden"),
    404: ("invalid_request_error", "model_not_found"),
    413: ("invalid_request_error", "request_too_large"),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    500: ("server_error", None),
    502: ("server_error", "upstream_error"),
    503: ("server_error", "unavailable"),
}


class ApiError(Exception):
    """A request the gateway answers with an error: HTTP `status` and a message for the client."""

    def __init__(self, status: int, message: str, *, param: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param


def anthropic_body(status: int, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": ANTHROPIC_TYPES.get(status, "api_error"), "message": message}}


def openai_body(status: int, message: str, param: str | None = None) -> dict[str, Any]:
    kind, code = OPENAI_TYPES.get(status, ("server_error", None))
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def error_response(api: str, exc: ApiError, headers: dict[str, str] | None = None) -> JSONResponse:
    """`exc` as a response of `api` (anthropic | openai | internal)."""
    if api == "anthropic":
        body = anthropic_body(exc.status, exc.message)
    else:
        body = openai_body(exc.status, exc.message, exc.param)
    return JSONResponse(body, status_code=exc.status, headers=headers)
