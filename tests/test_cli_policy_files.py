"""Working on policy files from the CLI: where `policy test` looks, what `policy lint` suggests, the schema
editors use (`policy schema`, the modeline of `policy init` and the examples), and shell completion."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from llm_router import paths
from llm_router.cli import cli

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SUITE = """\
policy: {policy}
cases:
  - name: a trivial question is simple
    prompt: "what is 2+2?"
    expect: {{tier: simple}}
"""


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=input)
    return result.exit_code, result.stdout, result.stderr


def suite(path: Path) -> Path:
    """A passing suite file at `path`, testing the built-in policy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SUITE.format(policy=os.path.relpath(paths.policies_dir() / "default.yaml", path.parent)))
    return path


def suites_run(out: str) -> set[str]:
    return {Path(case["file"]).name for case in json.loads(out)["cases"]}


def test_policy_test_without_a_path_runs_the_suites_of_tests_and_not_the_rest_of_the_tree() -> None:
    here = Path.cwd()
    suite(here / "tests" / "deep" / "mine.test.yaml")
    suite(here / "vendor" / "pkg" / "theirs.test.yaml")
    suite(here / "stray.test.yaml")
    code, out, err = run("policy", "test", "--json")
    assert code == 0, err
    assert suites_run(out) == {"mine.test.yaml"}


def test_policy_test_without_a_path_runs_the_suites_of_the_policy_folders(home: Path) -> None:
    suite(home / ".llm-router" / "user.test.yaml")
    suite(home / ".llm-router" / "tests" / "more.test.yaml")
    project = Path.cwd() / "repo"
    (project / "src").mkdir(parents=True)
    (project / ".llm-router.yaml").write_text("version: 1\n")
    suite(project / "project.test.yaml")
    os.chdir(project / "src")
    code, out, err = run("policy", "test", "--json")
    assert code == 0, err
    assert suites_run(out) == {"user.test.yaml", "more.test.yaml", "project.test.yaml"}


def test_policy_test_with_no_suite_in_the_conventional_places_is_a_usage_error_naming_them() -> None:
    suite(Path.cwd() / "elsewhere" / "x.test.yaml")
    code, _, err = run("policy", "test")
    assert code == 2
    assert "no test suites (*.test.yaml) in" in err and str(Path.cwd() / "tests") in err


def test_policy_test_with_a_folder_searches_all_of_it() -> None:
    suite(Path.cwd() / "vendor" / "pkg" / "theirs.test.yaml")
    code, out, _ = run("policy", "test", "vendor", "--json")
    assert code == 0 and suites_run(out) == {"theirs.test.yaml"}


@pytest.fixture
def catch_all(home: Path) -> Path:
    """A user policy whose own first rule always decides, so the built-in rules are never reached."""
    user = home / ".llm-router" / "routing.yaml"
    user.parent.mkdir()
    user.write_text("version: 1\nrules:\n  - {id: all-cheap, when: 'true', then: {route: simple}}\n")
    return user


def test_lint_suggests_disabling_a_built_in_rule_a_user_rule_shadows(catch_all: Path) -> None:
    code, out, _ = run("policy", "lint", "--json")
    findings = [f for f in json.loads(out) if f["code"] == "unreachable-rule"]
    assert code == 1 and findings
    for f in findings:
        rule = re.search(r"rule '([^']+)' is never reached", f["message"])
        assert rule is not None
        assert f"{{id: {rule.group(1)}, disabled: true}}" in f["hint"]
        assert "move" not in f["hint"].replace("cannot be moved", "")


def test_following_the_lint_suggestion_leaves_no_rule_unreachable(catch_all: Path) -> None:
    findings = json.loads(run("policy", "lint", "--json")[1])
    disabled = [m.group(1) for f in findings if (m := re.search(r"`(\{id: .*\})`", f["hint"]))]
    assert len(disabled) == len(findings)
    catch_all.write_text(catch_all.read_text() + "".join(f"  - {d}\n" for d in disabled))
    code, out, err = run("policy", "lint", "--json")
    assert code in (0, 1), err
    assert not [f for f in json.loads(out) if f["code"] == "unreachable-rule"]


def test_lint_suggests_moving_a_user_rule_that_another_user_rule_shadows(tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        "rules:\n"
        "  - {id: first, when: 'true', then: {route: simple}}\n"
        "  - {id: second, when: \"task == 'code'\", then: {route: complex}}\n"
    )
    findings = json.loads(run("policy", "lint", "--config", str(extra), "--json")[1])
    second = next(f for f in findings if "'second' is never reached" in f["message"])
    assert "before: first" in second["hint"] and "disabled" not in second["hint"]


