"""`llm-router install | uninstall | doctor | hook`: put llm-router into a host tool and check it works."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from llm_router import paths
from llm_router.cli.common import emit_json

if TYPE_CHECKING:
    from llm_router.hosts.base import Target

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


def _target(project: bool) -> Target:
    from llm_router.hosts.base import Target

    home = Path(os.environ.get("HOME") or Path.home())
    return Target(home=home, project=Path.cwd() if project else None)


def _short(path: Path) -> str:
    home = str(Path(os.environ.get("HOME") or Path.home()))
    text = str(path)
    return "~" + text[len(home) :] if text.startswith(home + os.sep) else text


def _print_changes(name: str, changes: list, dry_run: bool) -> None:  # noqa: ANN001 - FileChange is lazy
    click.echo(f"{name}:")
    for change in changes:
        status = change.status if not dry_run or not change.changed else f"would be {change.status}"
        click.echo(f"  {status:<18} {_short(change.path)}  ({', '.join(change.what)})")
        if dry_run and change.changed:
            click.echo(change.diff(), nl=False)


def _report(action: str, results: dict, errors: dict[str, str], dry_run: bool, as_json: bool) -> None:
    """Print what each host got (and what failed); exit 7 when some host's file could not be used."""
    if as_json:
        document: dict = {name: [c.to_dict() for c in changes] for name, changes in results.items()}
        if errors:
            document["errors"] = errors
        emit_json(document)
    else:
        for name, changes in results.items():
            _print_changes(name, changes, dry_run)
        for name, message in errors.items():
            click.echo(f"{name}: not {action}ed: {message}", err=True)
        if dry_run:
            click.echo("Dry run: nothing was written.")
    if errors:
        sys.exit(7)


def _run_install(
    hosts: tuple[str, ...], project: bool, dry_run: bool, as_json: bool, gateway: str | None, autostart: bool
) -> None:
    from llm_router.errors import HostConfigError
    from llm_router.hosts import installer
    from llm_router.hosts.base import InstallOptions, Target

    target, state = _target(project), paths.home()
    names = _hosts(hosts)
    if gateway is not None and project and "codex" in names:
        from llm_router.hosts.codex import PROJECT_GATEWAY_REFUSED

        raise click.UsageError(PROJECT_GATEWAY_REFUSED)
    jobs = [(h, InstallOptions(gateway if h in installer.GATEWAY_HOSTS else None)) for h in names]
    if autostart:
        jobs.append(("autostart", InstallOptions(gateway)))
    results, errors = {}, {}
    for name, options in jobs:  # each host is planned whole before any of its files is written
        job_target = Target(target.home) if name == "autostart" else target
        try:
            results[name] = installer.install(name, job_target, state, options=options, dry_run=dry_run)
        except HostConfigError as exc:
            errors[name] = str(exc)
    if not as_json and not dry_run:
        _install_notes(names, results, project, gateway, autostart)
    _report("install", results, errors, dry_run, as_json)


def _install_notes(
    names: list[str], results: dict, project: bool, gateway: str | None, autostart: bool
) -> None:
    """What the user does next: trust Codex's hooks, start the gateway, put llm-router on PATH."""
    import shutil

    from llm_router.hosts import gateway_link
    from llm_router.hosts.installer import GATEWAY_HOSTS

    if "codex" in results:
        click.echo("Codex asks you to trust new hooks once: open /hooks in Codex.")
    if project and shutil.which("llm-router") is None:
        click.echo(
            "Note: the project's files run `llm-router` by name, and it is not on PATH here: install it "
            "where every teammate's shell finds it (e.g. `pipx install llm-routing`), then run "
            "`llm-router doctor`."
        )
    if gateway is None:
        return
    skipped = [n for n in names if n not in GATEWAY_HOSTS]
    if skipped:
        click.echo(f"No gateway mode for {', '.join(skipped)}: installed as usual.")
    if "codex" in results:
        key = gateway_link.CODEX_ENV_KEY
        click.echo(
            f"Codex will not start until {key} is set (its provider's `env_key`); add to your shell "
            f"profile: export {key}=local  (any value for a gateway on this machine; the gateway's --token "
            "when it runs with one)"
        )
    if autostart and "autostart" in results:
        path = results["autostart"][0].path
        click.echo(f"Gateway service written to {_short(path)}. Start it now and at every login with:")
        click.echo(f"  {gateway_link.enable_hint(path)}")
        click.echo(
            "The service does not see your shell's variables: keep provider keys in "
            "~/.llm-router/config.yaml (its env: mapping)."
        )
        return
    serving = gateway_link.read_serve_file(paths.home())
    up, _ = gateway_link.probe(gateway, token=gateway_link.probe_token(gateway, serving))
    if not up:
        click.echo(
            f"The gateway is not running at {gateway}; until it is, requests from these hosts fail. Start it "
            f"with `{gateway_link.start_hint(gateway)}` (or install again with --autostart)."
        )


