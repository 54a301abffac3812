"""Saving a media result where the user asked (default `$LLM_ROUTER_HOME/media/`): the file, named for its
kind, time and decision, and a JSON sidecar beside it, through `llm_router.fileio` (folders llm-router
creates 0700, files 0600)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from llm_router import fileio

_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
    "video/mp4": "mp4",
    "video/webm": "webm",
    "video/quicktime": "mov",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/ogg": "ogg",
    "audio/aac": "aac",
    "audio/flac": "flac",
    "audio/pcm": "pcm",
    "text/plain": "txt",
}


def media_dir(home: Path) -> Path:
    """Where results go when the user names no folder."""
    return home / "media"


def sniff(data: bytes, mime: str = "") -> tuple[str, str]:
    """(MIME type, extension) of a result, from its first bytes, else from what the provider said."""
    head = data[:16]
    for prefix, kind, ext in (
        (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
        (b"\xff\xd8\xff", "image/jpeg", "jpg"),
        (b"GIF8", "image/gif", "gif"),
        (b"ID3", "audio/mpeg", "mp3"),
        (b"\xff\xfb", "audio/mpeg", "mp3"),
        (b"\xff\xf3", "audio/mpeg", "mp3"),
        (b"OggS", "audio/ogg", "ogg"),
        (b"fLaC", "audio/flac", "flac"),
    ):
        if head.startswith(prefix):
            return kind, ext
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav", "wav"
    if head[4:8] == b"ftyp":
        return "video/mp4", "mp4"
    mime = mime.split(";", 1)[0].strip().lower()
    return mime or "application/octet-stream", _EXTENSIONS.get(mime, "bin")


def free_name(folder: Path, stem: str, ext: str) -> Path:
    """`folder/stem.ext`, or `stem-2.ext`, ... when that name is taken: a result never replaces a file."""
    for n in range(1, 1000):
        path = folder / (f"{stem}.{ext}" if n == 1 else f"{stem}-{n}.{ext}")
        if not os.path.lexists(path):
            return path
    raise FileExistsError(f"no free name for {stem}.{ext} in {folder}")


def save(
    folder: Path,
    kind: str,
    decision_id: str,
    data: bytes,
    mime: str,
    sidecar: Mapping[str, Any],
    home: Path | None = None,
) -> tuple[Path, Path]:
    """Write a result and its sidecar (`NAME.EXT.json`), 0600 each; returns both paths. Missing folders are
    made 0700; a folder under the llm-router `home` is made 0700 too, one of the user's elsewhere is left as
    it is."""
    if home is not None and folder.resolve().is_relative_to(home.resolve()):
        fileio.private_dir(folder)
    mime, ext = sniff(data, mime)
    stem = f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}-{decision_id[:8]}"
    path = free_name(folder, stem, ext)
    fileio.write_private(path, data)
    meta = {"file": path.name, "mime": mime, "bytes": len(data), **sidecar}
    side = free_name(folder, path.name, "json")
    fileio.write_private(side, json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return path, side
