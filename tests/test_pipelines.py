"""Pipelines as data: the built-ins load, each step is decided and executed through the one pipeline (the
FakeProvider, called through LiteLLM for real), a failing step stops the run and keeps what finished, and
pipeline files get located errors."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from llm_router import pipelines, router
from llm_router.cli import cli
from llm_router.errors import PolicyError
from llm_router.pipelines.run import InputError
from llm_router.testing import FakeProvider

BUILTIN = Path(__file__).parent.parent / "pipelines"


def planner(prompt: str) -> str:
    """A model that plans when asked to, and otherwise says what it was asked."""
    if "Break this research topic" in prompt:
        return "1. What is the boiling point of water?\n2. Why does altitude change it?\n"
    question = prompt.split("Question: ", 1)[1].splitlines()[0] if "Question: " in prompt else "-"
    return f"finding on {question}"


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        for model in ("gpt-4o-mini", "gpt-5-mini", "gpt-5"):
            provider.script(model, "ok", answer=planner)
        yield provider


def openai_env(fake: FakeProvider) -> dict[str, str]:
    return {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.openai_base}


@pytest.fixture
def settings(fake: FakeProvider, home: Path) -> router.Settings:
    return router.Settings(env=dict(os.environ) | openai_env(fake))


def research(settings: router.Settings, **inputs: str) -> pipelines.Run:
    p = pipelines.load("research", settings.env, settings.cwd)
    return pipelines.run(p, {"topic": "water", **inputs}, settings=settings)


def write_pipeline(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


# -- the built-ins ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["research", "code-review", "doc-draft"])
def test_the_built_in_pipelines_load_and_end_with_a_synthesis(name: str) -> None:
    p = pipelines.load_file(BUILTIN / f"{name}.yaml", "builtin")
    assert p.steps[-1].id == "synthesis" and p.steps[-1].for_each is None


def test_research_plans_searches_each_question_and_synthesises(
    settings: router.Settings, fake: FakeProvider
) -> None:
    result = research(settings)
    assert result.error is None
    assert [s["name"] for s in result.steps] == ["plan", "search", "search", "synthesis"]
    assert all(s["decision_id"] and s["model"].startswith("openai/") for s in result.steps)
    searched = [s["item"] for s in result.steps if s["name"] == "search"]
    assert searched == ["What is the boiling point of water?", "Why does altitude change it?"]
    synthesis_prompt = fake.seen[-1].body["messages"][-1]["content"]
    assert (
        "finding on What is the boiling point" in synthesis_prompt
        and "finding on Why does" in synthesis_prompt
    )


def test_a_step_runs_on_the_tier_it_names(settings: router.Settings) -> None:
    result = research(settings)
    tiers = {s["name"]: (s["tier"], s["model"]) for s in result.steps}
    assert tiers["plan"] == ("moderate", "openai/gpt-5-mini")
    assert tiers["synthesis"] == ("complex", "openai/gpt-5")


def test_a_route_list_falls_to_the_next_when_the_first_chain_has_no_usable_model(
    settings: router.Settings,
) -> None:
    searches = [s for s in research(settings).steps if s["name"] == "search"]
    assert {s["tier"] for s in searches} == {"moderate"}  # no web-grounded provider configured


def test_the_research_chain_searches_when_a_web_grounded_provider_is_configured(
    fake: FakeProvider, home: Path
) -> None:
    fake.script("sonar-pro", "ok", answer=planner)
    env = (
        dict(os.environ)
        | openai_env(fake)
        | {"PERPLEXITY_API_KEY": "p", "PERPLEXITY_API_BASE": fake.openai_base}
    )
    searches = [s for s in research(router.Settings(env=env)).steps if s["name"] == "search"]
    assert {(s["tier"], s["model"]) for s in searches} == {("research", "perplexity/sonar-pro")}


def test_each_call_is_recorded_with_its_decision(settings: router.Settings) -> None:
    from llm_router.store import open_db

    result = research(settings)
    rows = open_db(settings.home / "usage.db").execute("SELECT decision_id, session FROM usage").fetchall()
    assert [r["decision_id"] for r in rows] == [s["decision_id"] for s in result.steps]
    assert {r["session"] for r in rows} == {result.run_id}


def test_rules_see_the_pipeline_step_as_the_event(settings: router.Settings, home: Path) -> None:
    (home / ".llm-router").mkdir(exist_ok=True)
    (home / ".llm-router" / "routing.yaml").write_text(
        "rules:\n  - id: no-synthesis\n    when: \"event == 'pipeline:research/synthesis'\"\n"
        "    then: {action: block, message: not today}\n"
    )
    result = research(settings)
    assert result.failed_step == "synthesis" and "blocked by rule no-synthesis" in str(result.error)
    assert [s["name"] for s in result.steps] == ["plan", "search", "search"]


def test_budget_pressure_moves_a_step_one_tier_down(settings: router.Settings, home: Path) -> None:
    import time

    from llm_router.store import open_db, record
    from llm_router.store.usage import UsageRow

    (home / ".llm-router").mkdir(exist_ok=True)
    (home / ".llm-router" / "routing.yaml").write_text(
        "budgets: [{id: oa, provider: openai, period: day, limit_usd: 1}]\n"
    )
    record(
        open_db(settings.home / "usage.db"), UsageRow(time.time(), "openai/x", "openai", "ok", cost_usd=0.9)
    )
    synthesis = research(settings).steps[-1]
    assert synthesis["tier"] == "moderate"


def test_a_failed_step_falls_back_along_its_chain(fake: FakeProvider, home: Path) -> None:
    fake.script("gpt-5", "500")
    fake.script("claude-sonnet-4-5", "ok", answer="the report")
    env = dict(os.environ) | openai_env(fake) | {"ANTHROPIC_API_KEY": "a", "ANTHROPIC_BASE_URL": fake.url}
    synthesis = research(router.Settings(env=env)).steps[-1]
    assert (synthesis["model"], synthesis["output"]) == ("anthropic/claude-sonnet-4-5", "the report")
    assert synthesis["attempts"] > 1 and fake.count("gpt-5") >= 1


def test_a_step_that_still_fails_stops_the_run_and_keeps_what_finished(
    settings: router.Settings, fake: FakeProvider
) -> None:
    fake.script("gpt-5", "500")
    result = research(settings)
    assert result.failed_step == "synthesis" and result.error is not None and result.error.exit_code == 5
    assert [s["name"] for s in result.steps] == ["plan", "search", "search"]
    assert result.to_dict()["output"] is None and result.to_dict()["status"] == "failed"


def test_a_fan_out_goes_over_at_most_max_items(settings: router.Settings, home: Path) -> None:
    text = (BUILTIN / "research.yaml").read_text().replace("steps:\n", "limits: {max_items: 1}\nsteps:\n", 1)
    write_pipeline(home / ".llm-router" / "pipelines", "research", text)
    assert [s["name"] for s in research(settings).steps] == ["plan", "search", "synthesis"]


# -- inputs and templates --------------------------------------------------------------------------------


def test_a_missing_required_input_is_a_usage_error(settings: router.Settings) -> None:
    p = pipelines.load("research", settings.env, settings.cwd)
    with pytest.raises(InputError, match="needs --input topic") as err:
        pipelines.run(p, {}, settings=settings)
    assert err.value.exit_code == 2


def test_an_unknown_input_is_a_usage_error_naming_the_inputs(settings: router.Settings) -> None:
    with pytest.raises(InputError, match=r"no input subject \(its inputs: topic, questions\)"):
        research(settings, subject="x")


ECHO = """\
inputs:
  text: {required: true}
