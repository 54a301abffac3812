"""The narrow interface between the media walk and a provider: a `MediaCall` in, a `MediaReply` out, an
`execute.dispatch.Failure` raised, or `Pending` when a queued job outlives the wait (it can be resumed)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from llm_router.media.job import MediaJob, MediaReply


@dataclass(frozen=True)
class Submitted:
    """A job a provider's queue accepted: enough to ask about it again, from this process or a later one."""

    model: str
    provider_job_id: str
    status_url: str = ""  # on the provider's own origin
    result_url: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "model": self.model,
            "provider_job_id": self.provider_job_id,
            "status_url": self.status_url,
            "result_url": self.result_url,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Submitted:
        return cls(
            str(data["model"]),
            str(data["provider_job_id"]),
            str(data.get("status_url") or ""),
            str(data.get("result_url") or ""),
        )


class Pending(Exception):
    """A queued job had not finished when the wait ran out; it is still running at the provider."""

    def __init__(self, submitted: Submitted, waited_s: float):
        super().__init__(
            f"{submitted.model}: job {submitted.provider_job_id} still running after {waited_s:.0f}s"
        )
        self.submitted = submitted
        self.waited_s = waited_s


def _no_progress(message: str) -> None:
    return None


@dataclass(frozen=True)
class MediaCall:
    """One media request to one model."""

    model: str
    job: MediaJob
    credentials: Mapping[str, str] = field(default_factory=dict)  # api_key / api_base
    timeout_s: float = 60.0  # each HTTP request
    wait_s: float = 600.0  # how long to wait for a queued job before leaving it to be resumed
    poll_s: float = 2.0  # between two status requests of a queued job
    on_progress: Callable[[str], None] = _no_progress
    on_submitted: Callable[[Submitted], None] = lambda submitted: None  # keep it, to resume it later
    resume: Submitted | None = None  # ask about this job instead of submitting a new one
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


MediaDispatch = Callable[[MediaCall], MediaReply]
