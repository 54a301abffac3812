"""Jobs still running at a provider, kept in `$LLM_ROUTER_HOME/media/jobs/ID.json` (0600) so that a long job
(a video) can be resumed by its id after the wait ran out or the command was interrupted."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from llm_router import fileio
from llm_router.errors import RouterError

MAX_STATE_BYTES = 1 << 20  # a job file holds the decision that started it


def jobs_dir(home: Path) -> Path:
    return home / "media" / "jobs"


def job_id(model: str, provider_job_id: str) -> str:
    """llm-router's id for a provider's job: short, and safe as a file name whatever the provider's id is."""
    return hashlib.blake2b(f"{model}\0{provider_job_id}".encode(), digest_size=6).hexdigest()


def keep(home: Path, state: Mapping[str, Any]) -> Path:
    """Write a job's state (replacing an earlier one of the same id)."""
    folder = jobs_dir(home)
    fileio.private_dir(folder)
    path = folder / f"{state['id']}.json"
    fileio.write_private(path, json.dumps(dict(state), indent=2, sort_keys=True))
    return path


def load(home: Path, ident: str) -> dict[str, Any]:
    """The state of job `ident`; a RouterError naming the known ids when there is none."""
    if not ident or not all(c in "0123456789abcdef" for c in ident):
        raise RouterError(f"{ident!r} is not a job id (ids are hexadecimal; see {jobs_dir(home)})")
    path = jobs_dir(home) / f"{ident}.json"
    try:
        data = json.loads(fileio.read_bounded(path, limit=MAX_STATE_BYTES, what="media job file"))
    except FileNotFoundError:
        known = sorted(p.stem for p in jobs_dir(home).glob("*.json")) if jobs_dir(home).is_dir() else []
        raise RouterError(
            f"no pending media job {ident!r}"
            + (f" (pending: {', '.join(known)})" if known else " (none pending)")
        ) from None
    except (OSError, ValueError) as exc:
        raise RouterError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or "submitted" not in data:
        raise RouterError(f"{path} is not a media job file")
    return data


def forget(home: Path, ident: str) -> None:
    """Remove a finished job's state."""
    (jobs_dir(home) / f"{ident}.json").unlink(missing_ok=True)
