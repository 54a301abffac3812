"""Bulk edits: one instruction applied to many files by a cheap model, each file decided and executed through
the one pipeline (event `fs_edit`, which the built-in `bulk-file-work` rule routes to the simple tier).

Each answer must be a unified diff of its file that applies cleanly (`diffs.apply`); a dry run (the default)
only shows the diffs. A real run keeps an undo journal first, then writes each changed file atomically,
inside the workspace root, only if it still holds what the model saw.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llm_router.decision import Decision, Request
from llm_router.errors import ProviderError, RouterError
from llm_router.fs import diffs, journal
from llm_router.fs.find import select
from llm_router.fs.workspace import EDIT_LIMIT, Workspace, WorkspaceError

if TYPE_CHECKING:
    from llm_router.execute import Result
    from llm_router.router import Settings

MAX_FILES = 100  # files one edit may touch
UNCHANGED = "UNCHANGED"

EDIT_PROMPT = """\
Apply the instruction below to the file {path} and answer with a unified diff of that file only: a
`--- a/{path}` line, a `+++ b/{path}` line, then hunks (`@@ -l,n +l,n @@`) with 3 lines of context, every
context and removed line exactly as it is in the file. If the instruction does not call for a change to this
file, answer with the single word {unchanged}. No explanation.

Instruction: {instruction}

File {path}:
```
{text}```"""


def ask(
    prompt: str,
    event: str,
    *,
    settings: Settings,
    host: str,
    models: Sequence[str] | None = None,
    knobs: dict[str, str] | None = None,
) -> tuple[Decision, Result]:
    """Decide `prompt` (event `event`) and execute it through the one pipeline; RouterError when the policy
    blocks it or leaves it to a host's own model and no model was named."""
    from llm_router import router

    request = Request(prompt, host=host, event=event, cwd=str(settings.cwd))
    decision = router.decide(request, settings=settings, knobs=knobs)
    if decision.action == "passthrough" and not models:
        raise RouterError(
            f"not executed: policy rule {decision.rule} leaves this prompt to the host's own model "
            f"({decision.reason}); name a model to run it anyway"
        )
    return decision, router.run(decision, request, settings=settings, models=models)


def error_of(exc: RouterError) -> dict[str, Any]:
    """The `error` member of a report that stopped (as every failing --json document has it)."""
    return {"code": exc.code, "message": str(exc), "exit_code": exc.exit_code}


def targets(ws: Workspace, paths: Iterable[str], globs: Iterable[str], limit: int) -> list[str]:
    """The files named (each checked to be inside the root) and those the globs select (respecting
    .gitignore), relative to the root, without repeats; a WorkspaceError past `limit` files."""
    chosen = [ws.relative(p) for p in paths]
    globs = [g for g in globs if g]
    if globs:
        chosen += [name for name, _ in select(ws, globs)[0]]
    chosen = list(dict.fromkeys(chosen))
    if not chosen:
        raise WorkspaceError("no file to work on: give paths or a glob that matches some")
    if len(chosen) > limit:
        raise WorkspaceError(
            f"{len(chosen)} files match; at most {limit} are edited at once (narrow the glob)"
        )
    return chosen


