"""`llm-router pipeline list | show | run`: multi-step pipelines defined in YAML."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from llm_router.cli.common import CONFIG_OPTION, JSON_OPTION, emit_json

INPUT_FILE_LIMIT = 256 << 10


@click.group()
def pipeline() -> None:
    """Multi-step pipelines (research, code-review, doc-draft, and yours).

    Pipelines are YAML files in the built-in folder, $LLM_ROUTER_HOME/pipelines/ and a project's
    .llm-router/pipelines/ (schemas/pipeline.schema.json). Each step is routed by your policy. A project
    file never replaces a built-in or user pipeline of its name (it is ignored, with a notice); run it by
    its path if you mean to.
    An invalid pipeline file is exit 3, with every problem located.
    """


def _load(name: str) -> tuple[Any, list[dict[str, str]]]:
    """The pipeline NAME (or FILE), and the project files of that name left out (each said on stderr)."""
    from llm_router import pipelines, router

    settings = router.Settings()
    if name.endswith((".yaml", ".yml")) and os.path.isfile(name):
        return pipelines.load_file(Path(name)), []
    left_out = pipelines.ignored(settings.env, settings.cwd, name)
    for row in left_out:
        click.echo(f"llm-router: {row['message']}", err=True)
    return pipelines.load(name, settings.env, settings.cwd), left_out


@pipeline.command("list")
@JSON_OPTION
def list_(as_json: bool) -> None:
    """List the pipelines that can be run, with their inputs and where each is defined."""
    from llm_router import pipelines, router
    from llm_router.errors import PolicyError

    settings = router.Settings()
    rows, broken = [], []
    for name, (source, path) in sorted(pipelines.available(settings.env, settings.cwd).items()):
        try:
            rows.append(pipelines.load_file(path, source).summary())
        except PolicyError as exc:
            broken.append({"name": name, "source": source, "path": str(path), "problems": str(exc)})
    left_out = pipelines.ignored(settings.env, settings.cwd)
    for note in left_out:
        click.echo(f"llm-router: {note['message']}", err=True)
    if as_json:
        emit_json({"pipelines": rows, "invalid": broken, "ignored": left_out})
        return
    for row in rows:
        inputs = " ".join(
            f"{k}=" + ("..." if "default" not in v else "[default]") for k, v in row["inputs"].items()
        )
        click.echo(f"{row['name']:<16} {row['source']:<8} {row['description']}")
        click.echo(f"{'':<16} {'':<8} steps: {' -> '.join(s['id'] for s in row['steps'])}; inputs: {inputs}")
    for b in broken:
        click.echo(
            f"{b['name']:<16} {b['source']:<8} INVALID (llm-router pipeline show {b['name']})", err=True
        )


@pipeline.command()
@click.argument("name")
@JSON_OPTION
def show(name: str, as_json: bool) -> None:
    """Show pipeline NAME (or a pipeline FILE): its file, inputs and steps, checked."""
    p, left_out = _load(name)
    if as_json:
        extra = {"ignored": left_out} if left_out else {}
        emit_json(p.summary() | {"prompts": {s.id: s.prompt.source for s in p.steps}} | extra)
        return
    click.echo(f"# {p.name} ({p.source}: {p.path})")
    click.echo(p.path.read_text(encoding="utf-8"), nl=False)


def _inputs(pairs: tuple[str, ...]) -> dict[str, str]:
    """`--input k=v` pairs; `k=@FILE` reads a file (at most 256 KiB)."""
    from llm_router import fileio

    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--input")
        if value.startswith("@") and len(value) > 1:
            try:
                value = fileio.read_bounded(value[1:], limit=INPUT_FILE_LIMIT, what="input file").decode(
                    "utf-8"
                )
            except (OSError, UnicodeDecodeError) as exc:
                raise click.BadParameter(f"{key}: {exc}", param_hint="--input") from None
        values[key] = value
    return values


@pipeline.command("run")
@click.argument("name")
@click.option(
    "--input", "pairs", multiple=True, metavar="NAME=VALUE", help="An input; NAME=@FILE reads a file."
)
@JSON_OPTION
@CONFIG_OPTION
def run_cmd(name: str, pairs: tuple[str, ...], as_json: bool, config: Path | None) -> None:
    """Run pipeline NAME (or a pipeline FILE) with its inputs; progress goes to stderr.

    Prints the last step's output (--json: every step with its decision id, model and output). When a step
    still fails after its chain's fallbacks, the run stops and what finished is printed; exit code 5 when
    every model failed, 6 when budgets ruled them out, 1 for another failure, 2 for bad inputs.
    """
    from llm_router import pipelines, router

    p, left_out = _load(name)
    values = _inputs(pairs)
    result = pipelines.run(
        p,
        values,
        settings=router.Settings(config=config),
        host="cli",
        progress=lambda line: click.echo(line, err=True),
    )
    if as_json:
        emit_json(result.to_dict() | ({"ignored": left_out} if left_out else {}))
    elif result.error is None:
        click.echo(result.output or "")
    else:
        for entry in result.steps:
            head = entry["name"] + (f" [{entry['index']}] {entry['item']}" if "item" in entry else "")
            click.echo(f"## {head} ({entry['model']})\n{entry['output']}\n")
    if result.error is not None:
        click.echo(
            f"llm-router: pipeline {p.name} stopped at step {result.failed_step}: {result.error}", err=True
        )
        raise click.exceptions.Exit(result.error.exit_code)
