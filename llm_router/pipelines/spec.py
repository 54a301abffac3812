"""Pipelines as data: `pipelines/*.yaml` found in the built-in folder, `$LLM_ROUTER_HOME/pipelines/` and a
project's `.llm-router/pipelines/` (a user file replaces a built-in of the same name; a project file takes no
name a built-in or user file has, and is reported as ignored), parsed
with positions, validated against schemas/pipeline.schema.json, and checked (step ids, template names, fan-out
sources, a last step that synthesises); every problem is reported located, as a policy's are (exit 3)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llm_router import fileio, paths
from llm_router.errors import PolicyError, RouterError
from llm_router.pipelines.template import Template, compile_template
from llm_router.policy.problems import Problem
from llm_router.policy.yamlsource import Positions, parse

PIPELINE_LIMIT = 256 << 10  # bytes of one pipeline file
MAX_PIPELINES = 200  # files looked at per folder
MAX_ITEMS, MAX_OUTPUT_CHARS, MAX_PROMPT_CHARS = 8, 20_000, 100_000  # default limits


@dataclass(frozen=True)
class Step:
    id: str
    prompt: Template
    routes: tuple[str, ...] = ()  # tiers or chains, tried in order until one has a usable model
    for_each: str | None = None  # steps.ID or inputs.NAME
    as_name: str = "item"
    description: str = ""
    pointer: str = ""  # /steps/N, for located errors at run time


@dataclass(frozen=True)
class Pipeline:
    name: str
    source: str  # builtin | user | project
    path: Path
    description: str
    inputs: Mapping[str, Mapping[str, Any]]
    steps: tuple[Step, ...]
    max_items: int = MAX_ITEMS
    max_output_chars: int = MAX_OUTPUT_CHARS
    max_prompt_chars: int = MAX_PROMPT_CHARS
    positions: Positions = field(default_factory=dict, repr=False, compare=False)

    def locate(self, pointer: str, code: str, message: str, hint: str = "") -> Problem:
        """A Problem at the value `pointer` names in this pipeline's file."""
        return _locate(str(self.path), self.positions, pointer, code, message, hint)

    def summary(self) -> dict[str, Any]:
        """Name, description, source, inputs and steps, as `pipeline list` and llm_pipeline_templates show."""
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "path": str(self.path),
            "inputs": {k: dict(v) for k, v in self.inputs.items()},
            "steps": [
                {"id": s.id, "route": list(s.routes), "for_each": s.for_each, "description": s.description}
                for s in self.steps
            ],
        }


def folders(env: Mapping[str, str], cwd: Path) -> list[tuple[str, Path]]:
    """Where pipelines are looked for, lowest first: built-in, user, project (cwd or a parent)."""
    found = [("builtin", paths.pipelines_dir()), ("user", paths.home(env) / "pipelines")]
    here = Path(os.path.abspath(cwd))
    for folder in (here, *here.parents):
        candidate = folder / ".llm-router" / "pipelines"
        if candidate.is_dir():
            found.append(("project", candidate))
            break
    return found


def available(env: Mapping[str, str], cwd: Path) -> dict[str, tuple[str, Path]]:
    """Pipeline name -> (source, file). A user pipeline replaces a built-in of the same name; a project
    pipeline never replaces a built-in or user one (see `ignored`): a repository's files cannot take over
    `research` or what the user wrote."""
    return _catalogue(env, cwd)[0]


def ignored(env: Mapping[str, str], cwd: Path, name: str | None = None) -> list[dict[str, str]]:
    """The project pipelines left out because a built-in or user pipeline has their name (only `name`'s
    when given): `{"name", "path", "shadows" (builtin | user), "shadows_path", "message"}`. Such a file
    still runs when named by its path (`llm-router pipeline run PATH`), which is the user's own choice."""
    rows = _catalogue(env, cwd)[1]
    return [r for r in rows if name is None or r["name"] == name]


def _catalogue(env: Mapping[str, str], cwd: Path) -> tuple[dict[str, tuple[str, Path]], list[dict[str, str]]]:
    out: dict[str, tuple[str, Path]] = {}
    left_out: list[dict[str, str]] = []
    for source, folder in folders(env, cwd):
        try:
            names = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))[:MAX_PIPELINES]
        except OSError:
            continue
        for path in names:
            taken = out.get(path.stem)
            if source == "project" and taken is not None and taken[0] in ("builtin", "user"):
                left_out.append(
                    {
                        "name": path.stem,
                        "path": str(path),
                        "shadows": taken[0],
                        "shadows_path": str(taken[1]),
                        "message": f"the project's pipeline {path} is ignored: it has the name of a "
                        f"{'built-in' if taken[0] == 'builtin' else 'user'} pipeline ({taken[1]}), which "
                        f"runs instead; to run the project's, name its file: llm-router pipeline run {path}",
                    }
                )
                continue
            out[path.stem] = (source, path)
    return out, left_out


def load(name: str, env: Mapping[str, str], cwd: Path) -> Pipeline:
    """The pipeline called `name`; RouterError when there is none, PolicyError when its file is invalid."""
    known = available(env, cwd)
    if name not in known:
        names = ", ".join(sorted(known)) or "none"
        raise RouterError(f"no pipeline named {name!r} (pipelines: {names}; llm-router pipeline list)")
    source, path = known[name]
    return load_file(path, source)


