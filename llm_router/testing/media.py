"""A stand-in for OpenAI's, Stability's and ElevenLabs' media endpoints on 127.0.0.1, for llm-router's tests
and team policy repos.

`FakeMedia` answers OpenAI's `/v1/images/generations` (a real PNG, as `b64_json` or as a `url` on the same
server), `/v1/audio/speech` (a real WAV) and `/v1/audio/transcriptions` (JSON, with the duration for
`verbose_json`); Stability's `/v2beta/stable-image/generate/{core,ultra,sd3}` (PNG bytes, `finish-reason` and
`seed` headers); ElevenLabs' `/v1/text-to-speech/{voice}` (MP3 bytes) and `/v1/speech-to-text` (JSON with
word timings); and OpenAI's video jobs: POST `/v1/videos`, GET `/v1/videos/{id}` (queued, in_progress, then
completed after `video_polls` requests) and `/v1/videos/{id}/content` (MP4 bytes). It plays a script of
faults per model, as `FakeProvider` does for chat::

    with FakeMedia() as fake:
        fake.script("gpt-image-1", "500", "ok")   # a 500, then an image (the last step repeats)
        env = fake.env()                           # OPENAI_API_KEY and OPENAI_BASE_URL

Steps: ok, url (the image as a URL), 401, 429, 500, 503, slow[:SECONDS], refused (the connection is closed
without a reply), garbage (200 with a body that is not JSON), empty (no image or no audio), filtered
(Stability's CONTENT_FILTERED), fail (a video job that fails), stuck (a video job that never completes). The
credential each request carried (Authorization or xi-api-key) is kept.
"""

from __future__ import annotations

import base64
import io
import json
import struct
import threading
import time
import wave
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from llm_router.testing.provider import _Server

MEDIA_STEPS = (
    "ok",
    "url",
    "401",
    "429",
    "500",
    "503",
    "slow",
    "refused",
    "garbage",
    "empty",
    "filtered",
    "fail",
    "stuck",
)
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64  # an MP4 header, enough to sniff
MP3 = (
    b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" + b"\x00" * 64
)  # an MP3 header, enough to sniff
TRANSCRIPT = "a transcript from the stand-in"


def png(width: int = 16, height: int = 16, rgb: tuple[int, int, int] = (220, 30, 30)) -> bytes:
    """A valid PNG of one colour (8-bit RGB, every chunk with its CRC)."""
    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A valid mono 16-bit WAV of silence lasting `seconds`."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(seconds * rate))
    return out.getvalue()


@dataclass(frozen=True)
class MediaSeen:
    """One request the stand-in received."""

    path: str
    model: str
    step: str
    body: Mapping[str, Any]  # the JSON body, or the multipart form's text fields
    authorization: str


class FakeMedia:
    """OpenAI's image, speech and transcription endpoints on 127.0.0.1, answering by script."""

    def __init__(self, *, slow_s: float = 2.0, audio_seconds: float = 3.0, video_polls: int = 2):
        self.slow_s = slow_s
        self.audio_seconds = audio_seconds
        self.video_polls = video_polls
        self.videos: dict[str, dict[str, Any]] = {}  # id -> {"step", "polls", "body"}
        self.seen: list[MediaSeen] = []
        self._scripts: dict[str, tuple[list[str], list[int]]] = {}
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _handler(self))

    def script(self, model: str, *steps: str) -> FakeMedia:
        """What `model` does on its next requests, in order; the last step repeats."""
        for step in steps:
            if step.split(":", 1)[0] not in MEDIA_STEPS:
                raise ValueError(f"unknown step {step!r}; known: {', '.join(MEDIA_STEPS)}")
        with self._lock:
            self._scripts[_bare(model)] = (list(steps) or ["ok"], [0])
        return self

    def count(self, model: str) -> int:
        return sum(1 for s in self.seen if s.model == _bare(model))

    def _take(self, model: str) -> str:
        with self._lock:
            steps, position = self._scripts.setdefault(model, (["ok"], [0]))
            step = steps[min(position[0], len(steps) - 1)]
            position[0] += 1
            return step

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def env(self, key: str = "sk-test-fake-media-key") -> dict[str, str]:
        """OPENAI_API_KEY and OPENAI_BASE_URL pointing at this stand-in."""
        return {"OPENAI_API_KEY": key, "OPENAI_BASE_URL": self.url + "/v1"}

    def stability_env(self, key: str = "sk-test-stability-0123456789") -> dict[str, str]:
        """STABILITY_API_KEY and STABILITY_API_BASE pointing at this stand-in."""
        return {"STABILITY_API_KEY": key, "STABILITY_API_BASE": self.url}

    def elevenlabs_env(self, key: str = "xi-test-elevenlabs-0123456789") -> dict[str, str]:
        """ELEVENLABS_API_KEY and ELEVENLABS_API_BASE pointing at this stand-in."""
        return {"ELEVENLABS_API_KEY": key, "ELEVENLABS_API_BASE": self.url}

    def start(self) -> FakeMedia:
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeMedia:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _bare(model: str) -> str:
    return model.split("/", 1)[1] if "/" in model else model


