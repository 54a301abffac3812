"""Reading an audio file to transcribe (bounded) and measuring how long it is, where the format allows
it without a decoder (WAV)."""

from __future__ import annotations

import io
import wave
from pathlib import Path

from llm_router.execute.dispatch import Failure

MAX_AUDIO_BYTES = 25 << 20  # OpenAI's limit for one transcription upload; the others' are larger


def read_audio(path: Path, limit: int = MAX_AUDIO_BYTES) -> bytes:
    """The bytes of a regular audio file of at most `limit` bytes, or a Failure saying why not."""
    try:
        if not path.is_file():
            raise Failure("bad_request", f"{path} is not a regular file")
        size = path.stat().st_size
        if size > limit:
            raise Failure("bad_request", f"{path} is {size >> 20} MiB; at most {limit >> 20} MiB is sent")
        with path.open("rb") as handle:
            return handle.read(limit + 1)[:limit]
    except OSError as exc:
        raise Failure("bad_request", f"cannot read {path}: {exc.strerror or exc}") from None


def audio_seconds(data: bytes) -> float | None:
    """How many seconds a WAV recording lasts; None for other formats."""
    if not (data[:4] == b"RIFF" and data[8:12] == b"WAVE"):
        return None
    try:
        with wave.open(io.BytesIO(data)) as w:
            rate = w.getframerate()
            return w.getnframes() / rate if rate else None
    except (wave.Error, EOFError):
        return None