def load_file(path: Path, source: str = "file") -> Pipeline:
    """A pipeline from one file, checked; PolicyError with every located problem."""
    filename = str(path)
    try:
        raw = fileio.read_bounded(path, limit=PIPELINE_LIMIT, what="pipeline file")
        text = raw.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(
            [Problem(filename, 1, 1, "unreadable", "", f"cannot read the pipeline: {exc}")]
        ) from None
    from llm_router.policy.schema import validate

    data, positions, problems = parse(text, filename)
    problems += validate(data, positions, filename, "pipeline.schema.json")
    if problems or not isinstance(data, dict):
        raise PolicyError(sorted(problems, key=lambda p: (p.line, p.col)) or [_not_a_mapping(filename)])
    pipeline = _build(path, source, data, positions)
    problems = check(pipeline, data)
    if problems:
        raise PolicyError(problems)
    return pipeline


def _not_a_mapping(filename: str) -> Problem:
    return Problem(filename, 1, 1, "type", "", "a pipeline is a mapping with a `steps` list")


def _build(path: Path, source: str, data: Mapping[str, Any], positions: Positions) -> Pipeline:
    steps = []
    for i, s in enumerate(data["steps"]):
        route = s.get("route")
        steps.append(
            Step(
                id=s["id"],
                prompt=compile_template(s["prompt"]),
                routes=tuple([route] if isinstance(route, str) else route or ()),
                for_each=s.get("for_each"),
                as_name=s.get("as", "item"),
                description=s.get("description", ""),
                pointer=f"/steps/{i}",
            )
        )
    limits = data.get("limits") or {}
    return Pipeline(
        name=path.stem,
        source=source,
        path=path,
        description=str(data.get("description", "")),
        inputs={k: dict(v or {}) for k, v in (data.get("inputs") or {}).items()},
        steps=tuple(steps),
        max_items=int(limits.get("max_items", MAX_ITEMS)),
        max_output_chars=int(limits.get("max_output_chars", MAX_OUTPUT_CHARS)),
        max_prompt_chars=int(limits.get("max_prompt_chars", MAX_PROMPT_CHARS)),
        positions=positions,
    )


def check(p: Pipeline, data: Mapping[str, Any]) -> list[Problem]:
    """What the schema cannot say: unique step ids, templates naming only inputs, earlier steps and the
    fan-out item, fan-outs over an earlier step or an input, and a last step that synthesises."""
    problems: list[Problem] = []
    seen: list[str] = []
    for n, step in enumerate(p.steps):
        if step.id in seen:
            problems.append(
                p.locate(f"{step.pointer}/id", "duplicate-id", f"step {step.id!r} is defined twice")
            )
        source = step.for_each
        if source and source.startswith("steps.") and source[6:] not in seen:
            problems.append(
                p.locate(
                    f"{step.pointer}/for_each",
                    "unknown-step",
                    f"{source!r} is not an earlier step",
                    "earlier steps: " + (", ".join(seen) or "none"),
                )
            )
        if source and source.startswith("inputs.") and source[7:] not in p.inputs:
            problems.append(p.locate(f"{step.pointer}/for_each", "unknown-input", f"no input {source[7:]!r}"))
        known = names_for(p, seen, step)
        for part in step.prompt.names:
            assert part.name is not None
            if part.name not in known:
                problems.append(
                    _locate(
                        str(p.path),
                        p.positions,
                        f"{step.pointer}/prompt",
                        "unknown-name",
                        f"{{{part.name}}} names nothing this step can see",
                        "it can see: " + ", ".join(f"{{{k}}}" for k in sorted(known)),
                        offset=part.offset,
                        text=data["steps"][n]["prompt"],
                    )
                )
        seen.append(step.id)
    last = p.steps[-1]
    if last.for_each:
        problems.append(
            p.locate(
                f"{last.pointer}/for_each", "last-step-fans-out", "the last step must synthesise one answer"
            )
        )
    elif len(p.steps) > 1 and not any((part.name or "").startswith("steps.") for part in last.prompt.parts):
        problems.append(
            p.locate(
                f"{last.pointer}/prompt",
                "last-step-ignores-steps",
                "the last step synthesises: its prompt should use an earlier step's {steps.ID.output}",
            )
        )
    return sorted(problems, key=lambda q: (q.line, q.col))


def names_for(p: Pipeline, earlier: list[str], step: Step) -> set[str]:
    """The placeholders `step`'s prompt may use."""
    known = set(p.inputs) | {f"inputs.{k}" for k in p.inputs}
    known |= {f"steps.{s}.output" for s in earlier}
    if step.for_each:
        known |= {step.as_name, "index"}
    return known


def _locate(
    filename: str,
    positions: Positions,
    pointer: str,
    code: str,
    message: str,
    hint: str = "",
    offset: int = 0,
    text: str | None = None,
) -> Problem:
    probe = pointer
    while probe not in positions and probe:
        probe = probe.rsplit("/", 1)[0]
    pos = positions.get(probe)
    if pos is None:
        return Problem(filename, 1, 1, code, pointer, message, hint)
    line, col = pos.line, pos.col
    if probe == pointer and pos.text_line:
        line, col = pos.text_line, pos.text_col + offset
        if text is not None and pos.style in ("|", ">") and "\n" in text[:offset]:
            head = text[:offset]
            line += head.count("\n")
            col = pos.text_col + len(head) - head.rfind("\n") - 1
    return Problem(filename, line, col, code, pointer, message, hint)