steps:
  - id: first
    prompt: "say {text} and {{text}} and {\\"json\\": 1}"
  - id: last
    prompt: "{steps.first.output}"
"""


def test_templates_fill_names_once_and_leave_other_braces(
    settings: router.Settings, home: Path, fake: FakeProvider
) -> None:
    write_pipeline(home / ".llm-router" / "pipelines", "echo", ECHO)
    fake.script("gpt-4o-mini", "ok", answer=lambda prompt: prompt)
    fake.script("gpt-5-mini", "ok", answer=lambda prompt: prompt)
    p = pipelines.load("echo", settings.env, settings.cwd)
    result = pipelines.run(p, {"text": "{steps.first.output}"}, settings=settings)
    assert result.steps[0]["output"] == 'say {steps.first.output} and {text} and {"json": 1}'


def test_values_are_cut_to_the_pipelines_limits(
    settings: router.Settings, home: Path, fake: FakeProvider
) -> None:
    write_pipeline(home / ".llm-router" / "pipelines", "echo", "limits: {max_output_chars: 100}\n" + ECHO)
    fake.script("gpt-4o-mini", "ok", answer=lambda prompt: prompt)
    fake.script("gpt-5-mini", "ok", answer=lambda prompt: prompt)
    p = pipelines.load("echo", settings.env, settings.cwd)
    result = pipelines.run(p, {"text": "x" * 5000}, settings=settings)
    assert "more characters cut" in result.steps[0]["output"] and len(result.steps[0]["output"]) < 300


def test_a_prompt_stops_growing_once_past_its_limit(home: Path) -> None:
    import tracemalloc

    from llm_router.pipelines.template import compile_template

    template = compile_template("{a}" * 1000)
    tracemalloc.start()
    try:
        prompt = template.render({"a": "x" * 50_000}, value_limit=20_000, total_limit=100_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    one = 20_000 + len("\n[... 30,000 more characters cut]")
    assert prompt.startswith("x" * 20_000) and prompt.endswith(
        f"[... {1000 * one - 100_000:,} more characters cut]"
    )
    assert peak < 2_000_000  # the whole prompt would be 20 MB


# -- pipeline files ----------------------------------------------------------------------------------------


def problems_of(path: Path) -> list[Any]:
    with pytest.raises(PolicyError) as err:
        pipelines.load_file(path)
    return err.value.problems


def test_an_unknown_name_in_a_prompt_is_located_at_the_name(tmp_path: Path) -> None:
    path = write_pipeline(
        tmp_path, "p", "steps:\n  - id: a\n    prompt: |\n      hello\n      use {steps.b.output} now\n"
    )
    [problem] = problems_of(path)
    assert (problem.code, problem.line, problem.col) == ("unknown-name", 5, 11)


def test_attribute_style_names_are_not_followed(tmp_path: Path) -> None:
    path = write_pipeline(
        tmp_path, "p", 'inputs: {t: {}}\nsteps:\n  - id: a\n    prompt: "{t.upper} {t.__class__}"\n'
    )
    [problem] = problems_of(path)  # {t.__class__} is no name at all: plain text
    assert problem.code == "unknown-name" and "{t.upper}" in problem.message


def test_a_fan_out_over_a_later_step_and_a_last_step_that_fans_out_are_refused(tmp_path: Path) -> None:
    path = write_pipeline(
        tmp_path,
        "p",
        "steps:\n  - id: a\n    for_each: steps.b\n    prompt: x\n  - id: b\n    for_each: steps.a\n"
        '    prompt: "{item} {steps.a.output}"\n',
    )
    assert [p.code for p in problems_of(path)] == ["unknown-step", "last-step-fans-out"]


def test_schema_problems_are_located_like_a_policys(tmp_path: Path) -> None:
    path = write_pipeline(tmp_path, "p", "steps:\n  - id: a\n    promt: x\n")
    codes = {(p.code, p.line) for p in problems_of(path)}
    assert codes == {("required", 2), ("unknown-key", 3)}


def test_a_route_the_policy_does_not_have_is_located_in_the_pipeline(
    settings: router.Settings, tmp_path: Path
) -> None:
    path = write_pipeline(tmp_path, "p", "steps:\n  - id: a\n    route: [moderate, nowhere]\n    prompt: x\n")
    with pytest.raises(PolicyError) as err:
        pipelines.run(pipelines.load_file(path), {}, settings=settings)
    [problem] = err.value.problems
    assert (problem.code, problem.line, problem.pointer) == ("unknown-chain", 3, "/steps/0/route")


HOSTILE = 'steps:\n  - id: only\n    prompt: "the project\'s own research of {topic}"\ninputs: {topic: {}}\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A checked-out repository whose .llm-router/pipelines/ has a `research.yaml` and a `triage.yaml`."""
    root = tmp_path / "project"
    write_pipeline(root / ".llm-router" / "pipelines", "research", HOSTILE)
    write_pipeline(root / ".llm-router" / "pipelines", "triage", "steps:\n  - id: only\n    prompt: x\n")
    (root / "deeper").mkdir()
    return root


