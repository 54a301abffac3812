"""`llm-router fs find | edit | analyze | undo`: bulk file work inside a workspace root (default: here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from llm_router.cli.common import CONFIG_OPTION, JSON_OPTION, emit_json

ROOT_OPTION = click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The workspace root: nothing outside it is read or written.",
)
GLOB_OPTION = click.option(
    "--glob",
    "globs",
    multiple=True,
    metavar="GLOB",
    help="Files by glob (`*.py`, `src/**/*.ts`); repeatable.",
)
MODEL_OPTION = click.option("--model", metavar="M", help="A model id (provider/name) instead of the chain.")


def _progress(line: str) -> None:
    click.echo(line, err=True)


@click.group()
def fs() -> None:
    """Find, edit and summarise files inside a workspace root; .gitignore is respected.

    Edits are a dry run unless --apply; every applied edit can be undone with `llm-router fs undo`.
    A path outside the root (through `..`, an absolute path or a link leading out) is refused: exit 2.
    """


@fs.command()
@click.argument("globs", nargs=-1)
@click.option("--grep", "pattern", metavar="TEXT", help="Lines containing TEXT (a fixed string).")
@click.option("--regex", is_flag=True, help="TEXT is a regular expression.")
@click.option("--word", is_flag=True, help="TEXT matches whole words only (a symbol).")
@click.option("-i", "--ignore-case", is_flag=True, help="Ignore case.")
@click.option("--max", "max_results", type=click.IntRange(1, 2000), default=200, show_default=True)
@ROOT_OPTION
@JSON_OPTION
def find(
    globs: tuple[str, ...],
    pattern: str | None,
    regex: bool,
    word: bool,
    ignore_case: bool,
    max_results: int,
    root: Path,
    as_json: bool,
) -> None:
    """List the files matching GLOBS (all files when none), or with --grep the lines that contain TEXT."""
    from llm_router.fs import find as run_find

    report = run_find(
        root,
        globs=globs,
        pattern=pattern,
        regex=regex,
        word=word,
        ignore_case=ignore_case,
        max_results=max_results,
    )
    if as_json:
        emit_json(report)
        return
    if pattern:
        for m in report["matches"]:
            click.echo(f"{m['path']}:{m['line']}: {m['text']}")
        for s in report["skipped"]:
            click.echo(f"skipped {s['path']}: {s['why']}", err=True)
    else:
        for name in report["files"]:
            click.echo(name)
    if report["truncated"]:
        click.echo(f"(stopped at {max_results} results; raise --max or narrow the search)", err=True)


@fs.command()
@click.argument("instruction")
@click.argument("paths", nargs=-1)
@GLOB_OPTION
@click.option(
    "--apply", "apply_", is_flag=True, help="Write the changes (default: a dry run that shows them)."
)
@MODEL_OPTION
@click.option(
    "--max-bytes", type=click.IntRange(1, 4 << 20), default=256 << 10, show_default=True, help="Largest file."
)
@ROOT_OPTION
@JSON_OPTION
@CONFIG_OPTION
def edit(
    instruction: str,
    paths: tuple[str, ...],
    globs: tuple[str, ...],
    apply_: bool,
    model: str | None,
    max_bytes: int,
    root: Path,
    as_json: bool,
    config: Path | None,
) -> None:
    """Apply INSTRUCTION to each of PATHS (and the files --glob selects) with a cheap model.

    Each answer must be a unified diff that applies cleanly. Exit code 1 when a file could not be edited
    (its diff did not apply, it is binary or too large), 5 when no model answered.
    """
    from llm_router import router
    from llm_router.fs import edit_many

    settings = router.Settings(config=config)
    report = edit_many(
        root,
        instruction,
        settings=settings,
        paths=paths,
        globs=globs,
        dry_run=not apply_,
        models=[model] if model else None,
        max_bytes=max_bytes,
        progress=None if as_json else _progress,
    )
    if as_json:
        emit_json(report)
    else:
        _print_edits(report)
    if "error" in report:
        raise click.exceptions.Exit(report["error"]["exit_code"])  # the file's row names the error
    if any(f["status"] == "error" for f in report["files"]):
        raise click.exceptions.Exit(1)


def _print_edits(report: dict[str, Any]) -> None:
    for f in report["files"]:
        if f["status"] == "changed":
            click.echo(f["diff"], nl=False)
        elif f["status"] == "error":
            click.echo(f"{f['path']}: {f['error']}", err=True)
    changed = report["changed"]
    noun = "file" if changed == 1 else "files"
    if report["dry_run"]:
        tail = "dry run: nothing written (--apply writes)" if changed else "nothing to change"
        click.echo(f"{changed} {noun} would change; {tail}", err=True)
    elif "undo_id" in report:
        click.echo(f"{changed} {noun} changed; undo with: llm-router fs undo {report['undo_id']}", err=True)


@fs.command()
@click.argument("paths", nargs=-1)
@GLOB_OPTION
@click.option("--focus", metavar="TEXT", default="", help="What the summaries should pay attention to.")
@click.option("--words", type=click.IntRange(20, 500), default=120, show_default=True)
@MODEL_OPTION
@ROOT_OPTION
@JSON_OPTION
@CONFIG_OPTION
def analyze(
    paths: tuple[str, ...],
    globs: tuple[str, ...],
    focus: str,
    words: int,
    model: str | None,
    root: Path,
    as_json: bool,
    config: Path | None,
) -> None:
    """Summarise each of PATHS (and the files --glob selects) for context, with a cheap model."""
    from llm_router import router
    from llm_router.fs import analyze as run_analyze

    report = run_analyze(
        root,
        settings=router.Settings(config=config),
        paths=paths,
        globs=globs,
        focus=focus,
        words=words,
        models=[model] if model else None,
        progress=None if as_json else _progress,
    )
    if as_json:
        emit_json(report)
    else:
        for f in report["files"]:
            if "summary" in f:
                click.echo(f"== {f['path']} ({f['lines']:,} lines{', cut' if f['truncated'] else ''})")
                click.echo(f["summary"] + "\n")
            else:
                click.echo(f"{f['path']}: {f['error']}", err=True)
    if "error" in report:
        raise click.exceptions.Exit(report["error"]["exit_code"])  # the file's row names the error


@fs.command()
@click.argument("edit_id", required=False)
@click.option("--list", "list_", is_flag=True, help="List the edits that can be undone, newest first.")
@ROOT_OPTION
@JSON_OPTION
def undo(edit_id: str | None, list_: bool, root: Path, as_json: bool) -> None:
    """Put back the files of the last edit applied in the workspace root (or EDIT_ID), each unless it
    changed again since.

    An EDIT_ID made under another root is refused (exit 2). Exit code 1 when a file was left as it is.
    """
    from llm_router import paths
    from llm_router.fs import undo as run_undo
    from llm_router.fs import undo_entries

    home = paths.home()
    if list_:
        listed = undo_entries(home)
        if as_json:
            emit_json({"edits": listed})
        for e in [] if as_json else listed:
            click.echo(f"{e['id']}  {len(e['files'])} files in {e['root']}: {e['what']}")
        return
    report = run_undo(home, root, edit_id)
    if as_json:
        emit_json(report)
    else:
        for f in report["files"]:
            click.echo(f"{f['status']:<9} {f['path']}" + (f": {f['error']}" if "error" in f else ""))
    if any(f["status"] not in ("restored", "already") for f in report["files"]):
        raise click.exceptions.Exit(1)
