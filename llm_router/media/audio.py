"""Reading an audio file to transcribe (bounded) and measuring how long it is, where the format allows
it without a decoder (WAV)."""

from __future__ import annotations

import io
import wave
from pathlib import Path

from llm_router import fileio
from llm_router.execute.dispatch import Failure

MAX_AUDIO_BYTES = 25 << 20  # OpenAI's limit for one transcription upload; the others' are larger


def read_audio(path: Path, limit: int = MAX_AUDIO_BYTES) -> bytes:
    """The bytes of a regular audio file of at most `limit` bytes, or a Failure saying why not."""
    try:
        return fileio.read_bounded(path, limit=limit, what="audio file")
    except OSError as exc:  # RefusedFile (a fifo, a device, too large) names the file and why
        raise Failure("bad_request", f"cannot send {path}: {exc.strerror or exc}") from None


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
