"""Where llm-router keeps its files and finds its built-in data. The only module that reads the environment
for locations; everything else asks it.

Each place comes as a `Path` (`home()`, `policies_dir()`, `schemas_dir()`) and, for the hook path, which does
not import pathlib, as a string (`home_dir()`, `policies_folder()`). `which()` is where $PATH finds a command.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

_PKG = os.path.dirname(os.path.realpath(__file__))


def home_dir(env: Mapping[str, str] | None = None) -> str:
    """`$LLM_ROUTER_HOME`, default `~/.llm-router`, as a string."""
    env = os.environ if env is None else env
    explicit = env.get("LLM_ROUTER_HOME")
    if explicit:
        return os.path.expanduser(explicit)
    return os.path.join(env.get("HOME") or os.path.expanduser("~"), ".llm-router")


def home(env: Mapping[str, str] | None = None) -> Path:
    """`$LLM_ROUTER_HOME`, default `~/.llm-router`."""
    from pathlib import Path

    return Path(home_dir(env))


def _data_folder(name: str) -> str:
    # Inside a wheel the top-level folders are shipped as llm_router/_data/<name>; in a checkout
    # (editable install, tests) they sit beside the package.
    shipped = os.path.join(_PKG, "_data", name)
    return shipped if os.path.isdir(shipped) else os.path.join(os.path.dirname(_PKG), name)


def policies_folder() -> str:
    """The built-in policies (`builtin:NAME` is `policies/NAME.yaml`), as a string."""
    return _data_folder("policies")


def policies_dir() -> Path:
    """The built-in policies (`builtin:NAME` is `policies/NAME.yaml`)."""
    from pathlib import Path

    return Path(policies_folder())


def schemas_dir() -> Path:
    """The JSON Schemas: routing policy, policy test suites, eval datasets."""
    from pathlib import Path

    return Path(_data_folder("schemas"))


def pipelines_dir() -> Path:
    """The built-in pipelines (`pipelines/NAME.yaml`)."""
    from pathlib import Path

    return Path(_data_folder("pipelines"))


def which(name: str, path: str | None = None) -> str | None:
    """Where `path` (default $PATH) finds the executable `name`, as `shutil.which` finds it on POSIX, without
    importing shutil."""
    if os.sep in name:
        return name if os.access(name, os.X_OK) and not os.path.isdir(name) else None
    for folder in (os.environ.get("PATH", os.defpath) if path is None else path).split(os.pathsep):
        candidate = os.path.join(folder, name)
        if folder and os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
            return candidate
    return None
