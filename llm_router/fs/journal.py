"""The undo journal of the file tools: before an edit writes, what each file held is kept (privately, under
`$LLM_ROUTER_HOME/fs-undo/`, files 0600 in a 0700 folder), so `llm-router fs undo` can put it back, file by
file, unless a file changed again since.

An entry holds the workspace root, the files' paths and their whole text before the edit (undo needs it), a
hash of what the edit wrote, and the instruction only when config.yaml says `store_prompts: true` (else its
length and a hash). An entry is removed when undone; at most JOURNALS entries and JOURNAL_BYTES bytes are
kept, the oldest going first, and an entry older than KEEP_DAYS days goes the next time the journal is used.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from llm_router import fileio
from llm_router.errors import RouterError
from llm_router.fs.workspace import HARD_LIMIT, Workspace, WorkspaceError

FOLDER = "fs-undo"
JOURNALS = 20  # entries kept
JOURNAL_BYTES = 128 << 20  # bytes kept over all entries
JOURNAL_LIMIT = 64 << 20  # one entry (an edit whose entry would be larger is not made)
KEEP_DAYS = 30


class Change(NamedTuple):
    """One file an edit is about to write: its path relative to the root, and its text before and after."""

    path: str
    before: str
    after: str


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def folder(home: Path) -> Path:
    return home / FOLDER


def record(home: Path, root: Path, changes: Sequence[Change], what: str, *, keep_text: bool = False) -> str:
    """Keep `changes` (before the files are written) and return the journal's id. The instruction `what`
    is kept only with `keep_text` (config.yaml's `store_prompts`); otherwise its length and hash. A
    WorkspaceError, and nothing kept, when the entry would be over JOURNAL_LIMIT bytes."""
    stamp = time.time()
    when = time.strftime("%Y%m%d-%H%M%S", time.localtime(stamp))
    batch = f"{when}-{int(stamp * 1000) % 1000:03d}-{os.getpid()}"
    entry = {
        "id": batch,
        "time": stamp,
        "root": str(root),
        "what": what[:200] if keep_text else f"[withheld: store_prompts is off] ({len(what)} characters)",
        "what_sha256": digest(what),
        "files": [{"path": c.path, "before": c.before, "after_sha256": digest(c.after)} for c in changes],
    }
    text = json.dumps(entry)
    if len(text.encode("utf-8")) > JOURNAL_LIMIT:
        raise WorkspaceError(
            f"the undo journal of this edit would be over {JOURNAL_LIMIT:,} bytes; nothing was written "
            "(edit fewer or smaller files at once)"
        )
    fileio.private_dir(folder(home))
    fileio.write_private(folder(home) / f"{batch}.json", text)
    prune(home, keep=batch)
    return batch


def prune(home: Path, keep: str | None = None, now: float | None = None) -> None:
    """Drop the oldest entries past JOURNALS, past JOURNAL_BYTES in all, and those older than KEEP_DAYS;
    the entry `keep` (the one just written) stays."""
    cutoff = (time.time() if now is None else now) - KEEP_DAYS * 86400
    total, count = 0, 0
    for path in sorted(folder(home).glob("*.json"), reverse=True):  # newest first
        try:
            st = path.stat()
        except OSError:
            continue
        total, count = total + st.st_size, count + 1
        if path.stem != keep and (count > JOURNALS or total > JOURNAL_BYTES or st.st_mtime < cutoff):
            path.unlink(missing_ok=True)
            total, count = total - st.st_size, count - 1


def entries(home: Path) -> list[dict[str, Any]]:
    """The kept edits, newest first, without the files' texts."""
    prune(home)
    out = []
    for path in sorted(folder(home).glob("*.json"), reverse=True):
        data = _load(path)
        if data is not None:
            out.append(
                {
                    "id": data["id"],
                    "time": data["time"],
                    "root": data["root"],
                    "what": data.get("what", ""),
                    "files": [f["path"] for f in data["files"]],
                }
            )
    return out


def _load(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(fileio.read_bounded(path, limit=JOURNAL_LIMIT, what="undo journal"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "files" in data and "root" in data else None


def undo(home: Path, root: str | os.PathLike[str], batch: str | None = None) -> dict[str, Any]:
    """Put back the files of edit `batch` (default: the latest edit made in the workspace `root`), each only
    if it still holds what the edit wrote. An edit made under another root is refused (WorkspaceError, exit
    2): a session working in one project never rewrites another's files. The journal is removed once every
    file is restored; a file changed since is left as it is and named, and the journal kept."""
    ws = Workspace(root)
    prune(home)
    names = sorted(folder(home).glob("*.json"), reverse=True)
    if batch is not None:
        names = [p for p in names if p.stem == batch]
        if not names:
            raise RouterError(f"no edit {batch!r} in the undo journal (llm-router fs undo --list shows them)")
        data = _load(names[0])
        if data is None:
            raise RouterError(f"the undo journal {names[0]} cannot be read")
        if data["root"] != str(ws.root):
            raise WorkspaceError(
                f"edit {batch!r} was made in {data['root']}, not in this workspace ({ws.root}); "
                f"undo it from there (llm-router fs undo --root {data['root']} {batch})"
            )
        path = names[0]
    else:
        mine = ((p, _load(p)) for p in names)
        found = next(((p, d) for p, d in mine if d is not None and d["root"] == str(ws.root)), None)
        if found is None:
            raise RouterError(f"nothing to undo: no edit in the undo journal was made in {ws.root}")
        path, data = found
    results = []
    for f in data["files"]:
        results.append(_restore(ws, f))
    if all(r["status"] in ("restored", "already") for r in results):
        path.unlink(missing_ok=True)
    return {"id": data["id"], "root": data["root"], "files": results}


def _restore(ws: Workspace, f: dict[str, Any]) -> dict[str, Any]:
    name = f["path"]
    try:
        real, now = ws.read_text(name, HARD_LIMIT)
    except WorkspaceError as exc:
        return {"path": name, "status": "error", "error": str(exc)}
    if now == f["before"]:
        return {"path": name, "status": "already"}
    if digest(now) != f["after_sha256"]:
        return {"path": name, "status": "changed", "error": "changed since the edit; left as it is"}
    ws.write_text(real, f["before"], HARD_LIMIT)
    return {"path": name, "status": "restored"}
