"""HTTP to a media provider's own API with httpx: the key goes only to the provider's base URL (never to a
URL a reply names elsewhere, such as a CDN holding the result), every download has a size bound, and every
failure becomes an `execute.dispatch.Failure` whose outcome the chain knows how to react to."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from llm_router.execute.dispatch import Failure

MAX_DOWNLOAD_BYTES = 512 << 20  # one generated file (a long video is the largest)
MAX_JSON_BYTES = 16 << 20  # one JSON answer (a transcription with word timings is the largest)

_STATUS_OUTCOMES = {
    400: "bad_request",
    401: "auth",
    402: "forbidden",  # out of credits: this key cannot use the provider until someone pays
    403: "forbidden",
    404: "not_found",
    408: "timeout",
    409: "bad_request",
    413: "bad_request",
    422: "bad_request",
    429: "rate_limited",
    500: "server_error",
    502: "unavailable",
    503: "unavailable",
    504: "unavailable",
}


class Api:
    """One provider's HTTP API: its base URL, the header that carries its key, and a client."""

    def __init__(
        self,
        credentials: Mapping[str, str],
        auth: Mapping[str, str],
        timeout_s: float,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        base = credentials.get("api_base") or ""
        if not base:
            raise Failure("bad_request", "no base URL for this provider")
        self.base = base.rstrip("/")
        self.origin = _origin(self.base)
        self.auth = dict(auth)
        self.timeout_s = timeout_s
        self.headers = dict(headers or {})
        self.client = httpx.Client(timeout=timeout_s, follow_redirects=False)

    def url(self, path: str) -> str:
        """`path` under the base URL."""
        return f"{self.base}/{path.lstrip('/')}"

    def own(self, url: str) -> str:
        """`url` when it is on the provider's own origin, else a Failure: a reply that points the next request
        (which carries the key) somewhere else is not followed."""
        absolute = urljoin(self.base + "/", url)
        if _origin(absolute) != self.origin:
            raise Failure("bad_response", f"the provider pointed to {_origin(absolute)}, not its own API")
        return absolute

    def call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One authenticated request to the provider's own origin; a Failure for any error status."""
        headers = {**self.headers, **self.auth, **kwargs.pop("headers", {})}
        with _errors():
            response = self.client.request(method, self.own(url), headers=headers, **kwargs)
        if response.status_code >= 400:
            raise status_failure(response)
        return response

    def json(self, method: str, url: str, **kwargs: Any) -> Any:
        """The JSON answer of one request (bounded in size)."""
        response = self.call(method, url, **kwargs)
        if len(response.content) > MAX_JSON_BYTES:
            raise Failure("bad_response", f"the answer is larger than {MAX_JSON_BYTES >> 20} MiB")
        try:
            return response.json()
        except ValueError:
            raise Failure("bad_response", "the answer is not JSON") from None

    def download(self, url: str, limit: int = MAX_DOWNLOAD_BYTES) -> tuple[bytes, str]:
        """The bytes and MIME type a result URL holds: a `data:` URL decoded, the provider's own URL fetched
        with its key, any other URL (a CDN) fetched without it. At most `limit` bytes."""
        if url.startswith("data:"):
            return decode_data_url(url, limit)
        absolute = urljoin(self.base + "/", url)
        if urlsplit(absolute).scheme not in ("http", "https"):
            raise Failure("bad_response", "the result URL is not http(s)")
        headers = {**self.headers, **self.auth} if _origin(absolute) == self.origin else {}
        chunks: list[bytes] = []
        size = 0
        with _errors(), self.client.stream("GET", absolute, headers=headers) as response:
            if response.status_code >= 400:
                response.read()
                raise status_failure(response)
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise Failure("bad_response", f"the result is larger than {limit >> 20} MiB")
                chunks.append(chunk)
            mime = response.headers.get("content-type", "").split(";", 1)[0].strip()
        return b"".join(chunks), mime

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def decode_data_url(url: str, limit: int = MAX_DOWNLOAD_BYTES) -> tuple[bytes, str]:
    """The bytes and MIME type of a base64 `data:` URL."""
    head, _, payload = url.partition(",")
    if ";base64" not in head or len(payload) > limit * 4 // 3 + 4:
        raise Failure("bad_response", "the result is not a base64 data URL within the size bound")
    try:
        return base64.b64decode(payload, validate=False), head[5:].split(";", 1)[0]
    except (binascii.Error, ValueError):
        raise Failure("bad_response", "the result's base64 does not decode") from None


def status_failure(response: httpx.Response) -> Failure:
    """The Failure an error status means, with the provider's own words when it gave some."""
    code = response.status_code
    outcome = _STATUS_OUTCOMES.get(code) or ("server_error" if code >= 500 else "bad_request")
    detail = _detail(response)
    message = f"HTTP {code}" + (f": {detail}" if detail else "")
    return Failure(outcome, message, retry_after(response.headers.get("retry-after")))


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds a Retry-After header asks to wait (delta seconds or an HTTP date), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200]
    if isinstance(body, dict):
        for key in ("detail", "error", "message", "errors", "failure"):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("message") or value.get("detail") or value
            if value:
                return str(value)[:200]
    return ""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


@contextmanager
def _errors() -> Iterator[None]:
    """httpx's transport errors as Failures: an endpoint that cannot be reached at all is `unreachable`
    (its provider is down), one that stops answering is a `timeout` or a broken `connection`."""
    try:
        yield
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise Failure("unreachable", f"cannot connect: {exc}") from None
    except httpx.TimeoutException as exc:
        raise Failure("timeout", f"no answer in time: {type(exc).__name__}") from None
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
        raise Failure("connection", f"the connection broke: {exc}") from None
    except httpx.HTTPError as exc:
        raise Failure("connection", str(exc) or type(exc).__name__) from None
