"""Find files in a workspace by glob, and lines by content (a fixed string, a whole word, or a regular
expression under a time limit), respecting .gitignore; every result set is bounded."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from llm_router import fileio
from llm_router.fs.ignore import files, translate
from llm_router.fs.workspace import Workspace, WorkspaceError, is_binary

MAX_RESULTS = 2000  # the most any search answers
DEFAULT_RESULTS = 200
SEARCH_FILE_LIMIT = 2 << 20  # larger files are listed but their content is not searched
LINE_PREVIEW = 240  # characters of a matching line shown
REGEX_TIMEOUT_S = 0.5  # per file, for a user's regular expression
SEARCH_TIMEOUT_S = 10.0  # per search, over all files
SEARCH_BYTES = 256 << 20  # content read per search, over all files


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob over workspace paths: with a `/` it matches the whole relative path (`src/**/*.py`), without
    one the file's name at any depth (`*.py`)."""
    body = translate(pattern.lstrip("/"))
    prefix = "" if "/" in pattern.strip("/") else "(?:.*/)?"
    return re.compile(f"^{prefix}{body}$", re.DOTALL)


def select(ws: Workspace, globs: Iterable[str] | None) -> tuple[list[tuple[str, Path]], str]:
    """The workspace's files (not ignored by .gitignore) matching any of `globs` (all when none), sorted,
    each with its real path, and how they were listed. A file whose path leads out of the root through a
    symbolic link (to the file or to any folder on the way) is left out."""
    listed, how = files(ws.root)
    patterns = [glob_regex(g) for g in globs or () if g]
    wanted = (n for n in sorted(listed) if not patterns or any(p.match(n) for p in patterns))
    return list(ws.resolve_listed(wanted)), how


def _matcher(pattern: str, *, regex: bool, word: bool, ignore_case: bool) -> Any:
    """The pattern compiled by the `regex` module, whose `search` takes a time limit (a user's expression
    may backtrack for ever)."""
    import regex as rx

    flags = rx.MULTILINE | (rx.IGNORECASE if ignore_case else 0)  # ^ and $ at each line, as grep has them
    body = pattern if regex else rx.escape(pattern)
    if word:
        body = rf"(?<![\w]){body}(?![\w])"
    try:
        return rx.compile(body, flags)
    except rx.error as exc:
        raise WorkspaceError(f"invalid regular expression {pattern!r}: {exc}") from None


def find(
    root: str | os.PathLike[str],
    *,
    globs: Iterable[str] | None = None,
    pattern: str | None = None,
    regex: bool = False,
    word: bool = False,
    ignore_case: bool = False,
    max_results: int = DEFAULT_RESULTS,
) -> dict[str, Any]:
    """Files matching `globs`, or (with `pattern`) the lines of those files that contain it.

    Answers `{"root", "listed_by", "files": [...]}` without a pattern, `{"root", "listed_by", "matches":
    [{"path", "line", "text"}], "files_with_matches"}` with one; `truncated` says when `max_results` (at most
    2,000) or the search's time limit (SEARCH_TIMEOUT_S; then `timed_out`) cut the list, and `skipped` names
    files not searched, or not to the end (binary, too large, unreadable, a pattern too slow for the file).
    """
    ws = Workspace(root)
    limit = max(1, min(int(max_results), MAX_RESULTS))
    chosen, how = select(ws, globs)
    base: dict[str, Any] = {"root": str(ws.root), "listed_by": how}
    if not pattern:
        names = [name for name, _ in chosen[:limit]]
        return base | {"files": names, "count": len(chosen), "truncated": len(chosen) > limit}
    matcher = _matcher(pattern, regex=regex, word=word, ignore_case=ignore_case)
    matches: list[dict[str, Any]] = []
    with_matches: list[str] = []
    skipped: list[dict[str, str]] = []
    truncated, timed_out, read = False, False, 0
    deadline = time.monotonic() + SEARCH_TIMEOUT_S
    for name, real in chosen:
        if len(matches) >= limit or read >= SEARCH_BYTES:
            truncated = True
            break
        try:
            data = fileio.read_bounded(real, limit=SEARCH_FILE_LIMIT, what="file", beneath=ws.root)
        except fileio.RefusedFile as exc:
            skipped.append({"path": name, "why": exc.reason})
            continue
        except OSError as exc:
            skipped.append({"path": name, "why": exc.strerror or str(exc)})
            continue
        read += len(data)
        if is_binary(data):
            continue
        found, timed_out = _search(
            matcher, data.decode("utf-8"), name, limit - len(matches), deadline, skipped
        )
        if found:
            with_matches.append(name)
            matches.extend(found)
        if timed_out:
            truncated = True
            break
    return base | {
        "pattern": pattern,
        "matches": matches,
        "files_with_matches": with_matches,
        "files_searched": len(chosen),
        "truncated": truncated,
        "timed_out": timed_out,
        "skipped": skipped,
    }


def _search(
    matcher: Any, text: str, name: str, room: int, deadline: float, skipped: list[dict[str, str]]
) -> tuple[list[dict[str, Any]], bool]:
    """The lines of `text` where `matcher` matches (at most `room`), searched over the whole text at once
    with one time limit for the file (REGEX_TIMEOUT_S, or less when the search's `deadline` is nearer; each
    call gets what is left of it). A match is reported on the line it starts on, once per line. Answers the
    lines found and whether the search's own deadline ran out (then the search stops)."""
    found: list[dict[str, Any]] = []
    limit = min(time.monotonic() + REGEX_TIMEOUT_S, deadline)
    pos, number, line_start = 0, 1, 0
    try:
        while len(found) < room and pos <= len(text):
            left = limit - time.monotonic()
            if left <= 0:
                raise TimeoutError
            match = matcher.search(text, pos, timeout=left)
            if match is None:
                break
            start = match.start()
            number += text.count("\n", line_start, start)
            line_start = text.rfind("\n", 0, start) + 1
            line_end = text.find("\n", start)
            line_end = len(text) if line_end < 0 else line_end
            preview = text[line_start:line_end].strip()
            if len(preview) > LINE_PREVIEW:
                preview = preview[:LINE_PREVIEW] + "…"
            found.append({"path": name, "line": number, "text": preview})
            pos = line_end + 1
    except TimeoutError:
        if limit >= deadline:
            skipped.append({"path": name, "why": f"the search's time limit of {SEARCH_TIMEOUT_S} s ran out"})
            return found, True
        skipped.append({"path": name, "why": f"the pattern took longer than {REGEX_TIMEOUT_S} s"})
    return found, False
