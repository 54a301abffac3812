"""The one pipeline every entry point calls: live state -> Context -> Decision -> (when asked) execution.

The CLI, every hook and every MCP tool go through `decide()` and `run()`; none re-classifies or re-decides
on its own. This module does the I/O (environment, files, the usage store, the clock) so that the classifier
and the policy evaluator it calls can stay pure.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llm_router import paths
from llm_router.decision import BudgetState, Context, Decision, Request

if TYPE_CHECKING:
    from llm_router.policy.compiled import CompiledPolicy


@dataclass(frozen=True)
class Settings:
    """Where a call runs: its environment, working directory and an explicit `--config`."""

    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: Path = field(default_factory=Path.cwd)
    config: Path | None = None

    @property
    def home(self) -> Path:
        return paths.home(self.env)


_compiled: dict[tuple[Any, ...], CompiledPolicy] = {}


def load(settings: Settings | None = None) -> CompiledPolicy:
    """The compiled policy for these settings (memoised per process; the loader caches on disk)."""
    from llm_router.policy.compile import compile_policy
    from llm_router.policy.load import load_policy

    settings = settings or Settings()
    loaded = load_policy(env=settings.env, cwd=settings.cwd, config=settings.config, home=settings.home)
    key = (loaded.revision,)
    cp = _compiled.get(key)
    if cp is None:
        cp = _compiled[key] = compile_policy(loaded)
    return cp


def live_state(cp: CompiledPolicy, settings: Settings, now: float) -> tuple[
    frozenset[str], dict[str, BudgetState], frozenset[str]
]:
    """Configured providers, budget states and open breakers, read from the environment and usage.db."""
    from llm_router.providers.catalogue import configured

    providers = configured(settings.env)
    budgets = {b.id: BudgetState(b.id, b.period, b.limit_usd, 0.0, b.provider, b.model) for b in cp.budgets}
    open_breakers: frozenset[str] = frozenset()
    db_path = settings.home / "usage.db"
    if db_path.exists():
        try:
            from llm_router.store import state as store_state
        except ImportError:  # the store is optional until it exists
            return providers, budgets, open_breakers
        budgets, open_breakers = store_state.read(db_path, cp, now)
    return providers, budgets, open_breakers


def decide(
    request: Request,
    *,
    settings: Settings | None = None,
    knobs: Mapping[str, str] | None = None,
    policy: CompiledPolicy | None = None,
    now: float | None = None,
) -> Decision:
    """Classify the prompt and evaluate the policy against the live state."""
    from llm_router.policy.evaluate import evaluate

    settings = settings or Settings()
    cp = policy or load(settings)
    now = time.time() if now is None else now
    providers, budgets, open_breakers = live_state(cp, settings, now)
    features = cp.classifier.classify(request.prompt)
    ctx = Context(
        request=request,
        features=features,
        now=now,
        configured=providers,
        budgets=budgets,
        open_breakers=open_breakers,
        knobs=dict(knobs or {}),
    )
    return evaluate(cp, ctx)
