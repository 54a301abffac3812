"""Helpers for tests of llm-router and of team policy repos: a Decision without a policy, and how the
policy as layered decides a prompt."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from llm_router.decision import Decision, Request


def make_decision(chain: Sequence[str], **fields: Any) -> Decision:
    """A routing Decision over `chain` (every model usable), for tests that execute without a policy."""
    values: dict[str, Any] = {
        "id": "test-decision",
        "action": "route",
        "tier": "simple",
        "chain": tuple(chain),
        "usable": tuple(chain),
        "unusable": {},
        "rule": "test",
        "rule_location": "test:1",
        "reason": "made by llm_router.testing",
        "message": "",
        "task": "query",
        "complexity": "simple",
        "difficulty": 0.1,
        "confidence": 9.0,
        "tokens": 10,
        "signals": (),
        "host": "cli",
        "profile": "balanced",
        "policy": "balanced",
        "enforce": "smart",
        "mode": "normal",
        "threshold": 4.0,
        "trace": (),
        "policy_revision": "test",
    }
    values.update(fields)
    return Decision(**values)


def route(
    prompt: str,
    *,
    config: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    host: str = "cli",
    now: float | None = None,
) -> Decision:
    """How the policy (layered as usual, plus `config`) decides `prompt`: for a team policy repo's tests."""
    from llm_router.router import Settings, decide

    settings = Settings(
        env=dict(env if env is not None else os.environ), config=Path(config) if config else None
    )
    return decide(Request(prompt, host=host), settings=settings, now=now)
