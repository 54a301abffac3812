"""`llm-router install | uninstall | doctor | hook`: put llm-router into a host tool and check it works."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from llm_router import paths
from llm_router.cli.common import emit_json

HOST_NAMES = ("claude-code", "codex", "gemini-cli", "vscode", "cursor")
_host_option = click.option(
    "--host",
    "hosts",
    type=click.Choice(HOST_NAMES + ("all",)),
    multiple=True,
    help="Host tool (repeatable; default claude-code; `all` for every host).",
)
_project_option = click.option(
    "--project", is_flag=True, help="Write the project's files (in the current folder) instead of the user's."
)


def _hosts(hosts: tuple[str, ...]) -> list[str]:
    if not hosts:
        return ["claude-code"]
    if "all" in hosts:
        return list(HOST_NAMES)
    return list(dict.fromkeys(hosts))


def _target(project: bool):  # noqa: ANN202 - Target is imported lazily
    from llm_router.hosts.base import Target

    home = Path(os.environ.get("HOME") or Path.home())
    return Target(home=home, project=Path.cwd() if project else None)


def _short(path: Path) -> str:
    home = str(Path(os.environ.get("HOME") or Path.home()))
    text = str(path)
    return "~" + text[len(home) :] if text.startswith(home + os.sep) else text


def _run(action: str, hosts: tuple[str, ...], project: bool, dry_run: bool, as_json: bool) -> None:
    from llm_router.hosts import installer

    target = _target(project)
    state = paths.home()
    fn = installer.install if action == "install" else installer.uninstall
    # Plan every host before writing anything, so one unreadable file stops the whole command.
    planned = {host: fn(host, target, state, dry_run=True) for host in _hosts(hosts)}
    results = planned if dry_run else {host: fn(host, target, state) for host in planned}
    if as_json:
        emit_json({host: [c.to_dict() for c in changes] for host, changes in results.items()})
        return
    for host, changes in results.items():
        click.echo(f"{host}:")
        for change in changes:
            status = change.status if not dry_run or not change.changed else f"would be {change.status}"
            click.echo(f"  {status:<18} {_short(change.path)}  ({', '.join(change.what)})")
            if dry_run and change.changed:
                click.echo(change.diff(), nl=False)
    if dry_run:
        click.echo("Dry run: nothing was written.")
    elif action == "install" and "codex" in results:
        click.echo("Codex asks you to trust new hooks once: open /hooks in Codex.")


@click.command()
@_host_option
@_project_option
@click.option("--dry-run", is_flag=True, help="Show the changes as a diff and write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print what changed as JSON.")
def install(hosts: tuple[str, ...], project: bool, dry_run: bool, as_json: bool) -> None:
    """Register the MCP server and the hooks in a host tool's own settings files.

    Merges with what the files hold, keeps a backup of each file it changes, and changes nothing when
    run twice. Exit code 7 when a host file cannot be read safely (it is then left untouched).
    """
    _run("install", hosts, project, dry_run, as_json)


@click.command()
@_host_option
@_project_option
@click.option("--dry-run", is_flag=True, help="Show the changes as a diff and write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print what changed as JSON.")
def uninstall(hosts: tuple[str, ...], project: bool, dry_run: bool, as_json: bool) -> None:
    """Remove exactly what install added; a file install created is removed again."""
    _run("uninstall", hosts, project, dry_run, as_json)


@click.command()
@_host_option
@click.option(
    "--project", is_flag=True, help="Check the project's files (in the current folder), not the user's."
)
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@click.option("--no-mcp", is_flag=True, help="Skip starting the MCP server.")
def doctor(hosts: tuple[str, ...], project: bool, as_json: bool, no_mcp: bool) -> None:
    """Check the installation end to end and say what to fix (exit 1 when a check fails).

    It only reads and runs: no host or policy file is changed.
    """
    from llm_router.hosts.doctor import run_checks

    checks = run_checks(_hosts(hosts) if hosts else None, _target(project), mcp=not no_mcp)
    failed = [c for c in checks if c.status == "fail"]
    if as_json:
        emit_json({"ok": not failed, "checks": [c.to_dict() for c in checks]})
    else:
        for check in checks:
            click.echo(f"{check.mark} {check.name}: {check.detail}")
            if check.fix and check.status != "ok":
                click.echo(f"    fix: {check.fix}")
        click.echo("All good." if not failed else f"{len(failed)} check(s) failed.")
    if failed:
        sys.exit(1)


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("host", type=click.Choice(HOST_NAMES), metavar="HOST")
@click.argument("event", required=False, metavar="[EVENT]")
def hook(host: str, event: str | None) -> None:
    """Handle one hook event of HOST (claude-code, codex, gemini-cli, vscode or cursor): its JSON on stdin,
    the host's JSON on stdout. Always exits 0."""
    from llm_router.hosts.hook import main

    sys.exit(main([host] + ([event] if event else [])))
