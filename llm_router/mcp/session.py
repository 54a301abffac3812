"""One MCP server session: its settings, its knob overrides, and the calls into the router every tool shares.

Everything heavy (the policy engine, the store, LiteLLM) is imported inside the calls, so that building the
server and answering `tools/list` stay as light as the MCP SDK itself.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import anyio.to_thread
from mcp.server.mcpserver.exceptions import ToolError

from llm_router.decision import Decision, Request, TraceStep
from llm_router.errors import RouterError

if TYPE_CHECKING:
    from llm_router.router import Settings

T = TypeVar("T")

KNOBS = ("profile", "policy", "enforce", "mode")


def need(module: str, attr: str, what: str) -> Any:
    """`module.attr`, or a ToolError saying that `what` is not available in this installation."""
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        missing = f"{module}.{attr} is missing"
        raise ToolError(f"{what} is not available in this version of llm-router ({missing})") from exc


@contextmanager
def plain_errors() -> Iterator[None]:
    """Turn the router's own errors into MCP error results carrying their plain message."""
    try:
        yield
    except ToolError:
        raise
    except RouterError as exc:
        raise ToolError(str(exc)) from exc
    except ModuleNotFoundError as exc:  # a part of llm-router this tool needs is not installed (yet)
        if not (exc.name or "").startswith("llm_router"):
            raise
        raise ToolError(f"not available in this version of llm-router: module {exc.name} is missing") from exc


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
    """Settings and knob overrides for one server; decisions made here are remembered by id."""

    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: Path = field(default_factory=Path.cwd)
    config: Path | None = None
    knobs: dict[str, str] = field(default_factory=dict)
    decisions: dict[str, Decision] = field(default_factory=dict)

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
        """Keep the decision for this session and in the usage store, where hooks' decisions also live."""
        self.decisions[decision.id] = decision
        try:
            store = importlib.import_module("llm_router.store")
            open_db, save_decision = store.open_db, store.save_decision
        except (ImportError, AttributeError):  # no decision store in this installation: this session knows it
            return
        conn = open_db(self.db_path)
        try:
            save_decision(conn, decision)
        finally:
            conn.close()

    def recall(self, decision_id: str) -> Decision:
        """The decision made earlier under this id, here or by a hook."""
        if decision_id in self.decisions:
            return self.decisions[decision_id]
        load_decision = need("llm_router.store", "load_decision", "the decision store")
        with self.db() as conn:
            stored = load_decision(conn, decision_id)
        if stored is None:
            raise ToolError(f"no decision with id {decision_id!r}: route the prompt again with llm_route")
        return decision_from_dict(stored)

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
        if model is not None:
            models = [check_model(model, self.configured())]
        check_executable(decision, explicit=models is not None)
        run = need("llm_router.router", "run", "executing prompts")
        request = self.request(prompt, event)
        result = run(decision, request, settings=self.settings, models=models, on_text=on_text)
        return answer(result, decision)

    @property
    def db_path(self) -> Path:
        from llm_router import paths

        return paths.home(self.env) / "usage.db"

    @contextmanager
    def db(self) -> Iterator[Any]:
        """A connection to the usage store, closed afterwards."""
        conn = need("llm_router.store", "open_db", "the usage store")(self.db_path)
        try:
            yield conn
        finally:
            conn.close()

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


def answer(result: Any, decision: Decision) -> dict[str, Any]:
    """An Answer from the executor's Result."""
    attempts = result.attempts
    return {
        "text": result.text,
        "model": result.model,
        "decision_id": decision.id,
        "tier": decision.tier,
        "rule": decision.rule,
        "attempts": attempts if isinstance(attempts, int) else len(attempts),
        "cost_usd": float(result.cost_usd or 0.0),
        "baseline_cost_usd": float(result.baseline_cost_usd or 0.0),
    }



def decision_from_dict(data: Mapping[str, Any]) -> Decision:
    """The Decision that `Decision.to_dict()` gave `data` (as the store keeps it)."""
    fields = {name: data[name] for name in Decision.__dataclass_fields__}
    for name in ("chain", "usable", "signals"):
        fields[name] = tuple(fields[name])
    fields["trace"] = tuple(TraceStep(**step) for step in data["trace"])
    return Decision(**fields)