def test_policy_schema_prints_the_routing_schema_with_its_id() -> None:
    code, out, _ = run("policy", "schema")
    schema = json.loads(out)
    assert code == 0
    assert schema["$id"].startswith("https://") and schema["$id"].endswith("/schemas/routing.schema.json")
    assert "rules" in schema["properties"]


def test_policy_schema_of_test_suites_has_its_own_id() -> None:
    schema = json.loads(run("policy", "schema", "policy-test")[1])
    assert schema["$id"].endswith("/schemas/policy-test.schema.json")


def modeline(text: str) -> str:
    first = text.splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema="), first
    return first.split("$schema=", 1)[1]


def test_init_writes_a_valid_user_policy_that_points_editors_at_the_installed_schema(home: Path) -> None:
    code, out, _ = run("policy", "init")
    user = home / ".llm-router" / "routing.yaml"
    assert code == 0 and str(user) in out
    assert Path(modeline(user.read_text())) == paths.schemas_dir() / "routing.schema.json"
    assert user.stat().st_mode & 0o777 == 0o600
    assert run("policy", "validate", str(user))[0] == 0


def test_init_project_writes_a_shared_file_pointing_at_the_published_schema() -> None:
    code, _, _ = run("policy", "init", "--project")
    project = Path.cwd() / ".llm-router.yaml"
    schema_id = json.loads(run("policy", "schema")[1])["$id"]
    assert code == 0 and modeline(project.read_text()) == schema_id
    assert str(paths.schemas_dir()) not in project.read_text()
    assert run("policy", "validate")[0] == 0


@pytest.mark.parametrize("project", [False, True])
def test_init_never_overwrites_a_policy(project: bool, home: Path) -> None:
    target = Path.cwd() / ".llm-router.yaml" if project else home / ".llm-router" / "routing.yaml"
    target.parent.mkdir(exist_ok=True)
    target.write_text("profile: premium\n")
    code, _, err = run("policy", "init", *(["--project"] if project else []))
    assert code == 1 and "already exists" in err
    assert target.read_text() == "profile: premium\n"


def test_the_starter_examples_are_valid_when_uncommented(home: Path) -> None:
    run("policy", "init")
    user = home / ".llm-router" / "routing.yaml"
    # Commented-out settings start with a lower-case key, a dash or indentation; prose with a capital.
    text = re.sub(r"(?m)^# (?=[a-z\s-])(?!yaml-language-server)", "", user.read_text())
    assert yaml.safe_load(text).keys() >= {"profile", "chains", "budgets", "rules"}
    user.write_text(text)
    code, _, err = run("policy", "validate", str(user))
    assert code == 0, err


@pytest.mark.parametrize(
    ("example", "schema"),
    [
        ("routing.yaml", "routing"),
        ("team-policy/routing.yaml", "routing"),
        ("team-policy/tests/routing.test.yaml", "policy-test"),
    ],
)
def test_the_examples_start_with_the_schema_line(example: str, schema: str) -> None:
    schema_id = json.loads(run("policy", "schema", schema)[1])["$id"]
    assert modeline((EXAMPLES / example).read_text()) == schema_id


def test_doctor_help_does_not_claim_to_write_files() -> None:
    out = run("doctor", "--help")[1]
    assert "Write" not in out and "no host or policy file is changed" in out


def test_hook_help_names_its_host_argument() -> None:
    out = run("hook", "--help")[1]
    assert "hook [OPTIONS] HOST [EVENT]" in out and "claude-code" in out


def complete(words: str, shell: str = "bash") -> list[str]:
    """What `llm-router`'s shell completion offers for the command line `words` (its last word typed)."""
    parts = words.split(" ")
    env = dict(os.environ) | {
        "_LLM_ROUTER_COMPLETE": f"{shell}_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(parts) - 1),
    }
    proc = subprocess.run(["llm-router"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return [line.split(",", 1)[1] for line in proc.stdout.splitlines() if "," in line]


def test_completion_script_is_printed_for_bash() -> None:
    env = dict(os.environ) | {"_LLM_ROUTER_COMPLETE": "bash_source"}
    proc = subprocess.run(["llm-router"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "complete -o nosort -F _llm_router_completion llm-router" in proc.stdout


def test_completion_offers_the_lazily_loaded_commands_and_their_subcommands() -> None:
    assert complete("llm-router pol") == ["policy"]
    assert {"validate", "init", "schema", "test"} <= set(complete("llm-router policy "))
    assert complete("llm-router hook ") == ["claude-code", "codex", "gemini-cli", "vscode", "cursor"]
    assert "--since" in complete("llm-router usage --")
