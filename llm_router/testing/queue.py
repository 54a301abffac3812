"""A stand-in for queued media jobs on 127.0.0.1: a fal-style queue (https://docs.fal.ai/model-endpoints/queue:
submit, status, result), and Replicate predictions and Runway tasks (create, then poll), with scripted faults,
for llm-router's tests and team policy repos::

    with FakeQueue(polls=2) as fake:           # each job is IN_QUEUE, IN_PROGRESS, then COMPLETED
        fake.script("fal-ai/flux/schnell", "500", "ok")
        env = fake.env()                        # FAL_KEY and FAL_API_BASE

POST /{app}[/{subpath}] queues a job; GET /{owner}/{app}/requests/{id}/status answers its status;
GET /{owner}/{app}/requests/{id} its output (`images` for an image app, `video` for one whose id names video).
Replicate: POST /v1/models/{owner}/{name}/predictions, GET /v1/predictions/{id} (env: `replicate_env()`).
Runway: POST /v1/text_to_video or /v1/text_to_image (with X-Runway-Version), GET /v1/tasks/{id}
(env: `runway_env()`). A job completes after `polls` status requests.
Results are files on the same server under another origin (`http://localhost:PORT/files/...`, where the API is
`http://127.0.0.1:PORT`), as fal's are on its CDN: a client must fetch them without the key.

Steps (per app, one per submitted job): ok, 401, 429, 500, 503 (the submit fails), fail (the job ends with an
error), stuck (never completes), lost (its status is a 404).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from llm_router.testing.media import MP4, png
from llm_router.testing.provider import _Server

QUEUE_STEPS = ("ok", "401", "429", "500", "503", "fail", "stuck", "lost")


@dataclass
class QueuedJob:
    """One job the stand-in accepted."""

    id: str
    app: str  # fal's app id, Replicate's owner/name, or Runway's model
    step: str
    body: Mapping[str, Any]
    polls: int = 0
    authorization: list[str] = field(default_factory=list)  # the credential of each request about it
    api: str = "fal"  # fal | replicate | runway
    video: bool = False  # the job makes a video (its app names video, or it came to text_to_video)


class FakeQueue:
    """A fal-style queue that answers by script. Use as a context manager."""

    def __init__(self, *, polls: int = 2):
        self.polls = polls  # status requests before a job completes
        self.jobs: dict[str, QueuedJob] = {}
        self.downloads: list[str] = []  # the credential header each file download carried ("" for none)
        self._scripts: dict[str, tuple[list[str], list[int]]] = {}
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _handler(self))

    def script(self, app: str, *steps: str) -> FakeQueue:
        """What the next jobs submitted to `app` do, in order; the last step repeats."""
        for step in steps:
            if step not in QUEUE_STEPS:
                raise ValueError(f"unknown step {step!r}; known: {', '.join(QUEUE_STEPS)}")
        with self._lock:
            self._scripts[app.removeprefix("fal_ai/")] = (list(steps) or ["ok"], [0])
        return self

    def _take(self, app: str) -> str:
        with self._lock:
            steps, position = self._scripts.setdefault(app, (["ok"], [0]))
            step = steps[min(position[0], len(steps) - 1)]
            position[0] += 1
            return step

    def submitted(self, app: str) -> list[QueuedJob]:
        return [j for j in self.jobs.values() if j.app == app.removeprefix("fal_ai/")]

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def cdn(self) -> str:
        """The origin result files are served from: this server, named differently from the API."""
        return self.url.replace("127.0.0.1", "localhost")

    def env(self, key: str = "fal-test-key-0123456789") -> dict[str, str]:
        """FAL_KEY and FAL_API_BASE pointing at this stand-in."""
        return {"FAL_KEY": key, "FAL_API_BASE": self.url}

    def replicate_env(self, key: str = "r8_test_key_0123456789") -> dict[str, str]:
        """REPLICATE_API_TOKEN and REPLICATE_API_BASE pointing at this stand-in."""
        return {"REPLICATE_API_TOKEN": key, "REPLICATE_API_BASE": self.url}

    def runway_env(self, key: str = "key_test_runway_0123456789") -> dict[str, str]:
        """RUNWAYML_API_SECRET and RUNWAYML_API_BASE pointing at this stand-in."""
        return {"RUNWAYML_API_SECRET": key, "RUNWAYML_API_BASE": self.url}

    def start(self) -> FakeQueue:
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeQueue:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _handler(fake: FakeQueue) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, code: int, body: bytes, kind: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, code: int, payload: Any) -> None:
            self._send(code, json.dumps(payload).encode(), "application/json")

        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.loads(raw or b"{}")
            path = self.path.split("?", 1)[0].strip("/")
            if path.startswith("v1/models/") and path.endswith("/predictions"):
                api, app = "replicate", path.removeprefix("v1/models/").removesuffix("/predictions")
            elif path in ("v1/text_to_video", "v1/text_to_image"):
                api, app = "runway", str(body.get("model") or "")
                if self.headers.get("X-Runway-Version") is None:
                    self._json(400, {"error": "the X-Runway-Version header is required"})
                    return
            else:
                api, app = "fal", path
            step = fake._take(app)
            if step in ("401", "429", "500", "503"):
                self._json(int(step), {"detail": f"scripted {step}"})
                return
            video = "video" in app or path.endswith("text_to_video")
            job = QueuedJob(uuid.uuid4().hex, app, step, body, api=api, video=video)
            job.authorization.append(self.headers.get("Authorization", ""))
            fake.jobs[job.id] = job
            if api == "replicate":
                get = f"{fake.url}/v1/predictions/{job.id}"
                self._json(201, {"id": job.id, "status": "starting", "output": None, "urls": {"get": get}})
            elif api == "runway":
                self._json(200, {"id": job.id})
            else:
                base = f"{fake.url}/{'/'.join(app.split('/')[:2])}/requests/{job.id}"
                urls = {"status_url": f"{base}/status", "response_url": base, "cancel_url": f"{base}/cancel"}
                self._json(200, {"request_id": job.id, **urls})

        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            if self.path.startswith("/files/"):
                fake.downloads.append(self.headers.get("Authorization", ""))
                if self.path.endswith(".mp4"):
                    self._send(200, MP4, "video/mp4")
                else:
                    self._send(200, png(), "image/png")
                return
            parts = self.path.split("?", 1)[0].strip("/").split("/")
            if parts[:2] in (["v1", "predictions"], ["v1", "tasks"]) and len(parts) == 3:
                ident = parts[2]
            elif "requests" in parts:
                ident = parts[parts.index("requests") + 1]
            else:
                self._json(404, {"detail": f"no route {self.path}"})
                return
            job = fake.jobs.get(ident)
            if job is None or job.step == "lost":
                self._json(404, {"detail": "request not found"})
                return
            job.authorization.append(self.headers.get("Authorization", ""))
            if job.api != "fal" or parts[-1] == "status":  # a request about the job's status
                job.polls += 1
            done = job.step != "stuck" and job.polls > fake.polls
            started = job.polls > fake.polls // 2
            file = f"{fake.cdn}/files/{job.id}.{'mp4' if job.video else 'png'}"
            if job.api == "replicate":
                status = "succeeded" if done else "processing" if started else "starting"
                if done and job.step == "fail":
                    status = "failed"
                answer: dict[str, Any] = {"id": job.id, "status": status}
                answer["output"] = [file] if status == "succeeded" else None
                self._json(200, answer | ({"error": "the model failed"} if status == "failed" else {}))
            elif job.api == "runway":
                status = "SUCCEEDED" if done else "RUNNING" if started else "PENDING"
                if done and job.step == "fail":
                    status = "FAILED"
                task: dict[str, Any] = {"id": job.id, "status": status}
                task["progress"] = 0.5 if status == "RUNNING" else None
                self._json(200, task | ({"output": [file]} if status == "SUCCEEDED" else {}))
            elif parts[-1] == "status":
                if done:
                    self._json(200, {"status": "COMPLETED", "logs": []})
                elif started:
                    self._json(200, {"status": "IN_PROGRESS", "logs": []})
                else:
                    self._json(200, {"status": "IN_QUEUE", "queue_position": 0})
            elif job.step == "fail":
                self._json(500, {"detail": "the model failed on this input"})
            elif job.video:
                self._json(200, {"video": {"url": file, "content_type": "video/mp4"}})
            else:
                self._json(200, {"images": [{"url": file, "content_type": "image/png"}], "seed": 42})

    return Handler
