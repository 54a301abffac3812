"""Validate one policy document against schemas/routing.schema.json (or another of our schemas, such as
pipeline.schema.json), every error a located Problem.

jsonschema is imported inside `validate` only: the hook path reads the on-disk cache and never gets here.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import defaultdict
from typing import Any

from llm_router import paths
from llm_router.policy.problems import Problem
from llm_router.policy.yamlsource import Pos, Positions, is_yaml11_boolean, pointer_join

__all__ = ["validate", "load_schema"]

_validator_cache: dict[str, Any] = {}
_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}


ROUTING = "routing.schema.json"


def load_schema(name: str = ROUTING) -> dict[str, Any]:
    """The JSON Schema `name` of schemas/ (by default the routing policy's), as data."""
    return json.loads((paths.schemas_dir() / name).read_text(encoding="utf-8"))


def _validator(name: str = ROUTING) -> Any:
    path = str(paths.schemas_dir() / name)
    if path not in _validator_cache:
        import jsonschema

        schema = load_schema(name)
        _validator_cache[path] = jsonschema.validators.validator_for(schema)(schema)
    return _validator_cache[path]


def validate(data: Any, positions: Positions, filename: str, schema: str = ROUTING) -> list[Problem]:
    """Every way `data` breaks the schema `schema` (the routing policy's by default), each located by
    `positions`."""
    validator = _validator(schema)
    problems: list[Problem] = []
    for error in validator.iter_errors(data):
        problems += _problems(error, validator, positions, filename)
    unique = dict.fromkeys(problems)
    return sorted(unique, key=lambda p: (p.line, p.col, p.pointer, p.code))


def _pointer(path: Any) -> str:
    ptr = ""
    for part in path:
        ptr = pointer_join(ptr, part)
    return ptr


def _at(positions: Positions, ptr: str, key: bool = False) -> tuple[int, int]:
    probe = ptr
    while True:
        pos = positions.get(probe)
        if pos is not None:
            return (pos.key_line, pos.key_col) if key and probe == ptr else (pos.line, pos.col)
        if not probe:
            return (1, 1) if positions else (0, 0)
        probe = probe.rsplit("/", 1)[0]


def _type_name(value: Any) -> str:
    return "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _problems(error: Any, validator: Any, positions: Positions, filename: str) -> list[Problem]:
    ptr = _pointer(error.absolute_path)
    line, col = _at(positions, ptr)
    instance, kind = error.instance, error.validator

    def problem(code: str, message: str, hint: str = "", where: tuple[int, int] | None = None) -> Problem:
        ln, cl = where or (line, col)
        return Problem(filename, ln, cl, code, ptr, message, hint)

    pos: Pos | None = positions.get(ptr)
    if is_yaml11_boolean(instance, pos) and validator.evolve(schema=error.schema).is_valid(True):
        return [
            problem(
                "yaml-1.1-boolean",
                f"'{instance}' is a string here, not a boolean (YAML 1.2)",
                "write true or false",
            )
        ]
    if kind == "additionalProperties" and isinstance(instance, dict):
        return _unknown_keys(error, instance, ptr, positions, filename)
    if kind == "required":
        return [problem("required", error.message)]
    if kind == "type":
        expected = (
            error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        )
        return [problem("type", f"expected {' or '.join(expected)}, got {_type_name(instance)}")]
    if kind in ("enum", "const"):
        allowed = error.validator_value if kind == "enum" else [error.validator_value]
        return [
            problem(
                "enum",
                f"{_short(instance)} is not allowed here",
                "one of: " + ", ".join(_short(a).strip('"') for a in allowed),
            )
        ]
    if kind in ("anyOf", "oneOf") and error.context:
        return _alternatives(error, validator, positions, filename, problem)
    if kind == "not":
        return [problem("schema", f"{_short(instance)} is not allowed here")]
    if kind == "pattern":
        return [problem("schema", f"{_short(instance)} does not match {error.validator_value}")]
    message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
    return [problem("schema", message)]


def _unknown_keys(
    error: Any, instance: dict[str, Any], ptr: str, positions: Positions, filename: str
) -> list[Problem]:
    known = list(error.schema.get("properties", {}))
    patterns = list(error.schema.get("patternProperties", {}))
    out = []
    for key in instance:
        if key in known or any(re.search(p, key) for p in patterns):
            continue
        child = pointer_join(ptr, key)
        line, col = _at(positions, child, key=True)
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = (
            f"did you mean '{close[0]}'?" if close else ("known keys: " + ", ".join(known) if known else "")
        )
        out.append(Problem(filename, line, col, "unknown-key", child, f"unknown key '{key}'", hint))
    return out


def _alternatives(
    error: Any, validator: Any, positions: Positions, filename: str, problem: Any
) -> list[Problem]:
    """anyOf/oneOf: name the expected types, or explain the branch that got furthest."""
    branches: dict[Any, list[Any]] = defaultdict(list)
    for sub in error.context:
        branches[sub.relative_schema_path[0] if sub.relative_schema_path else 0].append(sub)
    if all(not sub.relative_path and sub.validator == "type" for sub in error.context):
        expected: list[str] = []
        for sub in error.context:
            for t in sub.validator_value if isinstance(sub.validator_value, list) else [sub.validator_value]:
                if t not in expected:
                    expected.append(t)
        return [problem("type", f"expected {' or '.join(expected)}, got {_type_name(error.instance)}")]

    def score(errors: list[Any]) -> tuple[bool, int]:
        shallow_type = any(not e.relative_path and e.validator == "type" for e in errors)
        return (not shallow_type, max(len(e.relative_path) for e in errors))

    best = max(branches.values(), key=score)
    out: list[Problem] = []
    for sub in best:
        out += _problems(sub, validator, positions, filename)
    return out