def test_a_project_pipeline_does_not_replace_a_built_in_one_and_is_named_as_ignored(
    home: Path, project: Path
) -> None:
    found = pipelines.available(dict(os.environ), project / "deeper")
    assert found["research"][0] == "builtin" and found["triage"][0] == "project"
    [left_out] = pipelines.ignored(dict(os.environ), project / "deeper")
    assert (left_out["name"], left_out["shadows"]) == ("research", "builtin")
    assert left_out["path"] == str(project / ".llm-router" / "pipelines" / "research.yaml")


def test_a_project_pipeline_does_not_replace_a_user_one(home: Path, project: Path) -> None:
    write_pipeline(home / ".llm-router" / "pipelines", "triage", "steps:\n  - id: mine\n    prompt: x\n")
    assert pipelines.available(dict(os.environ), project)["triage"][0] == "user"
    assert [r["shadows"] for r in pipelines.ignored(dict(os.environ), project)] == ["builtin", "user"]


def test_a_user_pipeline_replaces_a_built_in_one(home: Path, tmp_path: Path) -> None:
    write_pipeline(home / ".llm-router" / "pipelines", "research", HOSTILE)
    assert pipelines.available(dict(os.environ), tmp_path)["research"][0] == "user"


# -- the command line and the MCP tools --------------------------------------------------------------------


