"""Providers answered in one request, over their own HTTP APIs: Stability's image generation and
ElevenLabs' speech and transcription."""

from __future__ import annotations

from llm_router.execute.dispatch import Failure
from llm_router.media.audio import audio_seconds, read_audio
from llm_router.media.calls import MediaCall
from llm_router.media.http import Api
from llm_router.media.job import MediaReply

# Stability: https://platform.stability.ai/docs/api-reference#tag/Generate
# POST {base}/v2beta/stable-image/generate/{core | ultra | sd3} as multipart/form-data (prompt, output_format,
# aspect_ratio, and `model` for the SD3 family) with `Accept: image/*`: the image bytes, with the headers
# `finish-reason` (SUCCESS | CONTENT_FILTERED) and `seed`.
_STABILITY_ENDPOINTS = {
    "stable-image-core": "core",
    "stable-image-ultra": "ultra",
    "core": "core",
    "ultra": "ultra",
}

# ElevenLabs: https://elevenlabs.io/docs/api-reference/text-to-speech/convert
# POST {base}/v1/text-to-speech/{voice_id}?output_format=mp3_44100_128 {text, model_id} with `xi-api-key`:
# the audio bytes. https://elevenlabs.io/docs/api-reference/speech-to-text/convert
# POST {base}/v1/speech-to-text multipart (file, model_id) -> {text, language_code, words: [{start, end}]}.
ELEVENLABS_DEFAULT_VOICE = "21m00Tcm4TlvDq8ikWAM"  # "Rachel", the voice ElevenLabs' own examples use
_ELEVENLABS_FORMATS = {"mp3": "mp3_44100_128", "wav": "pcm_44100", "opus": "opus_48000_64"}


def stability(call: MediaCall) -> MediaReply:
    """One image from Stability's v2beta generate API."""
    job = call.job
    if job.kind != "image":
        raise Failure("bad_request", f"llm-router does not send {job.kind} requests to Stability")
    name = call.model.split("/", 1)[1]
    endpoint = _STABILITY_ENDPOINTS.get(name, "sd3")
    form = {"prompt": job.prompt, "output_format": "png"}
    if endpoint == "sd3":
        form["model"] = name
    if job.size and ":" in job.size:
        form["aspect_ratio"] = job.size
    key = call.credentials.get("api_key", "")
    with Api(call.credentials, {"Authorization": f"Bearer {key}"}, call.timeout_s) as api:
        # `files` makes httpx send multipart/form-data, which the API requires even without a file.
        response = api.call(
            "POST",
            api.url(f"v2beta/stable-image/generate/{endpoint}"),
            data=form,
            files={"none": ("", b"")},
            headers={"Accept": "image/*"},
        )
    if response.headers.get("finish-reason", "SUCCESS").upper() == "CONTENT_FILTERED":
        raise Failure("refusal", "Stability filtered the image (finish-reason CONTENT_FILTERED)")
    if not response.content:
        raise Failure("empty", "Stability answered no image")
    seed = response.headers.get("seed")
    mime = response.headers.get("content-type", "image/png").split(";", 1)[0]
    return MediaReply(response.content, mime, 1.0, response.headers.get("x-request-id"), meta={"seed": seed})


def elevenlabs(call: MediaCall) -> MediaReply:
    """Speech from text, or the text of a recording, from ElevenLabs."""
    job = call.job
    name = call.model.split("/", 1)[1]
    auth = {"xi-api-key": call.credentials.get("api_key", "")}
    with Api(call.credentials, auth, call.timeout_s) as api:
        if job.kind == "speech":
            fmt = _ELEVENLABS_FORMATS.get(job.audio_format, "mp3_44100_128")
            response = api.call(
                "POST",
                api.url(f"v1/text-to-speech/{job.voice or ELEVENLABS_DEFAULT_VOICE}"),
                params={"output_format": fmt},
                json={"text": job.prompt, "model_id": name},
            )
            if not response.content:
                raise Failure("empty", "ElevenLabs answered no audio")
            mime = response.headers.get("content-type", "audio/mpeg").split(";", 1)[0]
            return MediaReply(
                response.content, mime, float(job.text_chars), response.headers.get("request-id")
            )
        if job.kind == "transcription":
            if job.audio is None:
                raise Failure("bad_request", "no audio file to transcribe")
            data = read_audio(job.audio)
            form = {"model_id": name} | ({"language_code": job.language} if job.language else {})
            answer = api.json(
                "POST", api.url("v1/speech-to-text"), data=form, files={"file": (job.audio.name, data)}
            )
            text = str(answer.get("text") or "")
            words = [w for w in answer.get("words") or [] if isinstance(w, dict)]
            seconds = audio_seconds(data) or max((float(w.get("end") or 0) for w in words), default=0.0)
            return MediaReply(text.encode(), "text/plain", seconds, None, text=text)
    raise Failure("bad_request", f"llm-router does not send {job.kind} requests to ElevenLabs")
