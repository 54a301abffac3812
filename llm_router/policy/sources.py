"""Which files and variables make up the policy of a call (its layers, lowest first), found with `os.path`
alone: every process that decides asks this before it reads a cache, so it imports nothing.

Layers: the built-in `default.yaml` <- the user file `<home>/routing.yaml` <- the project file
`.llm-router.yaml` (cwd or a parent) <- LLM_ROUTER_PROFILE, LLM_ROUTER_POLICY, LLM_ROUTER_ENFORCE,
LLM_ROUTER_MODE <- `--config PATH`. Each file's `extends` are found while reading it (`reader.py`).
"""

from __future__ import annotations

import os

from llm_router.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

KNOBS = (
    ("LLM_ROUTER_PROFILE", "profile"),
    ("LLM_ROUTER_POLICY", "policy"),
    ("LLM_ROUTER_ENFORCE", "enforce"),
    ("LLM_ROUTER_MODE", "mode"),
)
PROJECT_FILE = ".llm-router.yaml"
USER_FILE = "routing.yaml"


class Root(Record):
    """One layer: a file (`path`, which must exist when `required`) or an environment knob (`env`)."""

    name: str
    path: str | None
    required: bool
    env: tuple[str, str, str] | None = None  # (variable, key, value)


def roots(
    env: Mapping[str, str], cwd: str, config: str | os.PathLike[str] | None, home: str, builtins: str
) -> list[Root]:
    """The layers of the policy for this environment, working directory, `--config` and home."""
    default = os.path.join(builtins, "default.yaml")
    user = os.path.join(home, USER_FILE)
    found = [Root(default, default, True), Root(user, user, False)]
    project = find_project_file(cwd)
    if project is not None:
        found.append(Root(project, project, False))
    for var, key in KNOBS:
        if env.get(var):
            found.append(Root(f"env:{var}", None, True, (var, key, env[var])))
    if config is not None:
        found.append(Root(os.fspath(config), under(cwd, config), True))
    return found


def find_project_file(cwd: str | os.PathLike[str]) -> str | None:
    """`.llm-router.yaml` in `cwd` or its nearest parent that has one (a fifo or a link to a device counts:
    the reader then refuses it with a located error rather than passing over it)."""
    folder = os.path.abspath(cwd)
    while True:
        candidate = os.path.join(folder, PROJECT_FILE)
        if os.path.lexists(candidate) and not os.path.isdir(candidate):
            return candidate
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def under(cwd: str | os.PathLike[str], path: str | os.PathLike[str]) -> str:
    """`path` with `~` expanded, relative to `cwd` unless absolute."""
    path = os.path.expanduser(os.fspath(path))
    return path if os.path.isabs(path) else os.path.abspath(os.path.join(cwd, path))
