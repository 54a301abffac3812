"""`proxy_handler`: the routing policy inside LiteLLM Proxy, as the callback a proxy config names::

    litellm_settings:
      callbacks: llm_router.integrations.litellm_proxy.proxy_handler

Every request whose model is `auto`, a tier or a chain name is decided through the one pipeline
(`router.decide`) before the proxy routes it: `data["model"]` becomes the first model of the decided chain the
proxy serves (by `model_name` or `litellm_params.model`), the rest of the chain the request's `fallbacks`, and
the decision's id and rule go into the request metadata (and so the spend logs) and the response headers.
Requests for a model the proxy serves are left alone. The policy is `LLM_ROUTER_CONFIG` layered on the
built-in one (see `proxy_policy`); budgets and health read the proxy's own state (see `proxy_state`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from litellm.integrations.custom_logger import CustomLogger

from llm_router.decision import Decision, Request
from llm_router.errors import RouterError
from llm_router.integrations.proxy_models import Rejection, Served, Target, check_served, target_for
from llm_router.integrations.proxy_policy import PolicySource, log
from llm_router.integrations.proxy_state import (
    Reading,
    budget_readings,
    provider_windows,
    read_state,
    unread_budget_notes,
)
from llm_router.policy.compiled import CompiledPolicy
from llm_router.router import LiveState, decide

__all__ = ["HOST", "ProxyHandler", "ProxyStartError", "prompt_of"]  # and `proxy_handler`, built on first use

HOST = "litellm-proxy"  # `host` as the policy's rules see requests that come through the proxy
ROUTED_CALLS = frozenset(
    {
        "completion",
        "acompletion",
        "text_completion",
        "atext_completion",
        "responses",
        "aresponses",
        "anthropic_messages",
    }
)
MAX_PROMPT_CHARS = 200_000  # what the classifier reads of one prompt; the proxy bounds the request itself
HEADERS = ("decision", "rule", "tier", "model")  # x-llm-router-<name> on every routed response
STATE_TTL_S = 1.0  # the proxy's cooldowns and spend are read at most this often


class ProxyStartError(RouterError):
    """The policy and the proxy's deployments do not fit together: the proxy must not start."""

    exit_code = 3


class ProxyHandler(CustomLogger):
    """Routes a proxy's requests by the policy. `model_list` and `router_settings`, when given (the proxy's
    config at start), are checked against the policy now; at request time the proxy's running router is read
    (or `llm_router`, a `litellm.Router` of a process that embeds one)."""

    def __init__(
        self,
        *,
        model_list: list[Any] | None = None,
        router_settings: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        llm_router: Any = None,
    ):
        super().__init__()
        self.llm_router = llm_router
        self.source = PolicySource(env, cwd)
        self.report: list[str] = []  # what the last load found: where unserved chains go, unread budgets
        self._served_key: tuple[Any, ...] | None = None
        self._served = Served(model_list or ())
        self._providers = provider_windows(router_settings or {})
        self._readings: dict[str, Reading] = {}
        self._state: tuple[float, str, LiveState] | None = None  # (read at, policy revision, state)
        cp = self.source.policy
        if model_list is not None:
            self._check(cp, raise_errors=True)
        self.source.check = lambda new: check_served(new, self._served).errors
        self.source.on_reload = lambda new: self._check(new, raise_errors=False)

    # -- the proxy's hooks -------------------------------------------------------------------------
    async def async_pre_call_hook(
        self, user_api_key_dict: Any, cache: Any, data: dict, call_type: str
    ) -> dict | str | None:
        """Decide a request for `auto`, a tier or a chain name, and point it at the chain's models."""
        model = data.get("model")
        if call_type not in ROUTED_CALLS or not isinstance(model, str):
            return data
        cp = self.source.policy
        llm_router = self.llm_router or _proxy_router()
        served = self._served_now(cp, llm_router)
        if model in served.groups or not (model == "auto" or model in cp.chains):
            return data
        now = time.time()
        state = await self._live_state(cp, llm_router, served, now)
        request = Request(prompt_of(data), host=HOST, session=str(data.get("user") or ""))
        knobs = None if model == "auto" else {"tier": model}
        call = functools.partial(
            decide, request, settings=self.source.settings, knobs=knobs, policy=cp, now=now, state=state
        )
        # The second-stage classifier (classifier.llm) may wait on a model: off the proxy's event loop then.
        decision = await asyncio.to_thread(call) if cp.classifier_llm is not None else call()
        target = target_for(decision, cp, served)
        _record(data, decision, target)
        if isinstance(target, Rejection):
            from fastapi import HTTPException

            raise HTTPException(status_code=target.status, detail={"error": f"llm-router: {target.message}"})
        data["model"] = target.model
        if target.fallbacks:
            data["fallbacks"] = list(target.fallbacks)
        return data

    async def async_post_call_response_headers_hook(
        self,
        data: dict,
        user_api_key_dict: Any,
        response: Any,
        request_headers: dict[str, str] | None = None,
        litellm_call_info: dict[str, object] | None = None,
    ) -> dict[str, str] | None:
        """The decision's id, rule, tier and model as `x-llm-router-*` headers of a routed response."""
        meta = _metadata(data, create=False)
        if "llm_router_decision" not in meta:
            return None
        return {f"x-llm-router-{name}": str(meta.get(f"llm_router_{name}") or "") for name in HEADERS}

    # -- what the proxy serves and knows -------------------------------------------------------------
    def _check(self, cp: CompiledPolicy, *, raise_errors: bool) -> None:
        """Check the policy against the deployments; report what will not go where the policy says."""
        start = check_served(cp, self._served)
        self._readings = budget_readings(cp, self._served, self._providers)
        self.report = [*start.notes, *unread_budget_notes(cp, self._readings)]
        for line in self.report:
            log.warning("llm-router: %s", line)
        for line in start.errors:
            log.error("llm-router: %s", line)
        if start.errors and raise_errors:
            raise ProxyStartError("; ".join(start.errors))

    def _served_now(self, cp: CompiledPolicy, llm_router: Any) -> Served:
        """The router's deployments (rebuilt when it or its model list changes) or, before the proxy has
        a router, those of its config."""
        model_list = getattr(llm_router, "model_list", None)
        if model_list is None:
            return self._served
        key = (id(llm_router), id(model_list), len(model_list))
        if key != self._served_key:
            self._served_key = key
            self._served = Served(model_list)
            self._providers = provider_windows(llm_router)
            self._readings = budget_readings(cp, self._served, self._providers)
            self._state = None
        return self._served

    async def _live_state(self, cp: CompiledPolicy, llm_router: Any, served: Served, now: float) -> LiveState:
        """The proxy's cooldowns and spend, read at most once a second."""
        held = self._state
        tick = time.monotonic()
        if held is not None and held[1] == cp.revision and tick - held[0] < STATE_TTL_S:
            return held[2]
        if held is not None and held[1] != cp.revision:
            self._readings = budget_readings(cp, served, self._providers)
        state = await read_state(cp, llm_router, served, self._readings, now)
        self._state = (tick, cp.revision, state)
        return state


