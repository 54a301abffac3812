"""Bulk file work on a temporary git repository: find respects .gitignore, edits come back as diffs that
apply, a dry run writes nothing, paths outside the root are refused, undo restores. The model is the
FakeProvider, called through LiteLLM for real, answering diffs of the file in its prompt."""

from __future__ import annotations

import difflib
import importlib
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from llm_router import router
from llm_router.cli import cli
from llm_router.errors import RouterError
from llm_router.fs import Workspace, WorkspaceError, analyze, edit_many, find, undo, undo_entries
from llm_router.testing import FakeProvider

APP = '''\
"""The app."""

from util import helper


def load_config(path):
    return open(path).read()


def main():
    return helper(load_config("app.toml"))
'''
UTIL = '''\
def helper(text):
    """Uses load_config's output."""
    return text.strip()
'''


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with code, an ignored build folder and log, and a binary file."""
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text(APP)
    (root / "src" / "util.py").write_text(UTIL)
    (root / "README.md").write_text("Call load_config() first.\n")
    (root / ".gitignore").write_text("build/\n*.log\n")
    (root / "build").mkdir()
    (root / "build" / "app.py").write_text("load_config = None\n")
    (root / "debug.log").write_text("load_config failed\n")
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00load_config")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "init")
    return root


def rename_diff(prompt: str) -> str:
    """What a good model answers: a unified diff renaming load_config to read_config in the file shown."""
    path = re.search(r"^File (\S+):$", prompt, re.M).group(1)  # type: ignore[union-attr]
    text = prompt.split("```\n", 1)[1].rsplit("```", 1)[0]
    after = text.replace("load_config", "read_config")
    if after == text:
        return "UNCHANGED"
    lines = difflib.unified_diff(
        text.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}"
    )
    return "Here is the diff:\n```diff\n" + "".join(lines) + "```\n"


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        provider.script("gpt-4o-mini", "ok", answer=rename_diff)
        yield provider


def openai_env(fake: FakeProvider) -> dict[str, str]:
    """OpenAI configured at the stand-in, and nothing else: the simple chain's first usable model is
    openai/gpt-4o-mini."""
    return {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.openai_base}


@pytest.fixture
def settings(repo: Path, fake: FakeProvider) -> router.Settings:
    return router.Settings(env=dict(os.environ) | openai_env(fake), cwd=repo)


def snapshot_of(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.parts
    }


# -- find ----------------------------------------------------------------------------------------------


def test_find_lists_the_files_git_does_not_ignore(repo: Path) -> None:
    report = find(repo)
    assert report["listed_by"] == "git"
    assert report["files"] == [".gitignore", "README.md", "logo.png", "src/app.py", "src/util.py"]


def test_find_runs_no_command_the_repositorys_git_config_names(repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    hook = tmp_path / "fsmonitor.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    git(repo, "config", "core.fsmonitor", str(hook))
    report = find(repo, pattern="load_config")
    assert report["listed_by"] == "git" and report["files_with_matches"]
    assert not marker.exists()


def test_find_lists_the_root_it_is_given_whatever_git_dir_says(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    git(elsewhere, "init", "-q")
    monkeypatch.setenv("GIT_DIR", str(elsewhere / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(elsewhere))
    report = find(repo)
    assert report["listed_by"] == "git"
    assert report["files"] == [".gitignore", "README.md", "logo.png", "src/app.py", "src/util.py"]


def test_find_outside_a_git_repository_applies_the_gitignore_files_itself(repo: Path) -> None:
    (repo / ".git").rename(repo / "not-git")
    (repo / "src" / ".gitignore").write_text("util.py\n")
    report = find(repo, globs=["*.py", "*.log"])
    assert report["listed_by"] == "walk" and report["files"] == ["src/app.py"]


def test_find_finds_a_symbol_across_files_but_not_in_ignored_or_binary_ones(repo: Path) -> None:
    report = find(repo, pattern="load_config", word=True)
    assert report["files_with_matches"] == ["README.md", "src/app.py", "src/util.py"]
    assert {"path": "src/app.py", "line": 6, "text": "def load_config(path):"} in report["matches"]


def test_find_by_regular_expression_and_glob(repo: Path) -> None:
    report = find(repo, globs=["src/*.py"], pattern=r"def \w+\(", regex=True)
    assert [(m["path"], m["line"]) for m in report["matches"]] == [("src/app.py", 6), ("src/app.py", 10)] + [
        ("src/util.py", 1)
    ]


def test_find_stops_at_max_results_and_says_so(repo: Path) -> None:
    report = find(repo, pattern="load_config", max_results=2)
    assert len(report["matches"]) == 2 and report["truncated"] is True


def test_find_leaves_out_links_that_lead_out_of_the_root(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("load_config = 'outside'\n")
    (repo / "src" / "leak.py").symlink_to(tmp_path / "secret.txt")
    report = find(repo, pattern="load_config")
    assert "src/leak.py" not in report["files_with_matches"]


@pytest.fixture
def linked_folder(repo: Path, tmp_path: Path) -> Path:
    """A committed folder `conf/` replaced by a link to a folder outside the root holding a file of the same
    name: git still lists conf/settings.py, which now leads out."""
    (repo / "conf").mkdir()
    (repo / "conf" / "settings.py").write_text("load_config = 'inside'\n")
    git(repo, "add", "conf")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "conf")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "settings.py").write_text("load_config = 'outside the root'\n")
    for child in (repo / "conf").iterdir():
        child.unlink()
    (repo / "conf").rmdir()
    (repo / "conf").symlink_to(outside)
    return outside


def test_find_does_not_list_or_read_files_behind_a_folder_link_leading_out(
    repo: Path, linked_folder: Path
) -> None:
    assert find(repo)["files"] == [".gitignore", "README.md", "logo.png", "src/app.py", "src/util.py"]
    report = find(repo, pattern="outside the root")
    assert report["matches"] == [] and report["files_searched"] == 5


def test_an_edit_glob_leaves_out_files_behind_a_folder_link_leading_out(
    repo: Path, settings: router.Settings, linked_folder: Path
) -> None:
    with pytest.raises(WorkspaceError, match="no file to work on"):
        edit_many(repo, "rename load_config", settings=settings, globs=["conf/*.py"], dry_run=False)
    assert (linked_folder / "settings.py").read_text() == "load_config = 'outside the root'\n"


def swap_for_link(folder: Path, target: Path) -> None:
    """Replace `folder` with a link to `target`, as another process could between a check and a use."""
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
    folder.symlink_to(target)


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A folder outside the root holding an app.py of its own."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "app.py").write_text("secret = 'outside the root'\n")
    return outside


class SwappedAfterCheck(Workspace):
    """A workspace whose `src` folder another process swaps for a link just after each path is checked."""

    def __init__(self, root: Path, target: Path) -> None:
        super().__init__(root)
        self.target = target

    def resolve(self, path: str | os.PathLike[str]) -> Path:
        real = super().resolve(path)
        swap_for_link(self.root / "src", self.target)
        return real


def test_a_folder_swapped_for_a_link_after_the_check_is_not_read(repo: Path, elsewhere: Path) -> None:
    with pytest.raises(WorkspaceError, match="'src' is no longer a folder"):
        SwappedAfterCheck(repo, elsewhere).read_text("src/app.py")


def test_a_folder_swapped_for_a_link_after_the_check_is_not_written(repo: Path, elsewhere: Path) -> None:
    ws = Workspace(repo)
    real, _ = ws.read_text("src/app.py")
    swap_for_link(repo / "src", elsewhere)
    with pytest.raises(WorkspaceError, match="'src' is no longer a folder .*; not written"):
        ws.write_text(real, "overwritten\n")
    assert (elsewhere / "app.py").read_text() == "secret = 'outside the root'\n"
    assert sorted(p.name for p in elsewhere.iterdir()) == ["app.py"]


def test_a_path_outside_the_root_is_not_written(repo: Path, elsewhere: Path) -> None:
    with pytest.raises(WorkspaceError, match="not inside .*; not written"):
        Workspace(repo).write_text(elsewhere / "app.py", "overwritten\n")
    assert (elsewhere / "app.py").read_text() == "secret = 'outside the root'\n"


def test_find_does_not_search_a_folder_swapped_for_a_link_after_listing(
    repo: Path, elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    find_module = importlib.import_module("llm_router.fs.find")
    listed = find_module.select

    def select_then_swap(ws: Workspace, globs: Any) -> Any:  # another process swaps it after the listing
        chosen = listed(ws, globs)
        swap_for_link(repo / "src", elsewhere)
        return chosen

    monkeypatch.setattr(find_module, "select", select_then_swap)
    report = find(repo, pattern="outside the root")
    assert report["matches"] == []
    assert {"path": "src/app.py", "why": "'src' is no longer a folder (a link?)"} in report["skipped"]


SLOW = "(a|aa)+b"  # backtracks exponentially on a run of a's with no b after it
SLOW_LINES = ("a" * 26 + "!\n") * 100  # each line alone is quick to search; all of them are not


def test_a_slow_pattern_is_stopped_per_file_not_per_line(repo: Path) -> None:
    (repo / "slow.txt").write_text("ab\n" + SLOW_LINES)
    report = find(repo, globs=["slow.txt"], pattern=SLOW, regex=True)
    assert report["matches"] == [{"path": "slow.txt", "line": 1, "text": "ab"}]
    assert report["skipped"] == [{"path": "slow.txt", "why": "the pattern took longer than 0.5 s"}]


def test_a_search_stops_at_its_time_limit_and_says_so(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.import_module("llm_router.fs.find"), "SEARCH_TIMEOUT_S", 0.2)
    for name in ("slow1.txt", "slow2.txt", "slow3.txt"):
        (repo / name).write_text(SLOW_LINES)
    report = find(repo, globs=["slow*.txt"], pattern=SLOW, regex=True)
    assert report["timed_out"] is True and report["truncated"] is True
    assert [s["path"] for s in report["skipped"]] == ["slow1.txt"]
    assert "time limit of 0.2 s ran out" in report["skipped"][0]["why"]


def test_a_match_is_reported_on_the_line_it_starts_on(repo: Path) -> None:
    (repo / "notes.txt").write_text("one\ntwo load_config\nthree load_config load_config\n")
    report = find(repo, globs=["notes.txt"], pattern="^t.*load_config$", regex=True)
    assert [(m["line"], m["text"]) for m in report["matches"]] == [
        (2, "two load_config"),
        (3, "three load_config load_config"),
    ]


def test_a_bad_regular_expression_is_an_error(repo: Path) -> None:
    with pytest.raises(WorkspaceError, match="invalid regular expression"):
        find(repo, pattern="(unclosed", regex=True)


# -- edit ----------------------------------------------------------------------------------------------


def test_a_dry_run_shows_each_files_diff_and_writes_nothing(repo: Path, settings: router.Settings) -> None:
    before = snapshot_of(repo)
    report = edit_many(repo, "rename load_config to read_config", settings=settings, globs=["*.py", "*.md"])
    assert snapshot_of(repo) == before
    changed = {f["path"]: f for f in report["files"] if f["status"] == "changed"}
    assert set(changed) == {"README.md", "src/app.py", "src/util.py"}
    assert "-def load_config(path):\n+def read_config(path):\n" in changed["src/app.py"]["diff"]
    assert all(f["decision_id"] and f["model"] == "openai/gpt-4o-mini" for f in changed.values())
    assert "undo_id" not in report


def test_applied_edits_change_exactly_what_the_diffs_say(repo: Path, settings: router.Settings) -> None:
    report = edit_many(repo, "rename load_config", settings=settings, paths=["src/app.py"], dry_run=False)
    assert report["files"][0]["written"] is True
    assert (repo / "src" / "app.py").read_text() == APP.replace("load_config", "read_config")
    assert git(repo, "status", "--porcelain") == " M src/app.py\n"


def test_each_file_is_decided_by_the_policy_and_recorded(repo: Path, settings: router.Settings) -> None:
    from llm_router.store import open_db

    edit_many(repo, "rename load_config", settings=settings, paths=["src/app.py", "src/util.py"])
    rows = open_db(settings.home / "usage.db").execute("SELECT rule, decision_id FROM usage").fetchall()
    assert [r["rule"] for r in rows] == ["bulk-file-work", "bulk-file-work"]
    assert len({r["decision_id"] for r in rows}) == 2


def test_a_file_the_instruction_does_not_concern_is_unchanged(repo: Path, settings: router.Settings) -> None:
    (repo / "notes.txt").write_text("nothing here\n")
    report = edit_many(repo, "rename load_config", settings=settings, paths=["notes.txt"], dry_run=False)
    assert report["files"][0]["status"] == "unchanged" and "undo_id" not in report


def test_a_diff_that_does_not_apply_writes_nothing(
    repo: Path, settings: router.Settings, fake: FakeProvider
) -> None:
    wrong = "--- a/src/app.py\n+++ b/src/app.py\n@@ -6,1 +6,1 @@\n-def load_konfig(path):\n+def x(path):\n"
    fake.script("gpt-4o-mini", "ok", answer=wrong)
    report = edit_many(repo, "rename", settings=settings, paths=["src/app.py"], dry_run=False)
    row = report["files"][0]
    assert row["status"] == "error" and "does not apply" in row["error"]
    assert (repo / "src" / "app.py").read_text() == APP


@pytest.mark.parametrize("path", ["../outside.txt", "src/../../outside.txt"])
def test_a_path_through_dotdot_is_refused(repo: Path, settings: router.Settings, path: str) -> None:
    (repo.parent / "outside.txt").write_text("load_config\n")
    with pytest.raises(WorkspaceError, match=r"'\.\.'"):
        edit_many(repo, "rename load_config", settings=settings, paths=[path], dry_run=False)
    assert (repo.parent / "outside.txt").read_text() == "load_config\n"


def test_an_absolute_path_outside_the_root_is_refused(repo: Path, settings: router.Settings) -> None:
    outside = repo.parent / "outside.txt"
    outside.write_text("load_config\n")
    with pytest.raises(WorkspaceError, match="outside the workspace root"):
        edit_many(repo, "rename load_config", settings=settings, paths=[str(outside)], dry_run=False)


def test_a_link_leading_out_of_the_root_is_refused(repo: Path, settings: router.Settings) -> None:
    outside = repo.parent / "outside.py"
    outside.write_text("load_config = 1\n")
    (repo / "src" / "link.py").symlink_to(outside)
    with pytest.raises(WorkspaceError, match="outside the workspace root"):
        edit_many(repo, "rename load_config", settings=settings, paths=["src/link.py"], dry_run=False)
    assert outside.read_text() == "load_config = 1\n"


def test_a_link_inside_the_root_edits_the_file_it_points_to(repo: Path, settings: router.Settings) -> None:
    (repo / "alias.py").symlink_to(repo / "src" / "util.py")
    edit_many(repo, "rename load_config", settings=settings, paths=["alias.py"], dry_run=False)
    assert (repo / "alias.py").is_symlink() and "read_config" in (repo / "src" / "util.py").read_text()


def test_binary_and_oversized_files_are_not_edited(repo: Path, settings: router.Settings) -> None:
    (repo / "big.py").write_text("load_config = 1\n" * 100)
    report = edit_many(
        repo, "rename", settings=settings, paths=["logo.png", "big.py"], dry_run=False, max_bytes=200
    )
    errors = {f["path"]: f["error"] for f in report["files"]}
    assert "binary" in errors["logo.png"] and "limit" in errors["big.py"]
    assert (repo / "big.py").read_text().count("load_config") == 100


def test_every_model_failing_stops_the_edit_and_keeps_what_finished(
    repo: Path, settings: router.Settings, fake: FakeProvider
) -> None:
    fake.script("gpt-4o-mini", "ok", "500", answer=rename_diff)
    report = edit_many(repo, "rename", settings=settings, paths=["src/app.py", "src/util.py", "README.md"])
    assert [f["status"] for f in report["files"]] == ["changed", "error"]
    assert report["error"]["code"] == "providers-failed" and report["error"]["exit_code"] == 5


# -- undo ----------------------------------------------------------------------------------------------


def test_undo_restores_what_an_applied_edit_changed(repo: Path, settings: router.Settings) -> None:
    before = snapshot_of(repo)
    edit_many(repo, "rename load_config", settings=settings, globs=["*.py"], dry_run=False)
    assert snapshot_of(repo) != before
    report = undo(settings.home, repo)
    assert {f["status"] for f in report["files"]} == {"restored"}
    assert snapshot_of(repo) == before and undo_entries(settings.home) == []


def test_undo_leaves_a_file_changed_again_since_the_edit(repo: Path, settings: router.Settings) -> None:
    edit_many(repo, "rename load_config", settings=settings, paths=["src/app.py"], dry_run=False)
    (repo / "src" / "app.py").write_text("my own work\n")
    report = undo(settings.home, repo)
    assert report["files"][0]["status"] == "changed"
    assert (repo / "src" / "app.py").read_text() == "my own work\n"
    assert len(undo_entries(settings.home)) == 1


@pytest.fixture
def other(tmp_path: Path) -> Path:
    """A second project, not a git repository, with one file the edits change."""
    root = tmp_path / "other"
    root.mkdir()
    (root / "b.py").write_text("load_config = 2\n")
    return root


def test_undo_without_an_id_takes_the_latest_edit_of_this_root_only(
    repo: Path, other: Path, settings: router.Settings
) -> None:
    edit_many(repo, "rename load_config", settings=settings, paths=["src/app.py"], dry_run=False)
    with pytest.raises(RouterError, match="nothing to undo"):
        undo(settings.home, other)
    edit_many(other, "rename load_config", settings=settings, paths=["b.py"], dry_run=False)
    edited_app = (repo / "src" / "app.py").read_text()
    assert undo(settings.home, repo)["root"] == os.path.realpath(repo)
    assert (repo / "src" / "app.py").read_text() == APP and edited_app != APP
    assert (other / "b.py").read_text() == "read_config = 2\n"


def test_undo_of_an_edit_made_under_another_root_is_refused(
    repo: Path, other: Path, settings: router.Settings
) -> None:
    done = edit_many(repo, "rename load_config", settings=settings, paths=["src/app.py"], dry_run=False)
    with pytest.raises(WorkspaceError, match="was made in") as refused:
        undo(settings.home, other, done["undo_id"])
    assert refused.value.exit_code == 2 and "read_config" in (repo / "src" / "app.py").read_text()


def test_the_undo_journal_is_private(repo: Path, settings: router.Settings) -> None:
    edit_many(repo, "rename load_config", settings=settings, paths=["src/app.py"], dry_run=False)
    journals = list((settings.home / "fs-undo").iterdir())
    assert [oct(p.stat().st_mode & 0o777) for p in journals] == ["0o600"]
    assert oct((settings.home / "fs-undo").stat().st_mode & 0o777) == "0o700"


SECRET_INSTRUCTION = "rename load_config, as the Falcon merger memo asks"


def journal_texts(settings: router.Settings) -> list[str]:
    return [p.read_text() for p in sorted((settings.home / "fs-undo").glob("*.json"))]


def test_the_undo_journal_keeps_no_instruction_text_by_default(repo: Path, settings: router.Settings) -> None:
    edit_many(repo, SECRET_INSTRUCTION, settings=settings, paths=["src/app.py"], dry_run=False)
    assert not any("Falcon" in text for text in journal_texts(settings))
    assert undo_entries(settings.home)[0]["what"].startswith("[withheld: store_prompts is off]")


def test_the_undo_journal_keeps_the_instruction_when_store_prompts_is_on(
    repo: Path, settings: router.Settings
) -> None:
    settings.home.mkdir(parents=True, exist_ok=True)
    (settings.home / "config.yaml").write_text("store_prompts: true\n")
    edit_many(repo, SECRET_INSTRUCTION, settings=settings, paths=["src/app.py"], dry_run=False)
    assert undo_entries(settings.home)[0]["what"] == SECRET_INSTRUCTION


def test_the_undo_journal_drops_its_oldest_entries_past_its_byte_bound(
    repo: Path, settings: router.Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importlib.import_module("llm_router.fs.journal"), "JOURNAL_BYTES", 1200)
    for path in ("src/app.py", "src/util.py", "README.md"):
        edit_many(repo, "rename load_config", settings=settings, paths=[path], dry_run=False)
    assert [e["files"] for e in undo_entries(settings.home)] == [["README.md"], ["src/util.py"]]


def test_the_undo_journal_forgets_edits_older_than_thirty_days(repo: Path, settings: router.Settings) -> None:
    edit_many(repo, "rename load_config", settings=settings, paths=["src/app.py"], dry_run=False)
    (entry,) = (settings.home / "fs-undo").glob("*.json")
    month_ago = entry.stat().st_mtime - 31 * 86400
    os.utime(entry, (month_ago, month_ago))
    assert undo_entries(settings.home) == [] and not entry.exists()


def test_an_edit_whose_undo_journal_would_be_too_large_writes_nothing(
    repo: Path, settings: router.Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importlib.import_module("llm_router.fs.journal"), "JOURNAL_LIMIT", 100)
    before = snapshot_of(repo)
    report = edit_many(repo, "rename load_config", settings=settings, globs=["*.py"], dry_run=False)
    assert snapshot_of(repo) == before and report["changed"] == 0 and "undo_id" not in report
    assert all("undo journal" in f["error"] for f in report["files"])


# -- analyze -------------------------------------------------------------------------------------------


def test_analyze_summarises_each_file_through_the_policy(
    repo: Path, settings: router.Settings, fake: FakeProvider
) -> None:
    fake.script("gpt-4o-mini", "ok", answer=lambda prompt: f"summary of a {len(prompt)}-character prompt")
    report = analyze(repo, settings=settings, globs=["src/*.py"])
    assert [f["path"] for f in report["files"]] == ["src/app.py", "src/util.py"]
    assert all(f["summary"].startswith("summary of") and f["decision_id"] for f in report["files"])


# -- the command line and the MCP tools ------------------------------------------------------------------


@pytest.fixture
def in_repo(repo: Path, fake: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(repo)
    for name, value in openai_env(fake).items():
        monkeypatch.setenv(name, value)
    return repo


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_fs_edit_is_a_dry_run_unless_apply(in_repo: Path) -> None:
    result = run("fs", "edit", "rename load_config to read_config", "src/app.py")
    assert result.exit_code == 0 and "+def read_config(path):" in result.stdout
    assert (in_repo / "src" / "app.py").read_text() == APP
    applied = run("fs", "edit", "rename load_config to read_config", "src/app.py", "--apply", "--json")
    assert json.loads(applied.stdout)["undo_id"]
    assert run("fs", "undo").exit_code == 0 and (in_repo / "src" / "app.py").read_text() == APP


def test_fs_edit_refuses_a_path_outside_the_root_with_exit_2(in_repo: Path) -> None:
    result = run("fs", "edit", "rename", "../elsewhere.py")
    assert result.exit_code == 2 and "'..'" in result.stderr


def test_fs_find_prints_path_line_and_text(in_repo: Path) -> None:
    result = run("fs", "find", "--grep", "load_config", "--word", "*.py")
    assert result.stdout.splitlines()[0] == "src/app.py:6: def load_config(path):"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_mcp_fs_tools_find_a_symbol_and_a_dry_run_changes_no_file(in_repo: Path) -> None:
    from mcp import Client

    from llm_router.mcp.server import build_server
    from llm_router.mcp.session import McpSession

    before = snapshot_of(in_repo)
    async with Client(build_server(McpSession(env=dict(os.environ), cwd=in_repo))) as client:
        found = await client.call_tool("llm_fs_find", {"pattern": "load_config", "word": True})
        edited = await client.call_tool(
            "llm_fs_edit_many", {"instruction": "rename load_config", "globs": ["*.py"]}
        )
        outside = await client.call_tool("llm_fs_edit_many", {"instruction": "x", "paths": ["/etc/passwd"]})
    assert found.structured_content["report"]["files_with_matches"] == [
        "README.md",
        "src/app.py",
        "src/util.py",
    ]
    assert edited.structured_content["report"]["changed"] == 2 and snapshot_of(in_repo) == before
    assert outside.is_error and "outside the workspace root" in outside.content[0].text


def test_fs_edit_json_outside_the_root_is_a_usage_error_object(
    in_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from llm_router.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["fs", "edit", "--json", "rename", "../elsewhere.py"])
    error = json.loads(capsys.readouterr().out)["error"]
    assert exited.value.code == 2 and (error["code"], error["exit_code"]) == ("usage", 2)


def test_fs_undo_of_an_edit_made_under_another_root_exits_2(in_repo: Path, other: Path) -> None:
    applied = run("fs", "edit", "rename load_config", "src/app.py", "--apply", "--json")
    undo_id = json.loads(applied.stdout)["undo_id"]
    result = run("fs", "undo", "--root", str(other), undo_id)
    assert result.exit_code == 2 and "was made in" in result.stderr
    assert "read_config" in (in_repo / "src" / "app.py").read_text()


@pytest.mark.anyio
async def test_mcp_fs_undo_in_one_project_leaves_anothers_edit_alone(in_repo: Path, other: Path) -> None:
    from mcp import Client

    from llm_router.mcp.server import build_server
    from llm_router.mcp.session import McpSession

    assert run("fs", "edit", "rename load_config", "src/app.py", "--apply").exit_code == 0
    async with Client(build_server(McpSession(env=dict(os.environ), cwd=other))) as client:
        answer = await client.call_tool("llm_fs_undo", {})
    assert answer.is_error and "nothing to undo" in answer.content[0].text
    assert "read_config" in (in_repo / "src" / "app.py").read_text()
