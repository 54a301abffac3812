"""Unified diffs of one file: made from two texts, and applied strictly.

`apply` accepts a diff only when it applies cleanly: every hunk's header counts agree with its lines, its
context and removed lines equal the file's exactly (no fuzz, no whitespace leniency), hunks come in order
without overlapping, and the diff names no other file. A hunk whose lines are not at its stated line number
may still apply when they occur exactly once elsewhere (an offset, as `patch` reports it), never when they
occur twice. Anything else is a DiffError naming the hunk and what did not match.
"""

from __future__ import annotations

import difflib
import re
from typing import NamedTuple

MAX_DIFF = 1 << 20  # characters of one diff

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_FENCE = re.compile(r"^```[\w+-]*\s*$")
NO_NEWLINE = "\\ No newline at end of file"


class DiffError(ValueError):
    """A diff that does not apply cleanly, or is not a unified diff of the file it was meant for."""


class Hunk(NamedTuple):
    old_start: int  # 1-based; 0 with old_count 0 means "at the start"
    old_count: int
    new_start: int
    new_count: int
    lines: tuple[str, ...]  # each starting with ' ', '-' or '+'
    no_newline_old: bool = False  # the old side's last line has no newline
    no_newline_new: bool = False

    @property
    def old(self) -> list[str]:
        return [line[1:] for line in self.lines if line[0] in " -"]

    @property
    def new(self) -> list[str]:
        return [line[1:] for line in self.lines if line[0] in " +"]


def make(before: str, after: str, path: str) -> str:
    """The unified diff (3 lines of context) that turns `before` into `after`, as `git diff` writes it,
    `\\ No newline at end of file` included."""
    out = []
    for line in difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}", n=3
    ):
        out.append(line if line.endswith("\n") else f"{line}\n{NO_NEWLINE}\n")
    return "".join(out)


def _split(text: str) -> tuple[list[str], bool]:
    """The lines of `text` without their newlines, and whether it ends with one (an empty text does)."""
    if not text:
        return [], True
    ends = text.endswith("\n")
    return text[:-1].split("\n") if ends else text.split("\n"), ends


def extract(answer: str) -> str:
    """The diff in a model's answer: the text inside a ``` fence when there is one, from its first `---`
    line on; an answer with no `---`/`@@` lines at all is taken to mean "no change" and gives ""."""
    lines = answer.splitlines()
    fenced: list[str] | None = None
    for i, line in enumerate(lines):
        if _FENCE.match(line.strip()):
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "```"), len(lines))
            block = lines[i + 1 : end]
            if any(b.startswith(("--- ", "@@")) for b in block):
                fenced = block
                break
    body = fenced if fenced is not None else lines
    start = next((i for i, line in enumerate(body) if line.startswith("--- ")), None)
    if start is None:
        start = next((i for i, line in enumerate(body) if line.startswith("@@")), None)
    if start is None:
        return ""
    return "\n".join(body[start:]) + "\n"