def _multipart_fields(content_type: str, body: bytes) -> dict[str, str]:
    """The text fields of a multipart/form-data body (files are named by their field, value '<file>')."""
    boundary = content_type.split("boundary=", 1)[-1].strip('"').encode()
    fields: dict[str, str] = {}
    for part in body.split(b"--" + boundary):
        head, sep, value = part.partition(b"\r\n\r\n")
        if not sep or b"name=" not in head:
            continue
        name = head.split(b'name="', 1)[1].split(b'"', 1)[0].decode()
        is_file = b"filename=" in head
        fields[name] = "<file>" if is_file else value.rstrip(b"\r\n").decode("utf-8", "replace")
    return fields


def _handler(fake: FakeMedia) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, code: int, body: bytes, kind: str, headers: Mapping[str, str] | None = None) -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, code: int, payload: Any, headers: Mapping[str, str] | None = None) -> None:
            self._send(code, json.dumps(payload).encode(), "application/json", headers)

        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            parts = self.path.split("?", 1)[0].strip("/").split("/")
            if self.path.startswith("/files/") and self.path.endswith(".png"):
                self._send(200, png(), "image/png")
            elif parts[:2] == ["v1", "videos"] and len(parts) >= 3 and parts[2] in fake.videos:
                self._video(parts[2], content=parts[-1] == "content")
            else:
                self._json(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            kind = self.headers.get("Content-Type", "")
            if kind.startswith("multipart/form-data"):
                body: dict[str, Any] = _multipart_fields(kind, raw)
            else:
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
            path = self.path.split("?", 1)[0]
            endpoint = path.rsplit("/", 1)[-1]
            if path.startswith("/v2beta/stable-image/generate/"):
                model = str(body.get("model") or f"stable-image-{endpoint}")
            else:
                model = _bare(str(body.get("model") or body.get("model_id") or ""))
            step = fake._take(model)
            credential = self.headers.get("Authorization") or self.headers.get("xi-api-key") or ""
            fake.seen.append(MediaSeen(path, model, step, body, credential))
            name, _, arg = step.partition(":")
            if name == "refused":
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if name == "slow":
                time.sleep(float(arg) if arg else fake.slow_s)
            if name in ("401", "429", "500", "503"):
                code = int(name)
                headers = {"Retry-After": arg} if arg else {}
                error = {"message": f"scripted {code}", "type": "fake", "code": code}
                self._json(code, {"error": error}, headers)
                return
            if name == "garbage":
                self._send(200, b"<html>not json</html>", "application/json")
                return
            if path.startswith("/v2beta/stable-image/generate/"):
                reason = "CONTENT_FILTERED" if name == "filtered" else "SUCCESS"
                self._send(
                    200,
                    b"" if name == "empty" else png(),
                    "image/png",
                    {"finish-reason": reason, "seed": "7"},
                )
            elif path.startswith("/v1/text-to-speech/"):
                self._send(200, b"" if name == "empty" else MP3, "audio/mpeg", {"request-id": "req-1"})
            elif path == "/v1/speech-to-text":
                words = [{"text": "a", "start": 0.0, "end": fake.audio_seconds}]
                self._json(200, {"text": TRANSCRIPT, "language_code": "en", "words": words})
            elif path == "/v1/videos":
                ident = f"video_{len(fake.videos) + 1:04d}"
                fake.videos[ident] = {"step": name, "polls": 0, "body": body}
                self._json(200, {"id": ident, "object": "video", "status": "queued", "progress": 0, **body})
            elif self.path.endswith("/images/generations"):
                self._image(name)
            elif self.path.endswith("/audio/speech"):
                self._send(200, b"" if name == "empty" else wav(1.0), "audio/wav")
            elif self.path.endswith("/audio/transcriptions"):
                answer: dict[str, Any] = {"text": "" if name == "empty" else TRANSCRIPT}
                if body.get("response_format") == "verbose_json":
                    answer |= {"duration": fake.audio_seconds, "language": "english", "task": "transcribe"}
                self._json(200, answer)
            else:
                self._json(404, {"error": {"message": f"no route {self.path}"}})

        def _video(self, ident: str, content: bool) -> None:
            video = fake.videos[ident]
            if content:
                self._send(200, MP4, "video/mp4")
                return
            video["polls"] += 1
            done = video["step"] != "stuck" and video["polls"] > fake.video_polls
            status = "in_progress" if video["polls"] > fake.video_polls // 2 else "queued"
            if done:
                status = "failed" if video["step"] == "fail" else "completed"
            answer: dict[str, Any] = {"id": ident, "object": "video", "status": status}
            answer["progress"] = 100 if done else 50
            if status == "failed":
                answer["error"] = {"code": "failed", "message": "the model failed"}
            self._json(
                200, answer | {"model": video["body"].get("model"), "seconds": video["body"].get("seconds")}
            )

        def _image(self, step: str) -> None:
            created = int(time.time())
            if step == "empty":
                self._json(200, {"created": created, "data": []})
            elif step == "url":
                self._json(200, {"created": created, "data": [{"url": f"{fake.url}/files/{created}.png"}]})
            else:
                data = [{"b64_json": base64.b64encode(png()).decode(), "revised_prompt": "a red square"}]
                self._json(200, {"created": created, "data": data})

    return Handler
