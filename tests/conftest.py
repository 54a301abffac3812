"""Shared fixtures. Every test runs with a temporary HOME and LLM_ROUTER_HOME and no provider keys, so
nothing reads the real ~/.claude, ~/.codex, ~/.gemini or ~/.llm-router, and nothing reaches the internet."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from llm_router.providers.catalogue import PROVIDERS

_PROVIDER_VARS = {var for p in PROVIDERS.values() for var in p.env} | {
    "OPENAI_BASE_URL",
    "OPENAI_API_BASE",
    "ANTHROPIC_BASE_URL",
    "LLM_ROUTER_PROFILE",
    "LLM_ROUTER_POLICY",
    "LLM_ROUTER_ENFORCE",
    "LLM_ROUTER_MODE",
    "LLM_ROUTER_SLIM",
}


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh HOME (and LLM_ROUTER_HOME inside it) for every test; provider keys removed."""
    home_dir = tmp_path / "home"
    home_dir.mkdir()
    monkeypatch.setenv("HOME", str(home_dir))
    monkeypatch.setenv("LLM_ROUTER_HOME", str(home_dir / ".llm-router"))
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    monkeypatch.setenv("LITELLM_OFFLINE_MODE", "true")
    for var in _PROVIDER_VARS:
        monkeypatch.delenv(var, raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    yield home_dir
    assert Path(os.environ["HOME"]) == home_dir
