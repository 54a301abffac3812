"""Saving a media result where the user asked (default `$LLM_ROUTER_HOME/media/`): the file, named for its
kind, time and decision, and a JSON sidecar beside it. Folders llm-router creates are 0700, files 0600."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DIR_MODE = 0o700
FILE_MODE = 0o600

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


def private_dir(path: Path) -> Path:
    """`path`, created with every missing folder 0700; an existing folder is the user's and kept as it is."""
    missing = []
    for parent in (path, *path.parents):
        if parent.exists():
            break
        missing.append(parent)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(folder, DIR_MODE)  # mkdir's mode is masked by the umask
    return path


def write_new(folder: Path, stem: str, ext: str, data: bytes) -> Path:
    """A new 0600 file `stem.ext` in `folder` (`stem-2.ext`, ... when the name is taken); never replaces."""
    for n in range(1, 1000):
        path = folder / (f"{stem}.{ext}" if n == 1 else f"{stem}-{n}.{ext}")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(path, FILE_MODE)
        return path
    raise FileExistsError(f"no free name for {stem}.{ext} in {folder}")


def save(
    folder: Path, kind: str, decision_id: str, data: bytes, mime: str, sidecar: Mapping[str, Any]
) -> tuple[Path, Path]:
    """Write a result and its sidecar (`NAME.EXT.json`); returns both paths."""
    private_dir(folder)
    mime, ext = sniff(data, mime)
    stem = f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}-{decision_id[:8]}"
    path = write_new(folder, stem, ext, data)
    meta = {"file": path.name, "mime": mime, "bytes": len(data), **sidecar}
    side = write_new(folder, path.name, "json", (json.dumps(meta, indent=2, sort_keys=True) + "\n").encode())
    return path, side
