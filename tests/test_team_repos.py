"""Team policy repositories: `policy init-team`, `extends:` of a checked-out team folder from the user and
project files, and `policy diff` of two policies over a prompt set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from llm_router import router
from llm_router.cli import cli
from llm_router.decision import Request

TEAM_RULE = """
rules:
  - id: deploys-are-complex
    when: "contains(prompt, 'deploy')"
    then: {route: complex, reason: deployment questions get the complex tier}
"""
PROMPTS = ["how do I deploy this service?", "what is 2+2?", "deploy the app to staging", "hi there!"]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


# -- init-team ---------------------------------------------------------------------------------------------


def test_init_team_writes_the_policy_its_tests_prompts_and_ci(tmp_path: Path) -> None:
    result = run("policy", "init-team", str(tmp_path / "team"))
    assert result.exit_code == 0, result.output
    files = sorted(
        str(p.relative_to(tmp_path / "team")) for p in (tmp_path / "team").rglob("*") if p.is_file()
    )
    assert files == [
        ".github/workflows/policy.yml",
        "README.md",
        "routing.yaml",
        "tests/prompts.txt",
        "tests/routing.test.yaml",
    ]


def test_the_ci_workflow_validates_tests_with_coverage_and_lints(tmp_path: Path) -> None:
    run("policy", "init-team", str(tmp_path / "team"))
    workflow = yaml.safe_load((tmp_path / "team/.github/workflows/policy.yml").read_text())
    commands = [step.get("run", "") for step in workflow["jobs"]["policy"]["steps"]]
    for expected in ("policy validate", "policy test tests --coverage", "policy lint", "policy diff"):
        assert any(expected in c for c in commands), expected


@pytest.mark.parametrize(
    "command",
    [
        ["policy", "validate", "routing.yaml"],
        ["policy", "test", "tests", "--coverage"],
        ["policy", "lint", "--config", "routing.yaml"],
    ],
    ids=["validate", "test", "lint"],
)
def test_a_new_team_repository_passes_its_own_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    run("policy", "init-team", str(tmp_path / "team"))
    monkeypatch.chdir(tmp_path / "team")
    result = run(*command)
    assert result.exit_code == 0, result.output


def test_init_team_never_overwrites_and_then_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "routing.yaml").write_text("profile: budget\n")
    result = run("policy", "init-team", str(tmp_path / "team"))
    assert result.exit_code == 1
    assert "already exists" in result.output and "routing.yaml" in result.output
    assert (tmp_path / "team" / "routing.yaml").read_text() == "profile: budget\n"
    assert sorted(p.name for p in (tmp_path / "team").iterdir()) == ["routing.yaml"]


def test_init_team_json_lists_what_it_created(tmp_path: Path) -> None:
    result = run("policy", "init-team", str(tmp_path / "team"), "--json")
    assert json.loads(result.output)["created"][0].endswith("routing.yaml")


def test_init_team_help_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path / "empty")
    assert run("policy", "init-team", "--help").exit_code == 0
    assert list((tmp_path / "empty").iterdir()) == []


# -- extends: a checked-out team folder ----------------------------------------------------------------------


@pytest.fixture
def team(tmp_path: Path) -> Path:
    """A team policy folder as a member checks it out, whose routing.yaml extends a file of its own."""
    folder = tmp_path / "checkouts" / "team-policy"
    folder.mkdir(parents=True)
    (folder / "base.yaml").write_text("profile: budget\n")
    (folder / "routing.yaml").write_text("extends: [base.yaml]\n" + TEAM_RULE)
    return folder


def decided_by(prompt: str) -> tuple[str, str]:
    cp = router.load(router.Settings())
    d = router.decide(Request(prompt), policy=cp)
    return d.rule, cp.profile


def test_the_user_file_extends_a_team_folder_by_relative_path(team: Path, home: Path) -> None:
    user = home / ".llm-router"
    user.mkdir()
    relative = Path("..", "..", "checkouts", "team-policy")  # from home/.llm-router to the checkout
    (user / "routing.yaml").write_text(f"extends: [{relative.as_posix()}]\n")
    assert decided_by("deploy the app") == ("deploys-are-complex", "budget")


def test_the_user_file_extends_a_team_folder_under_home(tmp_path: Path, home: Path) -> None:
    folder = home / "src" / "team-policy"
    folder.mkdir(parents=True)
    (folder / "routing.yaml").write_text(TEAM_RULE)
    (home / ".llm-router").mkdir()
    (home / ".llm-router" / "routing.yaml").write_text("extends: ['~/src/team-policy']\n")
    assert decided_by("deploy the app")[0] == "deploys-are-complex"


def test_a_project_file_extends_a_vendored_team_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    (project / "vendor" / "team-policy").mkdir(parents=True)
    (project / "vendor" / "team-policy" / "routing.yaml").write_text(TEAM_RULE)
    (project / ".llm-router.yaml").write_text("extends: [vendor/team-policy]\n")
    (project / "src").mkdir()
    monkeypatch.chdir(project / "src")  # the project file is found from a subfolder too
    assert decided_by("deploy the app")[0] == "deploys-are-complex"


def test_the_project_file_layers_over_the_team_folder_the_user_extends(
    team: Path, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (home / ".llm-router").mkdir()
    (home / ".llm-router" / "routing.yaml").write_text(f"extends: ['{team}']\n")
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / ".llm-router.yaml").write_text("profile: premium\n")
    monkeypatch.chdir(tmp_path / "project")
    assert decided_by("deploy the app") == ("deploys-are-complex", "premium")


def test_an_edit_to_the_checked_out_team_folder_is_seen_next_time(team: Path, home: Path) -> None:
    (home / ".llm-router").mkdir()
    (home / ".llm-router" / "routing.yaml").write_text(f"extends: ['{team}']\n")
    assert decided_by("deploy the app")[1] == "budget"
    (team / "base.yaml").write_text("profile: premium\n")  # a `git pull` of the team repository
    assert decided_by("deploy the app")[1] == "premium"


def test_a_missing_team_folder_is_a_located_error(home: Path) -> None:
    (home / ".llm-router").mkdir()
    (home / ".llm-router" / "routing.yaml").write_text("extends: [../nowhere/team-policy]\n")
    result = run("route", "hi")
    assert result.exit_code == 3
    assert "routing.yaml:1:" in result.output and "missing-file" in result.output


# -- policy diff ------------------------------------------------------------------------------------------


@pytest.fixture
def prompts(tmp_path: Path) -> Path:
    path = tmp_path / "prompts.jsonl"
    path.write_text("".join(json.dumps({"prompt": p}) + "\n" for p in PROMPTS))
    return path


def diff_json(a: Path, b: Path, prompts: Path) -> dict:
    result = run("policy", "diff", str(a), str(b), "--prompts", str(prompts), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_diff_of_aggressive_and_conservative_lists_the_moved_prompts(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("policy: aggressive\n")
    (tmp_path / "b.yaml").write_text("policy: conservative\n")
    data = Path(__file__).parent / "data" / "prompts40.jsonl"
    out = diff_json(tmp_path / "a.yaml", tmp_path / "b.yaml", data)
    assert set(out) == {"moved", "counts"}
    assert out["moved"] and out["counts"]["moved"] == len(out["moved"])
    tiers = ("simple", "moderate", "complex", "deep_reasoning")
    index = {t: i for i, t in enumerate(tiers)}
    assert all(index[m["b"]["tier"]] >= index[m["a"]["tier"]] for m in out["moved"])


def test_diff_names_the_deciding_rule_on_each_side(tmp_path: Path, prompts: Path) -> None:
    (tmp_path / "a.yaml").write_text("{}\n")
    (tmp_path / "b.yaml").write_text(TEAM_RULE)
    moved = diff_json(tmp_path / "a.yaml", tmp_path / "b.yaml", prompts)["moved"]
    assert [m["prompt"] for m in moved] == [
        p for p in PROMPTS if "deploy" in p and _not_complex_by_default(p)
    ]
    for m in moved:
        assert m["b"]["rule"] == "deploys-are-complex" and m["b"]["rule_location"].endswith("b.yaml:3")
        assert m["a"]["rule"] != "deploys-are-complex"


def _not_complex_by_default(prompt: str) -> bool:
    return router.decide(Request(prompt)).tier != "complex"


def test_diff_counts_each_tier_chain_head_and_action_on_both_sides(tmp_path: Path, prompts: Path) -> None:
    (tmp_path / "a.yaml").write_text("{}\n")
    (tmp_path / "b.yaml").write_text(TEAM_RULE)
    counts = diff_json(tmp_path / "a.yaml", tmp_path / "b.yaml", prompts)["counts"]
    assert counts["prompts"] == len(PROMPTS)
    for key in ("tier", "chain_head", "action"):
        for side in ("a", "b"):
            assert sum(n[side] for n in counts[key].values()) == len(PROMPTS)
    assert counts["tier"]["complex"]["b"] >= 2


def test_diff_takes_team_folders(team: Path, tmp_path: Path, prompts: Path) -> None:
    (tmp_path / "a.yaml").write_text("{}\n")
    out = diff_json(tmp_path / "a.yaml", team, prompts)
    assert out["counts"]["chain_head"]  # the budget profile's chains on side b
    assert any(m["b"]["rule"] == "deploys-are-complex" for m in out["moved"])


def test_diff_of_a_policy_with_itself_moves_nothing(tmp_path: Path, prompts: Path) -> None:
    (tmp_path / "a.yaml").write_text(TEAM_RULE)
    assert diff_json(tmp_path / "a.yaml", tmp_path / "a.yaml", prompts)["moved"] == []


def test_diff_reads_plain_text_one_prompt_per_line(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("{}\n")
    (tmp_path / "b.yaml").write_text(TEAM_RULE)
    (tmp_path / "prompts.txt").write_text("\n".join(PROMPTS) + "\n\n")
    out = diff_json(tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "prompts.txt")
    assert out["counts"]["prompts"] == len(PROMPTS)
    assert {m["line"] for m in out["moved"]} <= {1, 3}


def test_diff_text_shows_counts_and_moved_prompts_with_rules(tmp_path: Path, prompts: Path) -> None:
    (tmp_path / "a.yaml").write_text("{}\n")
    (tmp_path / "b.yaml").write_text(TEAM_RULE)
    result = run(
        "policy", "diff", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"), "--prompts", str(prompts)
    )
    assert result.exit_code == 0
    assert f"{len(PROMPTS)} prompt(s)" in result.output
    assert "tier" in result.output and "chain head" in result.output and "moved:" in result.output
    assert "B: complex" in result.output and "by deploys-are-complex" in result.output


def test_a_bad_json_line_is_a_usage_error_naming_it(tmp_path: Path, prompts: Path) -> None:
    (tmp_path / "a.yaml").write_text("{}\n")
    prompts.write_text(prompts.read_text() + '{"text": "no prompt key"}\n')
    result = run(
        "policy", "diff", str(tmp_path / "a.yaml"), str(tmp_path / "a.yaml"), "--prompts", str(prompts)
    )
    assert result.exit_code == 2
    assert f"prompts.jsonl:{len(PROMPTS) + 1}" in result.output and '"prompt"' in result.output


def test_an_invalid_policy_side_exits_3_with_its_location(tmp_path: Path, prompts: Path) -> None:
    (tmp_path / "a.yaml").write_text("{}\n")
    (tmp_path / "b.yaml").write_text("rules: [{id: x, when: 'nosuchname', then: {route: simple}}]\n")
    result = run(
        "policy", "diff", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"), "--prompts", str(prompts)
    )
    assert result.exit_code == 3 and "b.yaml:1:" in result.output
