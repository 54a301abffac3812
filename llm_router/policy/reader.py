"""The slow path of policy loading: read each layer and its `extends`, validate it, and merge them all."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

from llm_router import fileio
from llm_router.errors import PolicyError
from llm_router.policy import layers, schema, yamlsource
from llm_router.policy.load import LoadedPolicy, Origin, Source, _Root, revision_of
from llm_router.policy.problems import Problem
from llm_router.policy.yamlsource import Pos, Positions

__all__ = ["read_layers", "read_layers_partial"]

_BUILTIN = re.compile(r"[A-Za-z0-9_-]+")
MAX_EXTENDS_DEPTH = 32  # a file extending a file extending ... (each level costs stack frames)
MAX_FILES = 256  # policy files one load may read
_ENV_POS = Pos(0, 0, 0, 0)


def read_layers(roots: list[_Root], builtins: Path) -> LoadedPolicy:
    """Read, validate and merge `roots` and their `extends`; raise PolicyError with every problem."""
    loaded, problems = read_layers_partial(roots, builtins)
    if problems:
        raise PolicyError(problems)
    return loaded


def read_layers_partial(roots: list[_Root], builtins: Path) -> tuple[LoadedPolicy, list[Problem]]:
    """Like `read_layers`, but return whatever merged along with the problems instead of raising."""
    reader = _Reader(builtins)
    for root in roots:
        if root.env is not None:
            reader.env(*root.env)
        elif root.path is not None:
            reader.file(Path(root.path), root.name, root.required, None, (), from_extends=False)
    return reader.finish(), reader.problems


def _unreadable(file: str, line: int, col: int, ptr: str, path: Path, exc: OSError) -> Problem:
    if isinstance(exc, FileNotFoundError | NotADirectoryError):
        return Problem(file, line, col, "missing-file", ptr, f"no such file: {path}", "check the path")
    if isinstance(exc, fileio.RefusedFile):
        code = "too-large" if exc.too_large else "unreadable-file"
        hint = f"a policy file is a regular file of at most {fileio.POLICY_LIMIT:,} bytes"
        return Problem(file, line, col, code, ptr, f"cannot read {path}: it {exc.reason}", hint)
    return Problem(file, line, col, "unreadable-file", ptr, f"cannot read: {path}", exc.strerror or "")


class _Layer:
    __slots__ = ("name", "sha", "data", "positions")

    def __init__(self, name: str, sha: str, data: Any, positions: Positions):
        self.name, self.sha, self.data, self.positions = name, sha, data, positions


class _Reader:
    def __init__(self, builtins: Path):
        self.builtins = builtins
        self.problems: list[Problem] = []
        self.layers: list[_Layer] = []
        self.files: dict[str, str | None] = {}
        self.done: set[Path] = set()

    def env(self, var: str, key: str, value: str) -> None:
        name = f"env:{var}"
        data = {key: value}
        positions = {"": _ENV_POS, f"/{key}": _ENV_POS}
        self.problems += schema.validate(data, positions, name)
        self.layers.append(_Layer(name, hashlib.sha256(value.encode()).hexdigest(), data, positions))

    def file(
        self,
        path: Path,
        name: str,
        required: bool,
        at: tuple[str, int, int, str] | None,
        stack: tuple[Path, ...],
        *,
        from_extends: bool = True,
    ) -> None:
        if path.is_dir():
            path, name = path / "routing.yaml", os.path.join(name, "routing.yaml")
        resolved = Path(os.path.realpath(path))
        file, line, col, ptr = at or (name, 0, 0, "")
        if resolved in stack:
            chain = " -> ".join([*(str(p) for p in stack[stack.index(resolved) :]), str(resolved)])
            self.problems.append(
                Problem(
                    file,
                    line,
                    col,
                    "circular-extends",
                    ptr,
                    f"extends itself: {chain}",
                    "remove one of these extends",
                )
            )
            return
        if from_extends and resolved in self.done:
            return  # already layered (a shared base); once is enough
        if len(stack) >= MAX_EXTENDS_DEPTH or len(self.files) >= MAX_FILES:
            what = (
                f"nests more than {MAX_EXTENDS_DEPTH} levels deep"
                if len(stack) >= MAX_EXTENDS_DEPTH
                else f"reads more than {MAX_FILES} files"
            )
            self.problems.append(
                Problem(file, line, col, "too-many-files", ptr, f"extends {what}", "flatten the policy")
            )
            return
        try:  # never blocks on a fifo nor reads /dev/zero: a special or oversized file is refused unread
            raw = fileio.read_bounded(resolved, limit=fileio.POLICY_LIMIT, what="policy file")
        except OSError as exc:
            missing = isinstance(exc, FileNotFoundError | NotADirectoryError)
            if required or not missing:  # an optional layer may be absent, never unreadable
                self.problems.append(_unreadable(file, line, col, ptr, path, exc))
            else:
                self.files[str(resolved)] = None
            return
        sha = hashlib.sha256(raw).hexdigest()
        self.files[str(resolved)] = sha
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            before = raw[: exc.start]
            self.problems.append(
                Problem(
                    name,
                    before.count(b"\n") + 1,
                    exc.start - before.rfind(b"\n"),
                    "encoding",
                    "",
                    "the file is not UTF-8",
                    "save it as UTF-8",
                )
            )
            return
        data, positions, problems = yamlsource.parse(text, name)
        problems += schema.validate(data, positions, name)
        self.problems += sorted(problems, key=lambda p: (p.line, p.col))
        if isinstance(data, dict):
            self._extends(data.get("extends"), positions, resolved, name, (*stack, resolved))
        self.layers.append(_Layer(name, sha, data, positions))
        self.done.add(resolved)

    def _extends(
        self, value: Any, positions: Positions, path: Path, name: str, stack: tuple[Path, ...]
    ) -> None:
        entries = (
            [(value, "/extends")]
            if isinstance(value, str)
            else ([(v, f"/extends/{i}") for i, v in enumerate(value)] if isinstance(value, list) else [])
        )
        for entry, ptr in entries:
            if not isinstance(entry, str) or not entry:
                continue  # the schema reported it
            pos = positions.get(ptr) or positions.get("") or _ENV_POS
            at = (name, pos.line, pos.col, ptr)
            if entry.startswith("builtin:"):
                builtin = entry[len("builtin:") :]
                if not _BUILTIN.fullmatch(builtin):
                    self.problems.append(
                        Problem(
                            name,
                            pos.line,
                            pos.col,
                            "missing-file",
                            ptr,
                            f"'{builtin}' is not a built-in policy name",
                            "builtin:NAME names policies/NAME.yaml",
                        )
                    )
                    continue
                target = self.builtins / f"{builtin}.yaml"
                self.file(target, str(target), True, at, stack)
                continue
            relative = Path(entry).expanduser()
            target = relative if relative.is_absolute() else path.parent / relative
            shown = (
                entry
                if relative.is_absolute()
                else os.path.normpath(os.path.join(os.path.dirname(name), entry))
            )
            self.file(target, shown, True, at, stack)

    def finish(self) -> LoadedPolicy:
        merged: layers.Node | None = None
        for layer in self.layers:
            if not isinstance(layer.data, dict):
                continue  # the schema reported a document that is not a mapping

            def origin_of(pos: Pos, file: str = layer.name) -> Origin:
                return Origin(file, pos.line, pos.col, pos.text_line, pos.text_col, pos.style == "|")

            data = {k: v for k, v in layer.data.items() if k != "extends"}
            merged = layers.merge(merged, layers.annotate(data, layer.positions, origin_of), self.problems)
        origins: dict[str, Any] = {}
        data = layers.flatten(merged, origins) if merged is not None else {}
        if merged is None:
            origins[""] = Origin("<none>", 0, 0)
        return LoadedPolicy(
            data=data,
            origins=origins,
            sources=[Source(layer.name, layer.sha) for layer in self.layers],
            revision=revision_of(data),
            files=list(self.files.items()),
        )
