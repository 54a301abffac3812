"""Shared fixtures. Every test runs with a temporary HOME and LLM_ROUTER_HOME and no provider keys, so
nothing reads the real ~/.claude, ~/.codex, ~/.gemini or ~/.llm-router, and nothing reaches the internet.
A module-scoped fixture that needs a home asks for `module_home`. The home guard in the checkout's top-level
conftest.py fails the run if anything touches the real home all the same."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llm_router.providers.catalogue import PROVIDERS

# Before any test module is collected: a module that imports LiteLLM at its top would otherwise have it
# fetch its remote price table (offline it fails fast; with internet it would download it).
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

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


def isolate(mp: pytest.MonkeyPatch, home_dir: Path) -> None:
    """Point HOME and LLM_ROUTER_HOME at `home_dir`, offline, with no provider key."""
    home_dir.mkdir(exist_ok=True)
    mp.setenv("HOME", str(home_dir))
    mp.setenv("LLM_ROUTER_HOME", str(home_dir / ".llm-router"))
    mp.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    mp.setenv("LITELLM_OFFLINE_MODE", "true")
    for var in _PROVIDER_VARS:
        mp.delenv(var, raising=False)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh HOME (and LLM_ROUTER_HOME inside it) for every test; provider keys removed."""
    home_dir = tmp_path / "home"
    isolate(monkeypatch, home_dir)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    yield home_dir
    assert Path(os.environ["HOME"]) == home_dir


@pytest.fixture(scope="module")
def module_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The same isolation for a module-scoped fixture, which runs before the per-test `home`."""
    home_dir = tmp_path_factory.mktemp("module") / "home"
    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, home_dir)
        yield home_dir


@pytest.fixture(scope="module")
def clf() -> Any:
    """The built-in classifier, compiled from policies/classifier.yaml (once per test module)."""
    import yaml

    from llm_router.classify import compile_classifier

    section = yaml.safe_load((Path(__file__).parent.parent / "policies" / "classifier.yaml").read_text())
    classifier, issues = compile_classifier(section["classifier"], trusted=lambda _pointer: True)
    assert issues == []
    return classifier