def edit_many(
    root: str | os.PathLike[str],
    instruction: str,
    *,
    settings: Settings,
    paths: Iterable[str] = (),
    globs: Iterable[str] = (),
    dry_run: bool = True,
    host: str = "cli",
    models: Sequence[str] | None = None,
    max_bytes: int = EDIT_LIMIT,
    max_files: int = MAX_FILES,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Apply `instruction` to each file; answers per file its status (changed, unchanged, error), diff,
    decision id and model. With `dry_run` nothing is written. Stops at the first file no model could be
    tried for (ProviderError), keeping what finished in `files` and the error in `error` (`code`,
    `message`, `exit_code`)."""
    if not instruction.strip():
        raise WorkspaceError("the instruction is empty")
    ws = Workspace(root)
    names = targets(ws, paths, globs, max_files)
    results: list[dict[str, Any]] = []
    pending: list[tuple[Path, journal.Change]] = []
    stopped: ProviderError | None = None
    for i, name in enumerate(names, 1):
        if progress:
            progress(f"[{i}/{len(names)}] {name}")
        try:
            row, change = _one(ws, name, instruction, settings, host, models, max_bytes)
        except ProviderError as exc:
            results.append({"path": name, "status": "error", "error": str(exc)})
            stopped = exc
            break
        results.append(row)
        if change is not None:
            pending.append(change)
    report: dict[str, Any] = {
        "root": str(ws.root),
        "dry_run": dry_run,
        "files": results,
        "changed": sum(r["status"] == "changed" for r in results),
    }
    if stopped is not None:
        report["error"] = error_of(stopped)
    if not dry_run and pending:
        undo_id = _write(ws, settings.home, pending, instruction, results, max_bytes)
        if undo_id is not None:
            report["undo_id"] = undo_id
        report["changed"] = sum(r["status"] == "changed" for r in results)  # less what failed to be written
    return report


def _one(
    ws: Workspace,
    name: str,
    instruction: str,
    settings: Settings,
    host: str,
    models: Sequence[str] | None,
    max_bytes: int,
) -> tuple[dict[str, Any], tuple[Path, journal.Change] | None]:
    try:
        real, text = ws.read_text(name, max_bytes)
    except WorkspaceError as exc:
        return {"path": name, "status": "error", "error": str(exc)}, None
    block = text if text.endswith("\n") or not text else text + "\n"  # the fence on a line of its own
    prompt = EDIT_PROMPT.format(path=name, instruction=instruction.strip(), text=block, unchanged=UNCHANGED)
    try:
        decision, result = ask(prompt, "fs_edit", settings=settings, host=host, models=models)
    except ProviderError:
        raise
    except RouterError as exc:
        return {"path": name, "status": "error", "error": str(exc)}, None
    row: dict[str, Any] = {"path": name, "decision_id": decision.id, "model": result.model}
    diff = diffs.extract(result.text)
    if not diff:
        return row | {"status": "unchanged", "diff": ""}, None
    try:
        after = diffs.apply(text, diff, name)
    except diffs.DiffError as exc:
        return row | {
            "status": "error",
            "error": f"the model's diff does not apply: {exc}",
            "diff": diff,
        }, None
    if after == text:
        return row | {"status": "unchanged", "diff": ""}, None
    return row | {"status": "changed", "diff": diffs.make(text, after, name)}, (
        real,
        journal.Change(name, text, after),
    )


def _write(
    ws: Workspace,
    home: Path,
    pending: list[tuple[Path, journal.Change]],
    instruction: str,
    results: list[dict[str, Any]],
    max_bytes: int,
) -> str | None:
    """Journal the changes whose files still hold what the model saw, then write them; returns the undo id
    (None when nothing is left to write)."""
    by_path = {r["path"]: r for r in results}
    ready = []
    for real, change in pending:
        row = by_path[change.path]
        try:
            _, now = ws.read_text(change.path, max_bytes)
        except WorkspaceError as exc:
            row.update(status="error", error=f"not written: {exc}")
            continue
        if now != change.before:
            row.update(status="error", error="the file changed while the model worked; not written")
            continue
        ready.append((real, change))
    if not ready:
        return None
    from llm_router.providers.catalogue import user_config

    keep_text = user_config(home).store_prompts
    try:
        batch = journal.record(home, ws.root, [c for _, c in ready], instruction, keep_text=keep_text)
    except WorkspaceError as exc:
        for _, change in ready:
            by_path[change.path].update(status="error", error=f"not written: {exc}")
        return None
    for real, change in ready:
        row = by_path[change.path]
        try:
            ws.write_text(real, change.after, max_bytes)
            row["written"] = True
        except (WorkspaceError, OSError) as exc:
            row.update(status="error", error=f"not written: {exc}")
    return batch
