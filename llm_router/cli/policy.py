"""`llm-router policy`: validate, show, explain, test and lint routing policies."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from llm_router.cli.common import CONFIG_OPTION, JSON_OPTION, emit_json
from llm_router.decision import HOSTS, Request
from llm_router.errors import PolicyError, PolicyTestFailed


@click.group()
def policy() -> None:
    """Validate, show, explain, test and lint routing policies.

    Policies layer: built-in defaults, each `extends`, ~/.llm-router/routing.yaml, .llm-router.yaml in this
    folder or a parent, LLM_ROUTER_PROFILE/POLICY/ENFORCE/MODE, then --config.
    """


@policy.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@JSON_OPTION
def validate(paths: tuple[Path, ...], as_json: bool) -> None:
    """Check policy files (default: the policy as layered now). Exit 3 when any is invalid.

    Each PATH is checked as if it were given with --config: on top of the built-in defaults and your files.
    Every problem is printed as FILE:LINE:COL: code /json/pointer: message (hint). Regexes that can
    backtrack catastrophically (nested quantifiers) are warnings: they do not change the exit code.
    """
    from llm_router import router
    from llm_router.policy.lint import pattern_warnings
    from llm_router.policy.load import load_policy

    targets: list[Path | None] = list(paths) or [None]
    results: list[dict[str, Any]] = []
    for path in targets:
        try:
            s = router.Settings(config=path)
            cp = router.load(s)
            found = pattern_warnings(cp)
            if found:
                loaded = load_policy(env=s.env, cwd=s.cwd, config=s.config, home=s.home)
                warnings = [loaded.locate(issue) for issue in found]
            results.append(
                {
                    "path": str(path or "(layered policy)"),
                    "ok": True,
                    "revision": cp.revision,
                    "problems": [],
                    "warnings": [w.to_dict() for w in warnings] if found else [],
                    "text": "\n".join(f"warning: {w}" for w in warnings) if found else "",
                }
            )
        except PolicyError as exc:
            results.append(
                {
                    "path": str(path or "(layered policy)"),
                    "ok": False,
                    "problems": [p.to_dict() for p in exc.problems],
                    "text": str(exc),
                }
            )
    if as_json:
        emit_json(results)
    else:
        for r in results:
            if r["ok"]:
                if r["text"]:
                    click.echo(r["text"], err=True)
                click.echo(f"ok: {r['path']} (revision {r['revision']})")
            else:
                click.echo(r["text"], err=True)
    bad = [r for r in results if not r["ok"]]
    if bad:
        count = sum(len(r["problems"]) for r in bad)
        if not as_json:
            click.echo(f"{count} problem(s) in {len(bad)} of {len(results)} policy(ies)", err=True)
        raise SystemExit(PolicyError.exit_code)


@policy.command()
@CONFIG_OPTION
@JSON_OPTION
def show(config: Path | None, as_json: bool) -> None:
    """Print the merged policy, each value with the file and line it came from."""
    from llm_router.policy.load import load_policy
    from llm_router.router import Settings

    s = Settings(config=config)
    loaded = load_policy(env=s.env, cwd=s.cwd, config=s.config, home=s.home)
    provenance = loaded.provenance()
    if as_json:
        emit_json(
            {
                "revision": loaded.revision,
                "sources": [_source(src) for src in loaded.sources],
                "policy": loaded.data,
                "provenance": provenance,
            }
        )
        return
    click.echo(f"# revision {loaded.revision}; layers, lowest first:")
    for src in loaded.sources:
        click.echo(f"#   {_source(src)['name']}")
    for pointer, value in _leaves(loaded.data, ""):
        where = provenance.get(pointer) or _nearest(provenance, pointer)
        click.echo(
            f"{pointer} = {json.dumps(value, ensure_ascii=False)}" + (f"    # {where}" if where else "")
        )


@policy.command()
@click.argument("prompt")
@click.option("--host", type=click.Choice(HOSTS), default="cli", show_default=True)
@CONFIG_OPTION
@JSON_OPTION
def explain(prompt: str, host: str, config: Path | None, as_json: bool) -> None:
    """Show how PROMPT is classified and how each rule saw it (PROMPT `-` reads it from stdin)."""
    from llm_router import router
    from llm_router.cli.prompt import read_prompt
    from llm_router.cli.route import render

    prompt = read_prompt(prompt)
    settings = router.Settings(config=config)
    cp = router.load(settings)
    decision = router.decide(Request(prompt=prompt, host=host), settings=settings, policy=cp)
    features = cp.classifier.classify(prompt)
    if as_json:
        out = decision.to_dict(full_trace=True)
        out["contributions"] = [{"what": w, "effect": round(e, 4)} for w, e in features.contributions]
        emit_json(out)
        return
    click.echo(render(decision))
    click.echo("\nclassifier (what raised or lowered the difficulty):")
    for what, effect in features.contributions:
        click.echo(f"  {effect:+.3f}  {what}")
    if decision.second_stage is not None:
        click.echo("\nsecond stage (classifier.llm):")
        for line in second_stage_lines(decision.second_stage):
            click.echo(f"  {line}")
    click.echo("\nrules, in order:")
    for step in decision.trace:
        mark = "MATCH" if step.matched else "  -  "
        saw = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in step.to_dict()["saw"].items())
        click.echo(f"  {mark} {step.rule}  ({step.location})  when {step.when}")
        if saw:
            click.echo(f"          saw {saw}")
        if step.effect:
            click.echo(f"          -> {step.effect}")
        if step.note:
            click.echo(f"          note: {step.note}")


@policy.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--coverage", is_flag=True, help="List the rules no case reached.")
@CONFIG_OPTION
@JSON_OPTION
def test_cmd(paths: tuple[Path, ...], coverage: bool, config: Path | None, as_json: bool) -> None:
    """Run YAML policy test suites (files, or folders searched for *.test.yaml).

    With no PATH, the suites are looked for only in the conventional places: ./tests, and each policy
    folder (~/.llm-router, the folder of the project's .llm-router.yaml, the folder of --config) with its
    tests/ folder. Exit 0 when every case passes, 4 when some fail, 3 when a suite or its policy is invalid.
    """
    from llm_router.policy.suite import run_suites
    from llm_router.router import Settings

    settings = Settings(config=config)
    if paths:
        files = _suite_files([(p, True) for p in paths])
    else:
        places = default_suite_places(settings)
        files = _suite_files(places)
        if not files:
            looked = ", ".join(dict.fromkeys(str(folder) for folder, recursive in places if recursive))
            raise click.UsageError(f"no test suites (*.test.yaml) in {looked}: give a suite file or folder")
    report = run_suites(files, settings=settings)
    if as_json:
        emit_json(report.to_dict())
    else:
        click.echo(report.render(coverage=coverage))
    if not report.ok:
        raise PolicyTestFailed(f"{report.failed} of {report.total} case(s) failed")


@policy.command()
@CONFIG_OPTION
@JSON_OPTION
def lint(config: Path | None, as_json: bool) -> None:
    """Find rules that can never decide, models no price is known for, budgets that never apply.

    Exit 0 when clean, 1 when there are findings.
    """
    from llm_router import router
    from llm_router.policy.lint import lint_policy
    from llm_router.policy.load import load_policy

    s = router.Settings(config=config)
    loaded = load_policy(env=s.env, cwd=s.cwd, config=s.config, home=s.home)
    cp = router.load(s)
    findings = [loaded.locate(issue) for issue in lint_policy(cp)]
    if as_json:
        emit_json([f.to_dict() for f in findings])
    else:
        for f in findings:
            click.echo(str(f))
        click.echo(f"{len(findings)} finding(s)" if findings else "no findings")
    if findings:
        raise SystemExit(1)


@policy.command()
@click.argument("name", type=click.Choice(["routing", "policy-test"]), default="routing")
def schema(name: str) -> None:
    """Print the JSON Schema of routing policies (or of policy test suites, NAME policy-test).

    Editors complete and check a policy that starts with `# yaml-language-server: $schema=URL` (the `$id`
    printed here); `llm-router policy init` writes that line.
    """
    from llm_router.policy.starter import schema_path

    click.echo(schema_path(name).read_text(encoding="utf-8"), nl=False)


@policy.command()
@click.option(
    "--project", is_flag=True, help="Write .llm-router.yaml in this folder instead of your own file."
)
def init(project: bool) -> None:
    """Write a starter policy: ~/.llm-router/routing.yaml, or with --project .llm-router.yaml here.

    It starts with the yaml-language-server schema line, so editors complete and check it (your own file
    points at this installation's schema; a project's file, which teammates share, at the published one).
    An existing file is never overwritten.
    """
    from llm_router.policy.load import PROJECT_FILE, USER_FILE
    from llm_router.policy.starter import starter, write_new
    from llm_router.router import Settings

    settings = Settings()
    target = settings.cwd / PROJECT_FILE if project else settings.home / USER_FILE
    write_new(target, starter(shared=project), private=not project)
    click.echo(f"wrote {target}")
    click.echo("next: edit it, then `llm-router policy validate` and `llm-router policy show`")


def default_suite_places(settings: Any) -> list[tuple[Path, bool]]:
    """Where `policy test` looks with no PATH, as (folder, searched recursively): ./tests, and each policy
    folder's own *.test.yaml and tests/ folder. Never the whole working tree."""
    from llm_router.policy.load import find_project_file

    folders = [settings.home]
    project = find_project_file(settings.cwd)
    if project is not None:
        folders.append(project.parent)
    if settings.config is not None:
        folders.append((settings.cwd / Path(settings.config).expanduser()).parent)
    places = [(settings.cwd / "tests", True)]
    for folder in folders:
        places += [(folder, False), (folder / "tests", True)]
    return places


def _suite_files(places: list[tuple[Path, bool]]) -> list[Path]:
    """The suite files of each place (a file, or a folder searched for *.test.yaml), each once."""
    files: dict[Path, Path] = {}
    for place, recursive in places:
        if place.is_dir():
            found = place.rglob("*.test.yaml") if recursive else place.glob("*.test.yaml")
            for file in sorted(found):
                files.setdefault(file.resolve(), file)
        elif place.exists():
            files.setdefault(place.resolve(), place)
    return list(files.values())


def _source(src: Any) -> dict[str, Any]:
    return {"name": getattr(src, "name", str(src)), "sha256": getattr(src, "sha256", None)}


def _leaves(value: Any, pointer: str) -> list[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        out = []
        for k, v in value.items():
            out.extend(_leaves(v, f"{pointer}/{str(k).replace('~', '~0').replace('/', '~1')}"))
        return out
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        out = []
        for i, v in enumerate(value):
            out.extend(_leaves(v, f"{pointer}/{i}"))
        return out
    return [(pointer or "/", value)]


def _nearest(provenance: dict[str, str], pointer: str) -> str:
    while pointer:
        pointer = pointer.rsplit("/", 1)[0]
        if pointer in provenance:
            return provenance[pointer]
    return ""


def second_stage_lines(stage: Mapping[str, Any]) -> list[str]:
    """What the second-stage classifier did, as `policy explain` prints it."""
    if not stage.get("ran"):
        return [f"not run: {stage.get('why', '')}"]
    lines = []
    for a in stage.get("attempts", ()):
        spent = f" (${a['cost_usd']:.6f}, {a['latency_s']:.2f}s)" if "cost_usd" in a else ""
        error = f": {a['error']}" if a.get("error") else ""
        lines.append(f"asked {a['model']}: {a['outcome']}{spent}{error}")
    said = stage.get("said")
    if said:
        source = "cached answer of" if stage.get("cached") else "answer of"
        words = ", ".join(f"{k}={json.dumps(v)}" for k, v in said.items())
        lines.append(f"took the {source} {stage.get('model')}: {words}")
    else:
        lines.append(stage.get("why", "no answer taken"))
    if stage.get("store"):
        lines.append(f"note: {stage['store']}")
    return lines


def _register_team_commands() -> None:
    """`init-team` and `diff` live in their own module (cli/policy_team.py)."""
    from llm_router.cli.policy_team import diff, init_team

    policy.add_command(init_team)
    policy.add_command(diff)


_register_team_commands()