def parse(diff: str, path: str) -> list[Hunk]:
    """The hunks of a unified diff of `path`; a DiffError when it is not one, or names another file."""
    if len(diff) > MAX_DIFF:
        raise DiffError(f"the diff is longer than {MAX_DIFF:,} characters")
    lines = diff.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i = 0
    headers = 0
    hunks: list[Hunk] = []
    while i < len(lines):
        line = lines[i]
        if line.startswith("--- ") or line.startswith("+++ "):
            _check_name(line[4:], path)
            headers += 1
            if headers > 2:
                raise DiffError("the diff changes more than one file")
            i += 1
            continue
        if line.startswith(("diff --git ", "index ")):
            i += 1
            continue
        m = _HUNK.match(line)
        if not m:
            raise DiffError(f"line {i + 1} of the diff is not part of a hunk: {line[:80]!r}")
        old_start, new_start = int(m.group(1)), int(m.group(3))
        old_count = int(m.group(2)) if m.group(2) is not None else 1
        new_count = int(m.group(4)) if m.group(4) is not None else 1
        i += 1
        body: list[str] = []
        seen_old = seen_new = 0
        no_nl_old = no_nl_new = False
        while i < len(lines) and (seen_old < old_count or seen_new < new_count or lines[i] == NO_NEWLINE):
            text = lines[i]
            if text == NO_NEWLINE:
                if not body:
                    raise DiffError(f"hunk {len(hunks) + 1}: a no-newline mark with no line before it")
                kind = body[-1][0]
                no_nl_old = no_nl_old or kind in " -"
                no_nl_new = no_nl_new or kind in " +"
                i += 1
                continue
            if text == "":
                text = " "  # an empty context line whose space was trimmed
            if text[0] not in " +-":
                break
            body.append(text)
            seen_old += text[0] in " -"
            seen_new += text[0] in " +"
            i += 1
        if (seen_old, seen_new) != (old_count, new_count):
            raise DiffError(
                f"hunk {len(hunks) + 1} (@@ -{old_start},{old_count} +{new_start},{new_count} @@) has "
                f"{seen_old} old and {seen_new} new lines"
            )
        hunks.append(Hunk(old_start, old_count, new_start, new_count, tuple(body), no_nl_old, no_nl_new))
    if not hunks:
        raise DiffError("the diff has no hunks")
    return hunks


def _check_name(name: str, path: str) -> None:
    name = name.split("\t", 1)[0].strip()
    if name == "/dev/null":
        raise DiffError("the diff creates or deletes a file; only changes to an existing file are applied")
    bare = name[2:] if name.startswith(("a/", "b/")) else name
    if bare != path and name != path:
        raise DiffError(f"the diff names {name!r}, not {path!r}")


def apply(text: str, diff: str, path: str) -> str:
    """`text` with `diff` applied, strictly (see the module's doc); a DiffError otherwise.

    The final newline is kept as the file had it, unless a hunk that reaches the end of the file marks its
    new side `\\ No newline at end of file` (or marks only its old side, which adds one).
    """
    hunks = parse(diff, path)
    lines, ends_with_newline = _split(text)
    out: list[str] = []
    position = 0  # index into `lines` of the first line not yet copied
    for n, h in enumerate(hunks, 1):
        old = h.old
        at = _locate(lines, old, h, position, n)
        out.extend(lines[position:at])
        out.extend(h.new)
        position = at + len(old)
        if position == len(lines):
            if not h.new:
                ends_with_newline = True  # the new last line was followed by the removed ones
            elif h.no_newline_new or h.no_newline_old:
                ends_with_newline = not h.no_newline_new
    out.extend(lines[position:])
    if not out:
        return ""
    return "\n".join(out) + ("\n" if ends_with_newline else "")


def _locate(lines: list[str], old: list[str], h: Hunk, position: int, n: int) -> int:
    """Where hunk `n`'s old lines are: at its stated line, or at the one other place they occur exactly."""
    stated = h.old_start - 1 if h.old_count else h.old_start
    if position <= stated <= len(lines) and lines[stated : stated + len(old)] == old:
        return stated
    if not old:
        raise DiffError(f"hunk {n} adds lines at line {h.old_start}, which the file does not have")
    places = [
        i
        for i in range(position, len(lines) - len(old) + 1)
        if lines[i] == old[0] and lines[i : i + len(old)] == old
    ]
    if len(places) == 1:
        return places[0]
    if not places:
        first = next((line for line in h.lines if line[0] in " -"), " ")[1:]
        raise DiffError(
            f"hunk {n} does not apply: its context and removed lines (from {first[:60]!r}) are not in the"
            f" file as written at line {h.old_start} or anywhere after the previous hunk"
        )
    raise DiffError(
        f"hunk {n} does not apply: its lines occur {len(places)} times, not at line {h.old_start}"
    )
