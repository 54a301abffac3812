"""The state of one running gateway: its settings, the compiled policy kept warm, the token, turn memory and
the HTTP client for passthrough. Every API module decides and executes through it, and it only through the
one pipeline (`router.decide`, `router.arun`)."""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from llm_router import router
from llm_router.decision import Decision, Request
from llm_router.gateway.config import GatewayConfig, gateway_config
from llm_router.gateway.turns import TurnMemory

if TYPE_CHECKING:
    import httpx

    from llm_router.execute.awalk import Attempt, Delivery
    from llm_router.policy.compiled import CompiledPolicy

log = logging.getLogger("llm_router.gateway")
RELOAD_S = 1.0  # how often the policy files are checked for changes


class Gateway:
    """One gateway process's state. `token` guards the internal endpoints (and every endpoint when
    `token_everywhere`: a non-loopback bind, or a token the user gave)."""

    def __init__(
        self,
        settings: router.Settings,
        *,
        token: str,
        token_everywhere: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.settings = settings
        self.token = token
        self.token_everywhere = token_everywhere
        self.host, self.port = host, port
        self.started = time.time()
        self._policy: CompiledPolicy | None = None
        self._checked = 0.0
        self._config: tuple[str, GatewayConfig] | None = None
        self.policy_problem: str | None = None
        self.turns = TurnMemory()
        self.in_flight = 0  # requests being answered (their usage is recorded by the time they leave)
        self._http: httpx.AsyncClient | None = None

    # -- policy ---------------------------------------------------------------------------------------
    def policy(self) -> CompiledPolicy:
        """The compiled policy, checked for changes at most once a second. A policy that stops loading keeps
        the last good one in use (and says so on /healthz)."""
        now = time.monotonic()
        if self._policy is None or now - self._checked >= RELOAD_S:
            self._checked = now
            try:
                self._policy = router.load(self.settings)
                self.policy_problem = None
            except Exception as exc:  # noqa: BLE001 - a broken edit must not take the server down
                if self._policy is None:
                    raise
                if self.policy_problem is None:
                    log.warning(
                        "llm-router gateway: the policy no longer loads; keeping the last good one: %s", exc
                    )
                self.policy_problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return self._policy

    def config(self) -> GatewayConfig:
        """The `gateway:` section of the current policy, under the environment."""
        cp = self.policy()
        if self._config is None or self._config[0] != cp.revision:
            self._config = (cp.revision, gateway_config(cp.gateway, self.settings.env))
            self.turns.ttl_s = self._config[1].turn_ttl_s
        return self._config[1]

    # -- the pipeline ---------------------------------------------------------------------------------
    def decide(self, request: Request, knobs: Mapping[str, str] | None = None) -> Decision:
        """The one pipeline's decision for a request."""
        return router.decide(request, settings=self.settings, knobs=knobs, policy=self.policy())

    async def run(
        self, decision: Decision, request: Request, attempt: Attempt, models: Sequence[str] | None = None
    ) -> Delivery:
        """Execute a whole request through the one pipeline's async run."""
        return await router.arun(
            decision, request, attempt, settings=self.settings, models=models, policy=self.policy()
        )

    def environment(self) -> dict[str, str]:
        """The variables providers are configured from (environment, .env, config.yaml)."""
        from llm_router.providers.catalogue import environment

        return environment(self.settings.env, cwd=self.settings.cwd, home=self.settings.home)

    # -- access ---------------------------------------------------------------------------------------
    def token_ok(self, headers: Mapping[str, str]) -> bool:
        """Whether the request carries the gateway's token (x-llm-router-token, a Bearer, or x-api-key)."""
        return self.token_in(headers) is not None

    def token_in(self, headers: Mapping[str, str]) -> str | None:
        """The header that carries the gateway's token, or None."""
        for name in ("x-llm-router-token", "authorization", "x-api-key"):
            value = headers.get(name)
            if not value:
                continue
            if name == "authorization":
                scheme, _, value = value.partition(" ")
                if scheme.lower() != "bearer":
                    continue
            if hmac.compare_digest(value.strip().encode(), self.token.encode()):
                return name
        return None

    # -- passthrough ----------------------------------------------------------------------------------
    def http(self) -> httpx.AsyncClient:
        """The client passthrough requests go out on (one per process, keeping connections alive)."""
        if self._http is None:
            import httpx

            self._http = httpx.AsyncClient(
                timeout=httpx.Timeout(connect=10.0, read=600.0, write=60.0, pool=30.0),
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
                follow_redirects=False,
            )
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def summary(self) -> dict[str, Any]:
        """What /healthz tells: ready, the version, the policy revision and any problem with it."""
        from llm_router import __version__

        cp = self.policy()
        import os

        return {
            "status": "ok",
            "pid": os.getpid(),
            "version": __version__,
            "policy_revision": cp.revision,
            "policy_problem": self.policy_problem,
            "mode": cp.mode,
            "started": datetime.fromtimestamp(self.started, UTC).isoformat(timespec="seconds"),
            "uptime_s": round(time.time() - self.started, 1),
        }
