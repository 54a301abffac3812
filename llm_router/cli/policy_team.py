"""`llm-router policy init-team` and `policy diff`: team policy repositories, reviewed like code."""

from __future__ import annotations

from pathlib import Path

import click

from llm_router.cli.common import JSON_OPTION, emit_json


@click.command("init-team")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@JSON_OPTION
def init_team(folder: Path, as_json: bool) -> None:
    """Start a team policy repository in FOLDER: routing.yaml, tests/ (a suite and a prompt set) and a CI
    workflow that runs `policy validate`, `policy test --coverage`, `policy lint` and, on pull requests,
    `policy diff`. Never overwrites: exit 1, writing nothing, when any of these files exists."""
    from llm_router.policy.team import existing, scaffold

    found = existing(folder)
    if found:
        names = ", ".join(str(p) for p in found)
        if as_json:
            emit_json({"ok": False, "error": f"already exists: {names}", "exists": [str(p) for p in found]})
        else:
            click.echo(f"llm-router: already exists, nothing written: {names}", err=True)
        raise SystemExit(1)
    written = scaffold(folder)
    if as_json:
        emit_json({"ok": True, "created": [str(p) for p in written]})
        return
    for path in written:
        click.echo(f"created {path}")
    click.echo(
        f"next: llm-router policy test {folder / 'tests'} --coverage; members add "
        f"`extends: [{folder.resolve()}]` to ~/.llm-router/routing.yaml"
    )


@click.command("diff")
@click.argument("a", type=click.Path(exists=True, path_type=Path))
@click.argument("b", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--prompts",
    "prompts_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSON lines {"prompt": ...} (as route --batch reads) or plain text, one prompt per line.',
)
@JSON_OPTION
def diff(a: Path, b: Path, prompts_file: Path, as_json: bool) -> None:
    """Route the prompts of --prompts under policy A and policy B (files or team folders, each layered as
    --config is) and show what changes: prompts per tier, chain head and action on each side, and every
    prompt that moved, with the rule that decided it on each side. Exit 0 whatever moved.

    With --json: {"moved": [{"line", "prompt", "a", "b"}], "counts": {"prompts", "moved", "tier",
    "chain_head", "action"}}.
    """
    from llm_router.policy.diff import PromptFileError, diff_policies, read_prompts
    from llm_router.router import Settings

    try:
        prompts = read_prompts(prompts_file)
    except PromptFileError as exc:
        raise click.BadParameter(str(exc), param_hint="--prompts") from exc
    result = diff_policies(a, b, prompts, Settings())
    if as_json:
        emit_json(result.to_dict())
    else:
        click.echo(result.render())
