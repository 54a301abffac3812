"""Providers whose jobs are queued and polled, over their own HTTP APIs: fal's queue, Replicate predictions
and Runway tasks. Each submits a job, reports its progress, and fetches the result when it is done; a job
that outlives the wait raises `Pending` and can be resumed by its id."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from llm_router.execute.dispatch import Failure
from llm_router.media.calls import MediaCall, Pending, Submitted
from llm_router.media.http import Api
from llm_router.media.job import MediaJob, MediaReply

RUNWAY_VERSION = "2024-11-06"  # the API version Runway's docs pin (X-Runway-Version)
_RUNWAY_RATIOS = {"16:9": "1280:720", "9:16": "720:1280", "1:1": "960:960", "4:3": "1104:832"}


class Status(NamedTuple):
    """Where a queued job is: queued | running | done | failed, in the provider's words, with its result
    when the status answer carries it."""

    state: str
    detail: str = ""
    result: Any = None


class Queue(NamedTuple):
    """How to talk to one provider's queue."""

    submit: Callable[[Api, str, MediaJob], Submitted]
    status: Callable[[Api, Submitted], Status]
    result: Callable[[Api, Submitted, Status, MediaJob], MediaReply]
    auth: Callable[[str], dict[str, str]]
    headers: Mapping[str, str] = {}


def run_queued(call: MediaCall, queue: Queue) -> MediaReply:
    """Submit the job (or take up `call.resume`), poll it until it is done, and fetch its result."""
    creds = call.credentials
    with Api(creds, queue.auth(creds.get("api_key", "")), call.timeout_s, queue.headers) as api:
        return poll(
            call,
            lambda: queue.submit(api, call.model, call.job),
            lambda submitted: queue.status(api, submitted),
            lambda submitted, status: queue.result(api, submitted, status, call.job),
        )


def poll(
    call: MediaCall,
    submit: Callable[[], Submitted],
    status_of: Callable[[Submitted], Status],
    result_of: Callable[[Submitted, Status], MediaReply],
) -> MediaReply:
    """Submit a job (or take up `call.resume`), ask about it every `call.poll_s` seconds, reporting each new
    state, and fetch its result when it is done; `Pending` after `call.wait_s`, a Failure when it failed."""
    submitted = call.resume or submit()
    if call.resume is None:
        call.on_submitted(submitted)
        call.on_progress(f"{call.model}: submitted job {submitted.provider_job_id}")
    started = call.clock()
    last = ""
    while True:
        status = status_of(submitted)
        if status.state == "done":
            call.on_progress(f"{call.model}: done after {call.clock() - started:.0f}s")
            return result_of(submitted, status)
        if status.state == "failed":
            raise Failure("server_error", f"job {submitted.provider_job_id} failed: {status.detail}")
        waited = call.clock() - started
        line = f"{call.model}: {status.detail or status.state}"
        if line != last:
            call.on_progress(f"{line} ({waited:.0f}s)")
            last = line
        if waited + call.poll_s > call.wait_s:
            raise Pending(submitted, waited)
        call.sleep(call.poll_s)


# -- fal: https://docs.fal.ai/model-endpoints/queue ----------------------------------------------------------
# POST {base}/{model_id}[/{subpath}] (JSON input) -> {request_id, status_url, response_url, cancel_url};
# GET .../requests/{id}/status -> {status: IN_QUEUE | IN_PROGRESS | COMPLETED, queue_position};
# GET .../requests/{id} -> the model's output ({"images": [{url, content_type}]}, {"video": {url}}, ...).
# Status and result live under the app id without its subpath; the submit answer names both URLs.


def _fal_input(job: MediaJob) -> dict[str, Any]:
    body: dict[str, Any] = {"prompt": job.prompt}
    if job.kind == "image":
        body["num_images"] = 1
        width, sep, height = (job.size or "").lower().partition("x")
        if sep and width.isdigit() and height.isdigit():
            body["image_size"] = {"width": int(width), "height": int(height)}
    elif job.kind == "video":
        if job.seconds:
            body["duration"] = str(int(job.seconds))
        if job.size and ":" in job.size:
            body["aspect_ratio"] = job.size
    elif job.kind == "speech":
        body["text"] = job.prompt
        if job.voice:
            body["voice"] = job.voice
    return body


