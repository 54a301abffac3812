"""Where llm-router keeps its files and finds its built-in data. The only module that reads the environment
for locations; everything else asks it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

_PKG = Path(__file__).resolve().parent


def home(env: Mapping[str, str] | None = None) -> Path:
    """`$LLM_ROUTER_HOME`, default `~/.llm-router`."""
    env = os.environ if env is None else env
    explicit = env.get("LLM_ROUTER_HOME")
    if explicit:
        return Path(explicit).expanduser()
    return Path(env.get("HOME") or Path.home()) / ".llm-router"


def _data_dir(name: str) -> Path:
    # Inside a wheel the top-level folders are shipped as llm_router/_data/<name>; in a checkout
    # (editable install, tests) they sit beside the package.
    shipped = _PKG / "_data" / name
    return shipped if shipped.is_dir() else _PKG.parent / name


def policies_dir() -> Path:
    """The built-in policies (`builtin:NAME` is `policies/NAME.yaml`)."""
    return _data_dir("policies")


def schemas_dir() -> Path:
    """The JSON Schemas: routing policy, policy test suites, eval datasets."""
    return _data_dir("schemas")


def pipelines_dir() -> Path:
    """The built-in pipelines (`pipelines/NAME.yaml`)."""
    return _data_dir("pipelines")
