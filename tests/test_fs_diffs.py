"""The strict unified-diff applier of the file tools, and the gitignore matcher checked against git itself."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llm_router.fs import diffs
from llm_router.fs.ignore import walk

TEXT = "alpha\nbeta\ngamma\ndelta\nepsilon\nzeta\neta\ntheta\n"


def hunk(header: str, *lines: str, path: str = "f.txt") -> str:
    return f"--- a/{path}\n+++ b/{path}\n{header}\n" + "".join(line + "\n" for line in lines)


def test_a_diff_applies_at_its_stated_line() -> None:
    diff = hunk("@@ -2,3 +2,3 @@", " beta", "-gamma", "+GAMMA", " delta")
    assert diffs.apply(TEXT, diff, "f.txt") == TEXT.replace("gamma", "GAMMA")


def test_context_that_differs_by_whitespace_is_refused() -> None:
    diff = hunk("@@ -2,3 +2,3 @@", " beta ", "-gamma", "+GAMMA", " delta")
    with pytest.raises(diffs.DiffError, match="hunk 1 does not apply"):
        diffs.apply(TEXT, diff, "f.txt")


def test_a_hunk_whose_counts_disagree_with_its_lines_is_refused() -> None:
    diff = hunk("@@ -2,4 +2,3 @@", " beta", "-gamma", "+GAMMA", " delta")
    with pytest.raises(diffs.DiffError, match="has 3 old and 3 new lines"):
        diffs.apply(TEXT, diff, "f.txt")


def test_a_diff_of_another_file_is_refused() -> None:
    diff = hunk("@@ -2,1 +2,1 @@", "-beta", "+BETA", path="other.txt")
    with pytest.raises(diffs.DiffError, match="names 'a/other.txt'"):
        diffs.apply(TEXT, diff, "f.txt")


def test_a_diff_that_creates_a_file_is_refused() -> None:
    diff = "--- /dev/null\n+++ b/f.txt\n@@ -0,0 +1 @@\n+new\n"
    with pytest.raises(diffs.DiffError, match="creates or deletes"):
        diffs.apply(TEXT, diff, "f.txt")


def test_a_hunk_at_the_wrong_line_applies_where_its_lines_occur_once() -> None:
    diff = hunk("@@ -5,2 +5,2 @@", " beta", "-gamma", "+GAMMA")
    assert diffs.apply(TEXT, diff, "f.txt") == TEXT.replace("gamma", "GAMMA")


def test_a_hunk_at_the_wrong_line_whose_lines_occur_twice_is_refused() -> None:
    text = "x\ny\nx\ny\n"
    with pytest.raises(diffs.DiffError, match="occur 2 times"):
        diffs.apply(text, hunk("@@ -9,2 +9,2 @@", " x", "-y", "+Y"), "f.txt")


def test_hunks_out_of_order_are_refused() -> None:
    diff = hunk("@@ -6,1 +6,1 @@", "-zeta", "+ZETA") + "@@ -2,1 +2,1 @@\n-beta\n+BETA\n"
    with pytest.raises(diffs.DiffError, match="hunk 2"):
        diffs.apply(TEXT, diff, "f.txt")


def test_a_file_without_a_final_newline_keeps_it_missing() -> None:
    text = "one\ntwo"
    diff = hunk("@@ -1,2 +1,2 @@", " one", "-two", "+TWO")
    assert diffs.apply(text, diff, "f.txt") == "one\nTWO"


def test_the_no_newline_mark_of_the_new_side_is_applied() -> None:
    diff = hunk("@@ -1,2 +1,2 @@", " one", "-two", "+TWO", "\\ No newline at end of file")
    assert diffs.apply("one\ntwo\n", diff, "f.txt") == "one\nTWO"


def test_the_diff_is_taken_from_a_fenced_block_of_the_answer() -> None:
    answer = "Sure! Here it is:\n```diff\n" + hunk("@@ -1,1 +1,1 @@", "-alpha", "+ALPHA") + "```\nDone."
    assert diffs.apply(TEXT, diffs.extract(answer), "f.txt").startswith("ALPHA\n")


def test_an_answer_without_a_diff_means_no_change() -> None:
    assert diffs.extract("UNCHANGED") == ""


lines = st.lists(st.text(alphabet="ab \t", max_size=6), max_size=12)


@given(before=lines, after=lines, before_nl=st.booleans(), after_nl=st.booleans())
def test_a_made_diff_applies_back_to_what_it_was_made_from(
    before: list[str], after: list[str], before_nl: bool, after_nl: bool
) -> None:
    old = "\n".join(before) + ("\n" if before and before_nl else "")
    new = "\n".join(after) + ("\n" if after and after_nl else "")
    diff = diffs.make(old, new, "f.txt")
    assert (diffs.apply(old, diff, "f.txt") if diff else old) == new


# -- the gitignore matcher, against git -----------------------------------------------------------------

GITIGNORE = """\
# comment
*.log
!keep.log
build/
/top-only.txt
docs/**/draft.md
**/cache
src/*.tmp
data/*
!data/shared/
data/shared/*.bin
name?.txt
[ab]ranch.txt
"""
TREE = [
    "a.log",
    "keep.log",
    "sub/b.log",
    "sub/keep.log",
    "build/out.js",
    "sub/build/x.js",
    "build.txt",
    "top-only.txt",
    "sub/top-only.txt",
    "docs/draft.md",
    "docs/a/b/draft.md",
    "docs/final.md",
    "cache/x",
    "sub/cache/y",
    "src/a.tmp",
    "src/deep/b.tmp",
    "data/one.csv",
    "data/shared/two.csv",
    "data/shared/three.bin",
    "name1.txt",
    "name12.txt",
    "aranch.txt",
    "cranch.txt",
    "nested/.gitignore",
    "nested/secret.env",
    "nested/ok.txt",
]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    for name in TREE:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x\n")
    (root / ".gitignore").write_text(GITIGNORE)
    (root / "nested" / ".gitignore").write_text("*.env\n")
    return root


def test_the_gitignore_walk_lists_what_git_lists(tree: Path) -> None:
    ours = sorted(walk(tree))
    subprocess.run(["git", "-C", str(tree), "init", "-q"], check=True)
    listed = subprocess.run(
        ["git", "-C", str(tree), "ls-files", "--others", "--exclude-standard"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert ours == sorted(listed)


def test_lines_added_past_the_end_of_the_file_are_refused() -> None:
    with pytest.raises(diffs.DiffError, match="adds lines at line 40"):
        diffs.apply(TEXT, hunk("@@ -40,0 +41,1 @@", "+late"), "f.txt")