def _fal_submit(api: Api, model: str, job: MediaJob) -> Submitted:
    app = model.split("/", 1)[1]
    answer = api.json("POST", api.url(app), json=_fal_input(job))
    request_id = str(answer.get("request_id") or "")
    if not request_id:
        raise Failure("bad_response", "fal's queue gave no request_id")
    owner_app = "/".join(app.split("/")[:2])
    status_url = answer.get("status_url") or api.url(f"{owner_app}/requests/{request_id}/status")
    result_url = answer.get("response_url") or api.url(f"{owner_app}/requests/{request_id}")
    return Submitted(model, request_id, api.own(status_url), api.own(result_url))


def _fal_status(api: Api, submitted: Submitted) -> Status:
    answer = api.json("GET", submitted.status_url)
    state = str(answer.get("status") or "")
    if answer.get("error"):
        return Status("failed", str(answer["error"])[:200])
    if state == "COMPLETED":
        return Status("done")
    if state == "IN_QUEUE":
        position = answer.get("queue_position")
        return Status("queued", "in queue" + (f" at position {position}" if position is not None else ""))
    if state == "IN_PROGRESS":
        return Status("running", "in progress")
    raise Failure("bad_response", f"fal's queue answered an unknown status {state!r}")


def _fal_result(api: Api, submitted: Submitted, status: Status, job: MediaJob) -> MediaReply:
    output = api.json("GET", submitted.result_url)
    return _reply_from_urls(api, submitted, job, _fal_urls(output), output)


def _fal_urls(output: Any) -> list[str]:
    """The file URLs a fal output names, whatever the kind: images[], image, video, audio, audio_url."""
    if not isinstance(output, dict):
        return []
    urls: list[str] = []
    for key in ("images", "image", "video", "audio", "audio_url", "file"):
        value = output.get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and isinstance(item.get("url"), str):
                urls.append(item["url"])
            elif isinstance(item, str):
                urls.append(item)
    return urls


FAL = Queue(
    _fal_submit, _fal_status, _fal_result, auth=lambda key: {"Authorization": f"Key {key}"} if key else {}
)


# -- Replicate: https://replicate.com/docs/reference/http#models.predictions.create ------------------------
# POST {base}/v1/models/{owner}/{name}/predictions {"input": {...}} (or POST {base}/v1/predictions with a
# "version" for a pinned owner/name:version) -> a prediction {id, status, output, error, urls: {get}};
# GET {base}/v1/predictions/{id} until status is succeeded | failed | canceled. Output: a URL or a list.


def _replicate_input(job: MediaJob) -> dict[str, Any]:
    body: dict[str, Any] = {"prompt": job.prompt}
    if job.kind == "image" and job.size and ":" in job.size:
        body["aspect_ratio"] = job.size
    elif job.kind == "video":
        if job.seconds:
            body["duration"] = int(job.seconds)
        if job.size and ":" in job.size:
            body["aspect_ratio"] = job.size
    elif job.kind == "speech":
        body["text"] = job.prompt
        if job.voice:
            body["voice"] = job.voice
    return body


def _replicate_submit(api: Api, model: str, job: MediaJob) -> Submitted:
    name = model.split("/", 1)[1]
    if ":" in name:
        answer = api.json(
            "POST",
            api.url("v1/predictions"),
            json={"version": name.split(":", 1)[1], "input": _replicate_input(job)},
        )
    else:
        answer = api.json(
            "POST", api.url(f"v1/models/{name}/predictions"), json={"input": _replicate_input(job)}
        )
    prediction_id = str(answer.get("id") or "")
    if not prediction_id:
        raise Failure("bad_response", "Replicate gave no prediction id")
    get = (answer.get("urls") or {}).get("get") or api.url(f"v1/predictions/{prediction_id}")
    return Submitted(model, prediction_id, api.own(get), api.own(get))


def _replicate_status(api: Api, submitted: Submitted) -> Status:
    answer = api.json("GET", submitted.status_url)
    state = str(answer.get("status") or "")
    if state == "succeeded":
        return Status("done", result=answer)
    if state in ("failed", "canceled"):
        return Status("failed", f"{state}: {answer.get('error') or 'no reason given'}")
    if state in ("starting", "processing"):
        return Status("running" if state == "processing" else "queued", state)
    raise Failure("bad_response", f"Replicate answered an unknown status {state!r}")


