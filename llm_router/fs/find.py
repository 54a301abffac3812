"""Find files in a workspace by glob, and lines by content (a fixed string, a whole word, or a regular
expression under a time limit), respecting .gitignore; every result set is bounded."""

from __future__ import annotations

import os
import re
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

    flags = rx.IGNORECASE if ignore_case else 0
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
    2,000) cut the list, and `skipped` names files not searched (binary, too large, unreadable).
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
    truncated, read = False, 0
    for name, real in chosen:
        if len(matches) >= limit or read >= SEARCH_BYTES:
            truncated = True
            break
        try:
            data = fileio.read_bounded(real, limit=SEARCH_FILE_LIMIT, what="file")
        except fileio.RefusedFile as exc:
            skipped.append({"path": name, "why": exc.reason})
            continue
        except OSError as exc:
            skipped.append({"path": name, "why": exc.strerror or str(exc)})
            continue
        read += len(data)
        if is_binary(data):
            continue
        found = _search(matcher, data.decode("utf-8"), name, limit - len(matches), skipped)
        if found:
            with_matches.append(name)
            matches.extend(found)
    return base | {
        "pattern": pattern,
        "matches": matches,
        "files_with_matches": with_matches,
        "files_searched": len(chosen),
        "truncated": truncated,
        "skipped": skipped,
    }


def _search(
    matcher: Any, text: str, name: str, room: int, skipped: list[dict[str, str]]
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    try:
        if matcher.search(text, timeout=REGEX_TIMEOUT_S) is None:
            return found
        for number, line in enumerate(text.splitlines(), 1):
            if matcher.search(line, timeout=REGEX_TIMEOUT_S) is not None:
                preview = line.strip()
                if len(preview) > LINE_PREVIEW:
                    preview = preview[:LINE_PREVIEW] + "…"
                found.append({"path": name, "line": number, "text": preview})
                if len(found) >= room:
                    break
    except TimeoutError:
        skipped.append({"path": name, "why": f"the pattern took longer than {REGEX_TIMEOUT_S} s"})
    return found
