"""Media through LiteLLM, for the providers it serves (OpenAI, Gemini, and the others it knows): images
with `litellm.image_generation`, speech with `litellm.speech`, transcription with `litellm.transcription`.
Errors are named by the executor's own `classify`, so a media failure moves down the chain as a text one does.
"""

from __future__ import annotations

import base64
from typing import Any

from llm_router.execute.dispatch import Failure, classify, litellm_module
from llm_router.media.audio import audio_seconds, read_audio
from llm_router.media.calls import MediaCall, Pending, Submitted
from llm_router.media.http import Api
from llm_router.media.job import MediaReply

SPEECH_MIME = {
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "opus": "audio/ogg",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "pcm": "audio/pcm",
}
DEFAULT_VOICE = "alloy"


def via_litellm(call: MediaCall) -> MediaReply:
    """One media request through LiteLLM, with its own retries off (the chain retries)."""
    litellm = litellm_module()
    common: dict[str, Any] = {"model": call.model, "timeout": call.timeout_s, **call.credentials}
    job = call.job
    try:
        if job.kind == "image":
            return _image(litellm, call, common)
        if job.kind == "speech":
            voice = job.voice or DEFAULT_VOICE
            response = litellm.speech(
                input=job.prompt, voice=voice, response_format=job.audio_format, **common
            )
            data = response.content if hasattr(response, "content") else response.read()
            if not data:
                raise Failure("empty", "the provider answered no audio")
            return MediaReply(data, SPEECH_MIME.get(job.audio_format, "audio/mpeg"), float(job.text_chars))
        if job.kind == "transcription":
            return _transcription(litellm, call, common)
        if job.kind == "video":
            return _video(litellm, call, common)
    except (Failure, Pending):
        raise
    except Exception as exc:  # a provider library can raise anything; classify names each kind
        raise classify(exc, litellm) from None
    raise Failure("bad_request", f"llm-router does not send {job.kind} requests through LiteLLM")


def _image(litellm: Any, call: MediaCall, common: dict[str, Any]) -> MediaReply:
    job = call.job
    options = {k: v for k, v in (("size", job.size), ("quality", job.quality)) if v}
    response = litellm.image_generation(prompt=job.prompt, n=1, max_retries=0, **options, **common)
    items = list(getattr(response, "data", None) or [])
    if not items:
        raise Failure("empty", "the provider answered no image")
    item = items[0]
    b64 = _field(item, "b64_json")
    meta = {"revised_prompt": _field(item, "revised_prompt")} if _field(item, "revised_prompt") else {}
    if b64:
        try:
            return MediaReply(base64.b64decode(b64), "", 1.0, meta=meta)
        except ValueError:
            raise Failure("bad_response", "the image's base64 does not decode") from None
    url = _field(item, "url")
    if not url:
        raise Failure("bad_response", "the answer has neither b64_json nor url")
    # The URL is usually a storage host of the provider's: it is fetched without any key.
    with Api({"api_base": call.credentials.get("api_base") or url}, {}, call.timeout_s) as api:
        data, mime = api.download(url)
    return MediaReply(data, mime, 1.0, meta=meta)


def _transcription(litellm: Any, call: MediaCall, common: dict[str, Any]) -> MediaReply:
    job = call.job
    if job.audio is None:
        raise Failure("bad_request", "no audio file to transcribe")
    data = read_audio(job.audio)
    extra: dict[str, Any] = {"language": job.language} if job.language else {}
    if "whisper" in call.model:
        extra["response_format"] = "verbose_json"  # it says how long the audio was
    if job.prompt:
        extra["prompt"] = job.prompt
    response = litellm.transcription(file=(job.audio.name, data), max_retries=0, **extra, **common)
    text = str(_field(response, "text") or "")
    duration = _field(response, "duration")
    seconds = float(duration) if isinstance(duration, int | float) else audio_seconds(data)
    return MediaReply(
        text.encode(), "text/plain", seconds or 0.0, text=text, meta={"measured": seconds is not None}
    )


def _video(litellm: Any, call: MediaCall, common: dict[str, Any]) -> MediaReply:
    """A video job through LiteLLM's video API (OpenAI's /videos: create, then status until completed,
    then content), polled and resumable as a provider's own queue is."""
    from llm_router.media.queued import Status, poll

    job = call.job
    ask = {k: v for k, v in common.items() if k != "model"}
    seconds = str(int(job.video_seconds))

    def submit() -> Submitted:
        options = {"size": job.size} if job.size and "x" in job.size else {}
        video = litellm.video_generation(prompt=job.prompt, seconds=seconds, **options, **common)
        return Submitted(call.model, str(_field(video, "id")))

    def status_of(submitted: Submitted) -> Status:
        video = litellm.video_status(video_id=submitted.provider_job_id, **ask)
        state = str(_field(video, "status") or "")
        if state == "completed":
            return Status("done")
        if state == "failed":
            return Status("failed", str(_field(video, "error") or "no reason given"))
        progress = _field(video, "progress")
        return Status("running" if state == "in_progress" else "queued", f"{state} {progress or 0}%")

    def result_of(submitted: Submitted, status: Status) -> MediaReply:
        data = litellm.video_content(video_id=submitted.provider_job_id, **ask)
        if not data:
            raise Failure("empty", f"video {submitted.provider_job_id} has no content")
        return MediaReply(bytes(data), "video/mp4", job.video_seconds, submitted.provider_job_id)

    return poll(call, submit, status_of, result_of)


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