def _replicate_result(api: Api, submitted: Submitted, status: Status, job: MediaJob) -> MediaReply:
    output = (status.result or {}).get("output")
    urls = [output] if isinstance(output, str) else [u for u in output or [] if isinstance(u, str)]
    return _reply_from_urls(api, submitted, job, urls, status.result)


REPLICATE = Queue(
    _replicate_submit,
    _replicate_status,
    _replicate_result,
    auth=lambda key: {"Authorization": f"Bearer {key}"} if key else {},
)


# -- Runway: https://docs.dev.runwayml.com/api/ --------------------------------------------------------------
# POST {base}/v1/text_to_video {model, promptText, ratio, duration} (or /v1/text_to_image {model, promptText,
# ratio}) with X-Runway-Version -> {id}; GET {base}/v1/tasks/{id} -> {status: PENDING | THROTTLED | RUNNING |
# SUCCEEDED | FAILED | CANCELLED, progress, output: [url], failure}.


def _runway_submit(api: Api, model: str, job: MediaJob) -> Submitted:
    name = model.split("/", 1)[1]
    ratio = _RUNWAY_RATIOS.get(job.size or "", job.size or "")
    if job.kind == "video":
        body: dict[str, Any] = {"model": name, "promptText": job.prompt, "duration": int(job.video_seconds)}
        path = "v1/text_to_video"
        body["ratio"] = ratio or "1280:720"
    elif job.kind == "image":
        body, path = (
            {"model": name, "promptText": job.prompt, "ratio": ratio or "1920:1080"},
            "v1/text_to_image",
        )
    else:
        raise Failure("bad_request", f"llm-router does not send {job.kind} requests to Runway")
    answer = api.json("POST", api.url(path), json=body)
    task_id = str(answer.get("id") or "")
    if not task_id:
        raise Failure("bad_response", "Runway gave no task id")
    url = api.url(f"v1/tasks/{task_id}")
    return Submitted(model, task_id, url, url)


def _runway_status(api: Api, submitted: Submitted) -> Status:
    answer = api.json("GET", submitted.status_url)
    state = str(answer.get("status") or "")
    if state == "SUCCEEDED":
        return Status("done", result=answer)
    if state in ("FAILED", "CANCELLED"):
        return Status(
            "failed", f"{state.lower()}: {answer.get('failure') or answer.get('failureCode') or '?'}"
        )
    if state in ("PENDING", "THROTTLED"):
        return Status("queued", state.lower())
    if state == "RUNNING":
        progress = answer.get("progress")
        return Status("running", "running" + (f" {float(progress):.0%}" if progress is not None else ""))
    raise Failure("bad_response", f"Runway answered an unknown status {state!r}")


def _runway_result(api: Api, submitted: Submitted, status: Status, job: MediaJob) -> MediaReply:
    output = (status.result or {}).get("output") or []
    return _reply_from_urls(api, submitted, job, [u for u in output if isinstance(u, str)], status.result)


RUNWAY = Queue(
    _runway_submit,
    _runway_status,
    _runway_result,
    auth=lambda key: {"Authorization": f"Bearer {key}"} if key else {},
    headers={"X-Runway-Version": RUNWAY_VERSION},
)


def _reply_from_urls(api: Api, submitted: Submitted, job: MediaJob, urls: list[str], raw: Any) -> MediaReply:
    """The first file a finished job names, downloaded (without the key unless it is on the provider's own
    origin), counted in the job's units."""
    if not urls:
        raise Failure("bad_response", f"job {submitted.provider_job_id} finished without a file")
    data, mime = api.download(urls[0])
    if not data:
        raise Failure("empty", f"job {submitted.provider_job_id} gave an empty file")
    units = (
        1.0 if job.kind == "image" else job.video_seconds if job.kind == "video" else float(job.text_chars)
    )
    meta = {"seed": raw.get("seed")} if isinstance(raw, dict) and raw.get("seed") is not None else {}
    return MediaReply(data, mime, units, submitted.provider_job_id, meta=meta)
