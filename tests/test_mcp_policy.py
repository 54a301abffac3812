"""The llm_policy tool: a summary by default and a section on request; `path` reads only policy files of the
known layers and routing policies in the working tree, and never echoes anything of another file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from llm_router.mcp.server import build_server
from llm_router.mcp.session import McpSession
from llm_router.mcp.tool_policy import working_tree
from llm_router.policy.load import load_policy
from llm_router.router import Settings

pytestmark = pytest.mark.anyio

SECRET = "hunter2-do-not-echo"
ACTIONS = ["show", "explain", "validate"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def call(arguments: dict[str, Any], cwd: Path | None = None) -> Any:
    session = McpSession(env=dict(os.environ), cwd=cwd or Path.cwd())
    async with Client(build_server(session)) as client:
        return await client.call_tool("llm_policy", arguments)


def answer_size(result: Any) -> int:
    """Every character the client receives: the text content and the structured content."""
    return sum(len(c.text) for c in result.content) + len(json.dumps(result.structured_content))


def error_text(result: Any) -> str:
    assert result.is_error, result
    return " ".join(c.text for c in result.content)


def merged() -> dict[str, Any]:
    s = Settings()
    return load_policy(env=s.env, cwd=s.cwd, config=None, home=s.home).data


async def test_the_default_answer_is_a_summary_under_20k_characters() -> None:
    result = await call({})
    assert not result.is_error, result.content
    assert answer_size(result) < 20_000
    assert result.structured_content["section"] == "summary"


async def test_the_summary_counts_the_classifier_signals_instead_of_listing_their_words() -> None:
    policy = (await call({})).structured_content["policy"]
    assert policy["classifier"]["signals"] == len(merged()["classifier"]["signals"])
    assert "kubernetes" not in json.dumps(policy)


async def test_the_summary_lists_every_rule_with_where_it_is_written() -> None:
    rules = (await call({})).structured_content["policy"]["rules"]
    assert [r["id"] for r in rules] == [r["id"] for r in merged()["rules"]]
    assert all(r["at"].endswith(tuple("0123456789")) and "default.yaml:" in r["at"] for r in rules)


@pytest.mark.parametrize("section", ["rules", "chains", "budgets", "classifier", "fallback"])
async def test_a_section_is_returned_whole(section: str) -> None:
    report = (await call({"section": section})).structured_content
    assert report["policy"] == {section: merged()[section]}
    assert all(p == f"/{section}" or p.startswith(f"/{section}/") for p in report["provenance"])


async def test_the_knobs_section_gives_each_knob_and_where_it_was_set() -> None:
    report = (await call({"section": "knobs"})).structured_content
    assert report["policy"]["profile"] == "balanced"
    assert report["provenance"]["/profile"].split(":")[0].endswith("default.yaml")


async def test_a_section_outside_show_is_an_error() -> None:
    assert "section applies to action show only" in error_text(
        await call({"action": "validate", "section": "rules"})
    )


async def test_an_unknown_section_is_an_error() -> None:
    assert "section" in error_text(await call({"section": "everything"}))


@pytest.mark.parametrize("action", ACTIONS)
async def test_a_file_outside_the_working_tree_is_refused_without_echoing_it(
    action: str, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere" / "routing.yaml"
    outside.parent.mkdir()
    outside.write_text(f"version: 1\nprofile: {SECRET}\n")
    text = error_text(await call({"action": action, "path": str(outside), "prompt": "hi"}))
    assert "reads only the policy files of the known layers" in text
    assert SECRET not in text


async def test_a_symlink_in_the_working_tree_to_a_file_outside_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "shadow"
    outside.write_text(f"root:{SECRET}:19000:0:99999:7:::\n")
    (Path.cwd() / "policy.yaml").symlink_to(outside)
    text = error_text(await call({"action": "validate", "path": "policy.yaml"}))
    assert "is neither" in text and SECRET not in text


@pytest.mark.parametrize(
    "content",
    [
        f"services:\n  db:\n    environment: {{PASSWORD: {SECRET}}}\n",
        f"version: 1\n{SECRET}: true\n",
        f"password: [{SECRET}\n",
        f"- {SECRET}\n",
    ],
    ids=["foreign-keys", "one-foreign-key", "broken-yaml", "a-list"],
)
@pytest.mark.parametrize("action", ACTIONS)
async def test_a_yaml_file_in_the_working_tree_that_is_no_policy_is_refused_without_echoing_it(
    content: str, action: str
) -> None:
    (Path.cwd() / "compose.yaml").write_text(content)
    text = error_text(await call({"action": action, "path": "compose.yaml", "prompt": "hi"}))
    assert "'compose.yaml' is not a routing policy" in text
    assert SECRET not in text and "password" not in text.lower()


async def test_a_file_that_is_not_yaml_by_name_is_refused() -> None:
    (Path.cwd() / "notes.txt").write_text("version: 1\n")
    assert "is neither" in error_text(await call({"action": "validate", "path": "notes.txt"}))


async def test_a_policy_in_the_working_tree_is_validated_with_located_problems() -> None:
    (Path.cwd() / "team.yaml").write_text("version: 1\nprofile: luxurious\n")
    report = (await call({"action": "validate", "path": "team.yaml"})).structured_content
    assert report["valid"] is False
    assert any("team.yaml:2:10" in p and "luxurious" in p for p in report["problems"])


async def test_the_user_policy_is_readable_although_it_is_outside_the_working_tree(home: Path) -> None:
    user = home / ".llm-router" / "routing.yaml"
    user.parent.mkdir(parents=True)
    user.write_text("version: 1\nprofile: premium\n")
    report = (await call({"section": "knobs", "path": str(user)})).structured_content
    assert report["policy"]["profile"] == "premium"


async def test_a_folder_extended_by_the_user_policy_is_readable(home: Path, tmp_path: Path) -> None:
    team = tmp_path / "team-policy"
    team.mkdir()
    (team / "routing.yaml").write_text("version: 1\nenforce: hard\n")
    user = home / ".llm-router" / "routing.yaml"
    user.parent.mkdir(parents=True)
    user.write_text(f"version: 1\nextends: [{team}]\n")
    report = (await call({"action": "validate", "path": str(team / "routing.yaml")})).structured_content
    assert report == {"action": "validate", "valid": True, "problems": []}


def test_the_root_and_home_folders_are_no_working_tree(home: Path, tmp_path: Path) -> None:
    env = {"HOME": str(home)}
    assert working_tree(McpSession(env=env, cwd=Path("/"))) is None
    assert working_tree(McpSession(env=env, cwd=home)) is None
    assert working_tree(McpSession(env=env, cwd=home.parent)) is None
    assert working_tree(McpSession(env=env, cwd=Path.cwd())) == Path.cwd().resolve()


async def test_in_the_home_folder_no_yaml_file_there_is_read(home: Path) -> None:
    (home / "routing.yaml").write_text(f"version: 1\nprofile: {SECRET}\n")
    text = error_text(await call({"action": "validate", "path": str(home / "routing.yaml")}, cwd=home))
    assert "is neither" in text and SECRET not in text


async def test_the_text_content_is_the_structured_answer_without_indentation() -> None:
    result = await call({})
    text = result.content[0].text
    assert json.loads(text) == result.structured_content and "\n" not in text
