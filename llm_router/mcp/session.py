"""One MCP server session: its settings, its knob overrides, and the calls into the router every tool shares.

Everything heavy (the policy engine, the store, LiteLLM) is imported inside the calls, so that building the
server and answering `tools/list` stay as light as the MCP SDK itself.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import anyio.to_thread
from mcp.server.mcpserver.exceptions import ToolError

from llm_router.decision import Decision, Request
from llm_router.errors import RouterError

if TYPE_CHECKING:
    from llm_router.execute import Result
    from llm_router.router import Settings

T = TypeVar("T")

KNOBS = ("profile", "policy", "enforce", "mode")


@contextmanager
def plain_errors() -> Iterator[None]:
    """Turn the router's own errors into MCP error results carrying their plain message."""
    try:
        yield
    except ToolError:
        raise
    except RouterError as exc:
        raise ToolError(str(exc)) from exc


async def blocking(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking call on a worker thread; a cancelled call (the client went away) is abandoned."""
    with plain_errors():
        return await anyio.to_thread.run_sync(partial(fn, *args, **kwargs), abandon_on_cancel=True)


def check_prompt(prompt: str) -> str:
    """The prompt, or a ToolError when it is blank."""
    if not prompt.strip():
        raise ToolError("prompt is empty")
    return prompt


@dataclass
class McpSession:
    """Settings and knob overrides for one server."""

    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: Path = field(default_factory=Path.cwd)
    config: Path | None = None
    knobs: dict[str, str] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        from llm_router.router import Settings

        return Settings(env=self.env, cwd=self.cwd, config=self.config)

    def request(self, prompt: str, event: str = "route") -> Request:
        """A Request from this MCP session."""
        return Request(prompt=check_prompt(prompt), host="mcp", event=event, cwd=str(self.cwd))

    def decide(self, prompt: str, event: str = "route") -> Decision:
        """Decide with this session's knobs, and remember the decision so it can be executed by id."""
        from llm_router import router

        decision = router.decide(self.request(prompt, event), settings=self.settings, knobs=self.knobs)
        self.remember(decision)
        return decision

    def classify(self, prompt: str) -> dict[str, Any]:
        """The policy's classifier's features for a prompt; nothing is decided or remembered."""
        from llm_router import router

        features = router.load(self.settings).classifier.classify(check_prompt(prompt))
        return features.to_dict()

    def remember(self, decision: Decision) -> None:
        """Keep the decision in the usage store (where hooks keep theirs) for llm_query to execute by id,
        without the prompt's text unless config.yaml says `store_prompts: true`. A store that cannot be
        written costs only that: the decision stands, with a warning on stderr."""
        from llm_router.errors import StoreError
        from llm_router.providers.catalogue import user_config
        from llm_router.store import save_decision

        keep = user_config(self.settings.home).store_prompts
        try:
            with self.db() as conn:
                save_decision(conn, decision, keep_prompts=keep)
        except StoreError as exc:
            print(f"llm-router: warning: {exc} (decision {decision.id} was not kept)", file=sys.stderr)

    def recall(self, decision_id: str) -> Decision:
        """The decision made earlier under this id, by this server or by a hook."""
        from llm_router.store import load_decision

        with self.db() as conn:
            stored = load_decision(conn, decision_id)
        if stored is None:
            raise ToolError(f"no decision with id {decision_id!r}: route the prompt again with llm_route")
        return Decision.from_dict(stored)

    def execute(
        self,
        decision: Decision,
        prompt: str,
        *,
        event: str = "route",
        model: str | None = None,
        models: list[str] | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> dict[str, Any]:
        """Carry out a decision (on `model` when one is named) and return the Answer."""
        from llm_router import router

        if model is not None:
            models = [check_model(model, self.configured())]
        check_executable(decision, explicit=models is not None)
        request = self.request(prompt, event)
        result = router.run(decision, request, settings=self.settings, models=models, on_text=on_text)
        return answer(result, decision)

    @contextmanager
    def db(self) -> Iterator[sqlite3.Connection]:
        """This thread's kept-open connection to the usage store (closing a WAL database checkpoints it).
        A store that fails, here or in the block, raises StoreError naming the file and its fix."""
        from llm_router.store import db_path
        from llm_router.store.db import shared
        from llm_router.store.repair import reading

        path = db_path(self.env)
        with reading(path):
            yield shared(path)

    def configured(self) -> frozenset[str]:
        """The providers configured for this session (environment, `.env` in its folder, config.yaml)."""
        from llm_router.providers.catalogue import configured

        return configured(self.env, cwd=self.cwd, home=self.settings.home)

    def set_knobs(self, values: Mapping[str, str | None]) -> None:
        """Override knobs for the rest of this session; a knob set to None returns to the policy's value."""
        for knob, value in values.items():
            if knob not in KNOBS:
                raise ToolError(f"unknown knob {knob!r}: expected one of {', '.join(KNOBS)}")
            if value is None:
                continue
            self.knobs[knob] = value


def check_model(model: str, ready: frozenset[str]) -> str:
    """The model id, or a ToolError when its provider is unknown or not configured here."""
    from llm_router.providers.catalogue import PROVIDERS, how_to_configure, provider_of

    provider = provider_of(model)
    if "/" not in model or provider not in PROVIDERS:
        known = ", ".join(sorted(PROVIDERS))
        raise ToolError(f"unknown model {model!r}: expected provider/name with a provider among {known}")
    if provider not in ready:
        raise ToolError(f"no provider configured for {model!r}: {how_to_configure(provider)}")
    return model


def check_executable(decision: Decision, explicit: bool) -> None:
    """A ToolError when the policy leaves the prompt to the host's own model and no model was named.

    Blocked decisions and chains with no usable model are refused by `router.run` itself.
    """
    if decision.action == "passthrough" and not explicit:
        raise ToolError(
            f"not executed: policy rule {decision.rule} leaves this prompt to the host's own model"
            f" ({decision.reason}); name a model to run it anyway"
        )


def answer(result: Result, decision: Decision) -> dict[str, Any]:
    """An Answer from the executor's Result."""
    return {
        "text": result.text,
        "model": result.model,
        "decision_id": decision.id,
        "tier": decision.tier,
        "rule": decision.rule,
        "attempts": len(result.attempts),
        "cost_usd": round(result.cost_usd, 8),
        "baseline_cost_usd": round(result.baseline_cost_usd, 8),
        "restarts": [r.to_event() for r in result.restarts],
        "warnings": list(result.warnings),
    }