@pytest.fixture
def cli_env(fake: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in openai_env(fake).items():
        monkeypatch.setenv(name, value)


def test_pipeline_run_json_gives_each_step_with_its_decision(cli_env: None) -> None:
    result = CliRunner().invoke(cli, ["pipeline", "run", "research", "--input", "topic=water", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert len(report["steps"]) >= 2 and all(s["decision_id"] and s["model"] for s in report["steps"])
    assert report["output"] == report["steps"][-1]["output"]
    assert "[1/3] plan" in result.stderr


def test_pipeline_run_that_fails_prints_what_finished_and_exits_5(cli_env: None, fake: FakeProvider) -> None:
    fake.script("gpt-5", "500")
    result = CliRunner().invoke(cli, ["pipeline", "run", "research", "--input", "topic=water", "--json"])
    report = json.loads(result.stdout)
    assert result.exit_code == 5 and len(report["steps"]) == 3
    assert (report["error"]["code"], report["error"]["step"]) == ("providers-failed", "synthesis")


def test_pipeline_list_shows_the_built_ins(cli_env: None) -> None:
    out = CliRunner().invoke(cli, ["pipeline", "list", "--json"]).stdout
    assert {p["name"] for p in json.loads(out)["pipelines"]} >= {"research", "code-review", "doc-draft"}


def test_pipeline_input_from_a_file(cli_env: None, tmp_path: Path, fake: FakeProvider) -> None:
    (tmp_path / "change.diff").write_text("- a\n+ b\n")
    result = CliRunner().invoke(
        cli, ["pipeline", "run", "code-review", "--input", f"code=@{tmp_path / 'change.diff'}", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert "- a\n+ b" in fake.seen[0].body["messages"][-1]["content"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_mcp_orchestrate_runs_a_pipeline_and_templates_lists_them(cli_env: None) -> None:
    from mcp import Client

    from llm_router.mcp.server import build_server
    from llm_router.mcp.session import McpSession

    async with Client(build_server(McpSession(env=dict(os.environ)))) as client:
        listed = await client.call_tool("llm_pipeline_templates", {})
        ran = await client.call_tool(
            "llm_orchestrate", {"pipeline": "research", "inputs": {"topic": "water"}}
        )
    assert "research" in {p["name"] for p in listed.structured_content["report"]["pipelines"]}
    report = ran.structured_content["report"]
    assert report["status"] == "ok" and [s["name"] for s in report["steps"]][0] == "plan"


def test_a_pipeline_step_from_an_mcp_host_is_routed_even_when_it_mentions_the_workspace(
    settings: router.Settings,
) -> None:
    from llm_router.decision import Request

    prompt = "Review this code for security only: fix the failing test in auth.py and run the tests"
    decision = router.decide(
        Request(prompt, host="mcp", event="pipeline:code-review/review"), settings=settings
    )
    assert (decision.action, decision.rule) == ("route", "pipeline-step")


def test_pipeline_run_says_on_stderr_and_in_json_that_the_projects_file_was_ignored(
    cli_env: None, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    result = CliRunner().invoke(cli, ["pipeline", "run", "research", "--input", "topic=water", "--json"])
    report = json.loads(result.stdout)
    assert result.exit_code == 0 and report["steps"][0]["name"] == "plan"
    assert report["ignored"][0]["shadows"] == "builtin" and "is ignored" in result.stderr


def test_pipeline_run_by_path_runs_the_projects_file(
    cli_env: None, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    path = ".llm-router/pipelines/research.yaml"
    result = CliRunner().invoke(cli, ["pipeline", "run", path, "--input", "topic=water", "--json"])
    assert result.exit_code == 0 and [s["name"] for s in json.loads(result.stdout)["steps"]] == ["only"]


@pytest.mark.anyio
async def test_mcp_orchestrate_in_a_project_runs_the_built_in_and_names_the_ignored_file(
    cli_env: None, project: Path
) -> None:
    from mcp import Client

    from llm_router.mcp.server import build_server
    from llm_router.mcp.session import McpSession

    async with Client(build_server(McpSession(env=dict(os.environ), cwd=project))) as client:
        listed = await client.call_tool("llm_pipeline_templates", {})
        ran = await client.call_tool(
            "llm_orchestrate", {"pipeline": "research", "inputs": {"topic": "water"}}
        )
    assert [r["name"] for r in listed.structured_content["report"]["ignored"]] == ["research"]
    report = ran.structured_content["report"]
    assert report["steps"][0]["name"] == "plan" and report["ignored"][0]["shadows"] == "builtin"
