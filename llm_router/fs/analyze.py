"""File summaries for context: each file summarised by a cheap model through the one pipeline (event
`fs_analyze`, routed by the built-in `bulk-file-work` rule), bounded in files and in bytes per file."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from llm_router.errors import ProviderError, RouterError
from llm_router.fs.edit import ask, error_of, targets
from llm_router.fs.workspace import Workspace, WorkspaceError

if TYPE_CHECKING:
    from llm_router.router import Settings

MAX_FILES = 20
READ_LIMIT = 64 << 10  # bytes of a file shown to the model; a longer file is cut at a line
SUMMARY_LIMIT = 4000  # characters of one summary kept

ANALYZE_PROMPT = """\
Summarise the file {path} for a developer who needs it as context: what it is for, its main
definitions (names and one line each), what it depends on, and anything surprising. At most {words} words,
plain text.{focus}

File {path}{cut}:
```
{text}```"""


def analyze(
    root: str | os.PathLike[str],
    *,
    settings: Settings,
    paths: Iterable[str] = (),
    globs: Iterable[str] = (),
    focus: str = "",
    words: int = 120,
    host: str = "cli",
    models: Sequence[str] | None = None,
    max_files: int = MAX_FILES,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """A summary per file (`path`, `summary`, `lines`, `bytes`, `truncated`, `decision_id`, `model`); a file
    that cannot be read gets an `error`. Stops at the first file no model could be tried for."""
    ws = Workspace(root)
    names = targets(ws, paths, globs, max_files)
    results: list[dict[str, Any]] = []
    report: dict[str, Any] = {"root": str(ws.root), "files": results}
    for i, name in enumerate(names, 1):
        if progress:
            progress(f"[{i}/{len(names)}] {name}")
        try:
            _, text = ws.read_text(name, 4 << 20)
        except WorkspaceError as exc:
            results.append({"path": name, "error": str(exc)})
            continue
        shown = _head(text, READ_LIMIT)
        cut = "" if len(shown) == len(text) else f" (its first {len(shown):,} of {len(text):,} characters)"
        prompt = ANALYZE_PROMPT.format(
            path=name,
            words=max(20, min(int(words), 500)),
            focus=f"\nFocus on: {focus.strip()}" if focus.strip() else "",
            cut=cut,
            text=shown if shown.endswith("\n") or not shown else shown + "\n",
        )
        row: dict[str, Any] = {
            "path": name,
            "lines": text.count("\n") + (not text.endswith("\n") and bool(text)),
            "bytes": len(text.encode("utf-8")),
            "truncated": bool(cut),
        }
        try:
            decision, result = ask(prompt, "fs_analyze", settings=settings, host=host, models=models)
        except ProviderError as exc:
            results.append(row | {"error": str(exc)})
            report["error"] = error_of(exc)
            break
        except RouterError as exc:
            results.append(row | {"error": str(exc)})
            continue
        summary = result.text.strip()
        results.append(
            row | {"summary": summary[:SUMMARY_LIMIT], "decision_id": decision.id, "model": result.model}
        )
    return report


def _head(text: str, limit: int) -> str:
    """The first `limit` characters of `text`, cut after a whole line when it is longer."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    return text[: cut + 1 if cut > 0 else limit]