def _run_uninstall(hosts: tuple[str, ...], project: bool, dry_run: bool, as_json: bool) -> None:
    from llm_router.errors import HostConfigError
    from llm_router.hosts import autostart, installer
    from llm_router.hosts.base import Target

    target, state = _target(project), paths.home()
    results, errors = {}, {}
    for name in _hosts(hosts):
        try:
            results[name] = installer.uninstall(name, target, state, dry_run=dry_run)
        except HostConfigError as exc:
            errors[name] = str(exc)
    home_target = Target(target.home)
    manifest = installer.Manifest(state)
    service_key = installer.Manifest.key("autostart", home_target)
    remaining = [k for k in manifest.gateway_units() if k != service_key]
    if dry_run:  # what the real run would have dropped from the manifest
        remaining = [k for k in remaining if not any(k == installer.Manifest.key(n, target) for n in results)]
    if service_key in manifest.installs and not remaining:
        if autostart.enabled(target.home):
            click.echo(
                "The gateway service is enabled, so its unit file stays: run "
                "`systemctl --user disable --now llm-router.service`, then `llm-router uninstall` again.",
                err=True,
            )
        else:
            try:
                results["autostart"] = installer.uninstall("autostart", home_target, state, dry_run=dry_run)
            except HostConfigError as exc:
                errors["autostart"] = str(exc)
    _report("uninstall", results, errors, dry_run, as_json)


@click.command()
@_host_option
@_project_option
@click.option(
    "--gateway",
    "gateway_flag",
    is_flag=True,
    help="Send Claude Code's and Codex's requests through "
    "the local gateway (`llm-router serve`), which routes each whole request.",
)
@click.option(
    "--gateway-url",
    metavar="URL",
    help="The gateway's address (implies --gateway; default http://127.0.0.1:4141).",
)
@click.option(
    "--autostart",
    is_flag=True,
    help="With --gateway: write a login service (systemd user unit or "
    "launchd agent) that runs the gateway; enabling it is printed, not run.",
)
@click.option("--dry-run", is_flag=True, help="Show the changes as a diff and write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print what changed as JSON.")
def install(
    hosts: tuple[str, ...],
    project: bool,
    gateway_flag: bool,
    gateway_url: str | None,
    autostart: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Register the MCP server and the hooks in a host tool's own settings files.

    Merges with what the files hold (comments and formatting kept), keeps a backup of each file it changes,
    and changes nothing when run twice. With --project, the files a team commits name `llm-router` on PATH
    rather than this machine's paths. A host whose file cannot be read safely is left untouched and reported;
    the others are installed, and the exit code is 7.
    """
    from llm_router.hosts import gateway_link

    gateway = None
    if gateway_flag or gateway_url:
        try:
            gateway = gateway_link.normalise_url(gateway_url or gateway_link.DEFAULT_URL)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--gateway-url") from None
    if autostart and gateway is None:
        raise click.UsageError("--autostart starts the gateway at login: use it with --gateway")
    _run_install(hosts, project, dry_run, as_json, gateway, autostart)


@click.command()
@_host_option
@_project_option
@click.option("--dry-run", is_flag=True, help="Show the changes as a diff and write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print what changed as JSON.")
def uninstall(hosts: tuple[str, ...], project: bool, dry_run: bool, as_json: bool) -> None:
    """Remove exactly what install added (the gateway settings and service too); a file install created is
    removed again, and a file nothing else changed gets its original bytes back."""
    _run_uninstall(hosts, project, dry_run, as_json)


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
@click.option(
    "--gateway", is_flag=True, help="The host's requests go through the gateway: no llm_query advice."
)
def hook(host: str, event: str | None, gateway: bool) -> None:
    """Handle one hook event of HOST (claude-code, codex, gemini-cli, vscode or cursor): its JSON on stdin,
    the host's JSON on stdout. Always exits 0."""
    from llm_router.hosts.hook import main

    sys.exit(main([host] + ([event] if event else []) + (["--gateway"] if gateway else [])))
