"""The gateway's Starlette application: routes, the access rules every request passes (token, Host and
Origin checks), errors in each API's own shape, and the MCP server mounted at /mcp."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from llm_router.errors import BudgetExceeded, PolicyError, ProviderError, RouterError
from llm_router.gateway.errors import ApiError, error_response
from llm_router.gateway.service import Gateway

log = logging.getLogger("llm_router.gateway")
Handler = Callable[[Gateway, HttpRequest], Awaitable[Response]]
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


def api_of(path: str) -> str:
    """Which API's error shape a path answers in."""
    return "anthropic" if path.startswith("/v1/messages") else "openai"


def endpoint(gw: Gateway, handler: Handler) -> Callable[[HttpRequest], Awaitable[Response]]:
    """A route for `handler`, turning what it raises into an error of its API's shape."""

    async def route(http: HttpRequest) -> Response:
        api = api_of(http.url.path)
        try:
            return await handler(gw, http)
        except ApiError as exc:
            return error_response(api, exc)
        except BudgetExceeded as exc:
            return error_response(api, ApiError(429, f"llm-router: {exc}"))
        except ProviderError as exc:
            status = 429 if _all_rate_limited(str(exc)) else 502
            return error_response(api, ApiError(status, f"llm-router: {exc}"))
        except PolicyError as exc:
            return error_response(api, ApiError(500, f"llm-router: the policy does not load: {exc}"))
        except RouterError as exc:
            return error_response(api, ApiError(400, f"llm-router: {exc}"))

    return route


def quiet_logs() -> None:
    """Warnings and errors only, on stderr: the libraries a gateway loads like to log every request."""
    root = logging.getLogger()
    root.setLevel(logging.WARNING)
    for name in ("httpx", "mcp", "LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "uvicorn.error"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _all_rate_limited(message: str) -> bool:
    lines = [line.strip() for line in message.splitlines()[1:] if line.strip() and "not tried" not in line]
    return bool(lines) and all(": rate_limited" in line for line in lines)


class Guard:
    """Every request's access rules, before any route: a browser page (an Origin header) gets nothing, a
    Host other than loopback on a loopback bind is refused (DNS rebinding), the internal endpoints need the
    token, and every endpoint does when the gateway was given one or listens beyond loopback."""

    def __init__(self, app: ASGIApp, gw: Gateway):
        self.app = app
        self.gw = gw

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        path = scope["path"]
        problem = self._problem(path, headers)
        if problem is None:
            self.gw.in_flight += 1
            try:
                await self.app(scope, receive, send)
            finally:
                self.gw.in_flight -= 1
            return
        status, message = problem
        api = "internal" if path.startswith("/internal") else api_of(path)
        await error_response(api, ApiError(status, message))(scope, receive, send)

    def _problem(self, path: str, headers: dict[str, str]) -> tuple[int, str] | None:
        if "origin" in headers and not path.startswith("/mcp"):
            return 403, "requests from web pages are not accepted (the request has an Origin header)"
        if self.gw.host in LOOPBACK_HOSTS:
            host = headers.get("host", "")
            name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
            if name not in LOOPBACK_HOSTS:
                return 403, f"the Host header {host!r} is not this machine's loopback address"
        if (self.gw.token_everywhere or path.startswith("/internal")) and not self.gw.token_ok(headers):
            where = "this endpoint" if path.startswith("/internal") else "this gateway"
            return 401, (
                f"{where} needs the gateway's token: send it as x-llm-router-token, or as the API key "
                "(Authorization: Bearer, x-api-key)"
            )
        return None


async def healthz(gw: Gateway, http: HttpRequest) -> Response:
    return JSONResponse(gw.summary())


def build_app(
    gw: Gateway,
    *,
    mcp: bool = True,
    warm: bool = True,
    on_ready: Callable[[], None] | None = None,
    on_stop: Callable[[], None] | None = None,
) -> ASGIApp:
    """The whole application for `gw`. `mcp`: mount the MCP server at /mcp; `warm`: warm LiteLLM up before
    the first request (uvicorn accepts requests only once the app has started); `on_ready` runs then (the
    CLI writes serve.json), `on_stop` when it stops."""
    from llm_router.gateway import anthropic_api, internal, models, openai_chat, openai_responses

    routes: list[Any] = [
        Route(path, endpoint(gw, handler), methods=[method])
        for path, handler, method in (
            ("/healthz", healthz, "GET"),
            ("/v1/messages", anthropic_api.messages, "POST"),
            ("/v1/messages/count_tokens", anthropic_api.count_tokens, "POST"),
            ("/v1/chat/completions", openai_chat.chat_completions, "POST"),
            ("/v1/responses", openai_responses.responses, "POST"),
            ("/v1/models", models.models, "GET"),
            ("/internal/decide", internal.decide, "POST"),
            ("/internal/query", internal.query, "POST"),
            ("/internal/hook", internal.hook, "POST"),
        )
    ]
    session_manager: Any = None
    if mcp:
        mcp_routes, session_manager = _mcp(gw)
        routes += mcp_routes

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        gw.policy()  # a policy that does not load stops the start, with its problems
        if warm:
            from llm_router.gateway.litellm_calls import warm_up

            await warm_up()
        async with contextlib.AsyncExitStack() as stack:
            if session_manager is not None:
                await stack.enter_async_context(session_manager.run())
            if on_ready is not None:
                on_ready()
            try:
                yield
            finally:
                if on_stop is not None:
                    on_stop()
                await gw.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    return Guard(app, gw)


def _mcp(gw: Gateway) -> tuple[list[Any], Any]:
    """The MCP server's streamable HTTP route and its session manager (run by the app's lifespan)."""
    from mcp.server.streamable_http_manager import StreamableHTTPASGIApp

    from llm_router.mcp.server import build_server
    from llm_router.mcp.session import McpSession

    server = build_server(McpSession(env=dict(gw.settings.env), config=gw.settings.config))
    quiet_logs()  # the MCP SDK turns INFO logging on for the whole process
    mcp_app = server.streamable_http_app(streamable_http_path="/mcp", host=gw.host)
    routes = [r for r in mcp_app.routes if getattr(r, "path", "") == "/mcp"]
    assert routes and isinstance(getattr(routes[0], "endpoint", None), StreamableHTTPASGIApp)
    return routes, server.session_manager
