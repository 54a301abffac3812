"""The values of one media request: what is asked (`MediaJob`), what a provider gave back (`MediaReply`),
and what the walk down the chain produced (`MediaResult`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KINDS = ("image", "video", "speech", "transcription")
# What one unit of each kind is, as usage rows and sidecars count it.
UNITS = {"image": "images", "video": "seconds", "speech": "characters", "transcription": "seconds"}
DEFAULT_VIDEO_SECONDS = 5.0


@dataclass(frozen=True)
class MediaJob:
    """One media request: the kind, the text (an image or video prompt, the text to speak, or a hint for a
    transcription) and the options a provider may take."""

    kind: str
    prompt: str
    size: str | None = None  # an image's WIDTHxHEIGHT, or a video's aspect ratio (16:9)
    quality: str | None = None  # an image quality the provider knows (low, medium, high, standard, hd)
    seconds: float | None = None  # how long a video should be
    voice: str | None = None  # a speech voice (alloy, or an ElevenLabs voice id)
    audio_format: str = "mp3"  # speech output: mp3 | wav | opus | aac | flac
    audio: Path | None = None  # the file to transcribe
    language: str | None = None  # of the audio to transcribe (ISO 639-1)
    chars: int | None = None  # the prompt's length when the prompt itself is not kept (a resumed job)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown media kind {self.kind!r}: one of {', '.join(KINDS)}")

    @property
    def text_chars(self) -> int:
        """How many characters the prompt has (what speech is priced by)."""
        return self.chars if self.chars is not None else len(self.prompt)

    @property
    def video_seconds(self) -> float:
        return float(self.seconds or DEFAULT_VIDEO_SECONDS)

    def options(self) -> dict[str, Any]:
        """The options that were set, for the sidecar."""
        values = {
            "size": self.size,
            "quality": self.quality,
            "seconds": self.seconds,
            "voice": self.voice,
            "audio_format": self.audio_format if self.kind == "speech" else None,
            "audio": str(self.audio) if self.audio else None,
            "language": self.language,
        }
        return {k: v for k, v in values.items() if v is not None}


@dataclass(frozen=True)
class MediaReply:
    """What a provider produced: the bytes and their MIME type (or, for a transcription, the text), how many
    units they are (images, seconds of video, characters spoken, seconds transcribed), and the provider's
    own id for the job."""

    data: bytes
    mime: str
    units: float
    provider_job_id: str | None = None
    text: str | None = None  # a transcription
    meta: Mapping[str, Any] = field(
        default_factory=dict
    )  # what else the provider said (seed, revised prompt)


@dataclass(frozen=True)
class MediaResult:
    """The saved result of a media request and everything it took to get it."""

    kind: str
    model: str
    path: Path
    sidecar: Path
    cost_usd: float  # every attempt of this request
    units: float
    decision_id: str
    attempts: tuple[Any, ...]  # execute.Attempt
    skipped: Mapping[str, str]
    provider_job_id: str | None = None
    text: str | None = None
    mime: str = ""
    priced: bool = True  # False when no price is known for the model (the cost shows as 0)
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": str(self.path),
            "sidecar": str(self.sidecar),
            "mime": self.mime,
            "model": self.model,
            "cost_usd": round(self.cost_usd, 8),
            "priced": self.priced,
            "units": self.units,
            "unit": UNITS[self.kind],
            "decision_id": self.decision_id,
            "provider_job_id": self.provider_job_id,
            "text": self.text,
            "attempts": [a.to_dict() for a in self.attempts],
            "skipped": dict(self.skipped),
            "warnings": list(self.warnings),
        }
