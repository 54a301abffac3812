"""The on-disk cache of loaded policies: one JSON file per set of inputs under `<home>/cache/`, trusted only
while every file it was built from still has the same content (sha256). Standard library only, so that a
hook process reading it imports neither yaml nor jsonschema."""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

from llm_router import fileio

__all__ = ["FORMAT", "entry_path", "read", "write", "sha256_of"]

FORMAT = 2


def sha256_of(path: Path) -> str | None:
    """sha256 of a policy file's bytes, None when it cannot be read (or is not one the loader would read)."""
    try:
        return hashlib.sha256(
            fileio.read_bounded(path, limit=fileio.POLICY_LIMIT, what="policy file")
        ).hexdigest()
    except OSError:
        return None


def entry_path(home: Path, key: str) -> Path:
    """Where the cache entry for these inputs lives."""
    return home / "cache" / f"policy-{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"


def read(home: Path, key: str) -> dict[str, Any] | None:
    """The cached payload for `key`, or None when missing, corrupt, or any source file changed."""
    try:
        payload = json.loads(
            fileio.read_bounded(entry_path(home, key), limit=fileio.CACHE_LIMIT, what="cache")
        )
    except (OSError, ValueError):
        return None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT or payload.get("key") != key:
        return None
    files = payload.get("files")
    if not isinstance(files, list):
        return None
    for entry in files:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
            return None
        path, digest = Path(entry[0]), entry[1]
        if digest is None:  # a file that was absent (an optional user file) must still be absent
            if path.exists():
                return None
        elif sha256_of(path) != digest:
            return None
    return payload


def write(home: Path, key: str, payload: dict[str, Any]) -> None:
    """Store `payload` atomically; a home we cannot write to just means no cache."""
    target = entry_path(home, key)
    body = json.dumps({**payload, "format": FORMAT, "key": key}, ensure_ascii=False, separators=(",", ":"))
    with contextlib.suppress(OSError):
        fileio.private_dir(target.parent)
        fileio.write_private(target, body)
