"""Load the routing policy: find its layers, read and validate each one, merge them keeping where every value
came from, and keep the result in an on-disk cache that the hooks read without parsing YAML.

Layers, lowest first: the built-in `default.yaml` <- each file's `extends`, just before that file <- the user
file `<home>/routing.yaml` <- the project file `.llm-router.yaml` (cwd or a parent) <- LLM_ROUTER_PROFILE,
LLM_ROUTER_POLICY, LLM_ROUTER_ENFORCE, LLM_ROUTER_MODE <- `--config PATH`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from llm_router import __version__, paths
from llm_router.errors import PolicyError
from llm_router.policy import cache, sources
from llm_router.policy.problems import Issue, Problem

__all__ = [
    "KNOBS",
    "PROJECT_FILE",
    "USER_FILE",
    "Origin",
    "Source",
    "LoadedPolicy",
    "load_policy",
    "load_policy_partial",
    "load_file",
    "load_files",
    "find_project_file",
]

KNOBS, PROJECT_FILE, USER_FILE = sources.KNOBS, sources.PROJECT_FILE, sources.USER_FILE


class Origin(NamedTuple):
    """Where a merged value was written: file, 1-based line and column (0, 0 for an environment variable)."""

    file: str
    line: int
    col: int
    text_line: int = 0  # a scalar's first character of text (after a quote, a block scalar's body)
    text_col: int = 0
    literal: bool = False  # a `|` block scalar: offsets past a newline move down lines


class Source(NamedTuple):
    """One layer that went into the policy: a file path or `env:VAR`, and the sha256 of its content."""

    name: str
    sha256: str


class LoadedPolicy(NamedTuple):
    """The merged policy document with the origin of every value."""

    data: dict[str, Any]
    origins: dict[str, Origin]
    sources: list[Source]
    revision: str
    files: Sequence[tuple[str, str | None]] = ()

    def origin(self, pointer: str) -> Origin | None:
        """The origin of `pointer`, or of its nearest ancestor that has one."""
        probe = pointer
        while True:
            found = self.origins.get(probe)
            if found is not None or not probe:
                return found
            probe = probe.rsplit("/", 1)[0]

    def locate(self, issue: Issue) -> Problem:
        """Turn an unlocated Issue into a Problem at the file, line and column of its value."""
        o = self.origin(issue.pointer)
        if o is None:
            return Problem("<policy>", 0, 0, issue.code, issue.pointer, issue.message, issue.hint)
        line, col = o.line, o.col
        if issue.pointer in self.origins and o.text_line:
            line, col = o.text_line, o.text_col + issue.offset
            value = _get(self.data, issue.pointer)
            if o.literal and isinstance(value, str) and "\n" in value[: issue.offset]:
                head = value[: issue.offset]
                line += head.count("\n")
                col = o.text_col + len(head) - head.rfind("\n") - 1
        return Problem(o.file, line, col, issue.code, issue.pointer, issue.message, issue.hint)

    def provenance(self) -> dict[str, str]:
        """Pointer -> "file:line" for every merged value (`policy show`)."""
        return {ptr: f"{o.file}:{o.line}" for ptr, o in self.origins.items()}


def load_policy(
    *,
    env: Mapping[str, str],
    cwd: Path,
    config: Path | None,
    home: Path,
    builtins: Path | None = None,
) -> LoadedPolicy:
    """The merged policy for this environment, from the cache when its sources are unchanged."""
    builtins = Path(builtins) if builtins is not None else paths.policies_dir()
    return _load(_policy_roots(env, cwd, config, home, builtins), home, builtins)


def load_policy_partial(
    *,
    env: Mapping[str, str],
    cwd: Path,
    config: Path | None,
    home: Path,
    builtins: Path | None = None,
) -> tuple[LoadedPolicy, list[Problem]]:
    """Like `load_policy`, but never raises PolicyError: the best-effort merge and every problem found.

    For reporting all problems at once (expressions too) when some file is invalid; the data may then
    break the schema, so compile it defensively and never route with it.
    """
    try:
        return load_policy(env=env, cwd=cwd, config=config, home=home, builtins=builtins), []
    except PolicyError:
        from llm_router.policy.reader import read_layers_partial

        builtins = Path(builtins) if builtins is not None else paths.policies_dir()
        return read_layers_partial(_policy_roots(env, cwd, config, home, builtins), builtins)


def _policy_roots(
    env: Mapping[str, str], cwd: Path, config: Path | None, home: Path, builtins: Path
) -> list[_Root]:
    return sources.roots(env, os.fspath(cwd), config, os.fspath(home), os.fspath(builtins))


def load_file(
    path: Path, *, home: Path, env: Mapping[str, str], cwd: Path, builtins: Path | None = None
) -> LoadedPolicy:
    """One file layered on the built-in default only, as `policy validate PATH` checks it."""
    builtins = Path(builtins) if builtins is not None else paths.policies_dir()
    default = str(builtins / "default.yaml")
    roots = [_Root(default, default, True), _Root(str(path), sources.under(cwd, path), True)]
    return _load(roots, home, builtins)


def load_files(
    paths_: Sequence[Path], *, home: Path, env: Mapping[str, str], cwd: Path, builtins: Path | None = None
) -> list[LoadedPolicy]:
    """`load_file` for each path; raises one PolicyError holding the problems of all of them."""
    loaded: list[LoadedPolicy] = []
    problems: list[Problem] = []
    for path in paths_:
        try:
            loaded.append(load_file(path, home=home, env=env, cwd=cwd, builtins=builtins))
        except PolicyError as exc:
            problems += [p for p in exc.problems if p not in problems]
    if problems:
        raise PolicyError(problems)
    return loaded


def find_project_file(cwd: Path) -> Path | None:
    """`.llm-router.yaml` in `cwd` or its nearest parent that has one (a fifo or a link to a device counts:
    the reader then refuses it with a located error rather than passing over it)."""
    found = sources.find_project_file(cwd)
    return None if found is None else Path(found)


_Root = sources.Root


def _get(data: Any, pointer: str) -> Any:
    for part in pointer.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def revision_of(data: Any) -> str:
    """12 hex digits of the sha256 of the canonical JSON of a merged policy."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _load(roots: list[_Root], home: Path, builtins: Path) -> LoadedPolicy:
    key = json.dumps([__version__, str(builtins), [[r.name, str(r.path), r.required, r.env] for r in roots]])
    payload = cache.read(home, key)
    if payload is not None:
        try:
            return _from_payload(payload)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            pass  # a cache entry of the wrong shape: rebuild it
    from llm_router.policy.reader import read_layers

    loaded = read_layers(roots, builtins)
    cache.write(home, key, _to_payload(loaded))
    return loaded


def _to_payload(loaded: LoadedPolicy) -> dict[str, Any]:
    names = list(dict.fromkeys(o.file for o in loaded.origins.values()))  # paths stored once, by index
    index = {name: i for i, name in enumerate(names)}
    return {
        "data": loaded.data,
        "origin_files": names,
        "origins": {ptr: [index[o.file], *o[1:]] for ptr, o in loaded.origins.items()},
        "sources": [[s.name, s.sha256] for s in loaded.sources],
        "revision": loaded.revision,
        "files": [list(f) for f in loaded.files],
    }


def _from_payload(payload: dict[str, Any]) -> LoadedPolicy:
    data = payload["data"]
    if not isinstance(data, dict) or not isinstance(payload["revision"], str):
        raise ValueError("bad cache entry")
    names = [str(n) for n in payload["origin_files"]]
    origins = {str(ptr): Origin(names[o[0]], *o[1:]) for ptr, o in payload["origins"].items()}
    sources = [Source(str(name), str(sha)) for name, sha in payload["sources"]]
    files = [(str(p), s) for p, s in payload["files"]]
    return LoadedPolicy(data, origins, sources, payload["revision"], files)