def _proxy_router() -> Any:
    """The proxy's running router, when this process is a proxy that has one."""
    server = sys.modules.get("litellm.proxy.proxy_server")
    return getattr(server, "llm_router", None)


def _metadata(data: dict, *, create: bool = True) -> dict:
    """The request's metadata dict: `litellm_metadata` where the route uses it (Responses, Anthropic)."""
    key = "litellm_metadata" if isinstance(data.get("litellm_metadata"), dict) else "metadata"
    meta = data.get(key)
    if not isinstance(meta, dict):
        if not create:
            return {}
        meta = data[key] = {}
    return meta


def _record(data: dict, decision: Decision, target: Target | Rejection) -> None:
    """The decision's id, rule, tier and model in the request metadata, flat: LiteLLM copies the metadata
    many times per request, so what is added there stays a few strings. Id and rule also go into
    `spend_logs_metadata`, which the proxy keeps with each spend log."""
    meta = _metadata(data)
    meta["llm_router_decision"] = decision.id
    meta["llm_router_rule"] = decision.rule
    meta["llm_router_tier"] = decision.tier
    meta["llm_router_model"] = target.model if isinstance(target, Target) else None
    spend = meta.get("spend_logs_metadata")
    if not isinstance(spend, dict):
        spend = meta["spend_logs_metadata"] = {}
    spend["llm_router_decision"] = decision.id
    spend["llm_router_rule"] = decision.rule


def prompt_of(data: Mapping[str, Any]) -> str:
    """The text of the last user turn that has text, from a chat (`messages`), Responses (`input`), Anthropic
    (`messages`) or text completion (`prompt`) request; tool results carry none, so a tool loop is decided on
    the user's words, as its first request was."""
    text = ""
    messages = data.get("messages")
    items = data.get("input")
    if isinstance(messages, list):
        text = _last_user_text(messages)
    elif isinstance(items, str):
        text = items
    elif isinstance(items, list):
        text = _last_user_text(items)
    elif isinstance(data.get("prompt"), str):
        text = data["prompt"]
    elif isinstance(data.get("prompt"), list) and data["prompt"]:
        text = str(data["prompt"][-1])
    return text[:MAX_PROMPT_CHARS]


def _last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        if not isinstance(message, Mapping) or message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            if content.strip():
                return content
            continue
        if isinstance(content, list):
            parts = [
                str(part.get("text") or "")
                for part in content
                if isinstance(part, Mapping) and part.get("type") in ("text", "input_text")
            ]
            joined = "\n".join(p for p in parts if p)
            if joined.strip():
                return joined
    return ""


def _for_this_proxy() -> ProxyHandler:
    """The handler of a proxy process: its config's deployments and router settings are checked now, so a
    policy that names nothing the proxy serves stops the proxy from starting."""
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    server = sys.modules.get("litellm.proxy.proxy_server")
    config: Mapping[str, Any] = {}
    if server is not None and hasattr(server, "proxy_config"):
        config = server.proxy_config.get_config_state()
    model_list = config.get("model_list")
    router_settings = config.get("router_settings") or {}
    return ProxyHandler(
        model_list=list(model_list) if isinstance(model_list, list) else None,
        router_settings=router_settings if isinstance(router_settings, Mapping) else {},
    )


_handler: ProxyHandler | None = None


def __getattr__(name: str) -> Any:
    """`proxy_handler` is built when the proxy first asks for it (its config is loaded by then), not when
    this module is imported."""
    global _handler
    if name != "proxy_handler":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _handler is None:
        _handler = _for_this_proxy()
    return _handler
