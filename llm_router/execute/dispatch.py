"""The one narrow function between the executor and a provider: `Call` in, `Reply` out, `Failure` raised.

`litellm_dispatch` imports LiteLLM on first use (it costs seconds) with its own retries off and its price
table offline; `codex_dispatch` runs the Codex CLI as a subprocess. Every provider error is turned into a
`Failure` with an outcome name the chain knows how to react to.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from llm_router.execute.attempts import SCOPES, parse_retry_after

__all__ = ["SCOPES", "Call", "Dispatch", "Failure", "Reply", "classify", "dispatch", "litellm_module"]


@dataclass(frozen=True)
class Call:
    """One request to one model."""

    model: str
    prompt: str
    timeout_s: float
    credentials: Mapping[str, str] = field(default_factory=dict)  # api_key / api_base for LiteLLM
    on_text: Callable[[str], None] | None = None  # set: stream, handing each piece of text to it
    cwd: str = ""


@dataclass(frozen=True)
class Reply:
    """What a model answered."""

    text: str
    finish_reason: str | None
    tokens_in: int | None = None
    tokens_out: int | None = None


class Failure(Exception):
    """An attempt that produced no usable answer: `outcome` says why (a key of SCOPES), `retry_after_s` how
    long the provider asked to wait (its Retry-After header), when it said."""

    def __init__(self, outcome: str, message: str, retry_after_s: float | None = None):
        super().__init__(message)
        self.outcome = outcome
        self.message = message
        self.retry_after_s = retry_after_s


Dispatch = Callable[[Call], Reply]


def dispatch(call: Call) -> Reply:
    """Send `call` to its provider: the Codex CLI for `codex/...`, LiteLLM for everything else."""
    return codex_dispatch(call) if call.model.split("/", 1)[0] == "codex" else litellm_dispatch(call)


# -- LiteLLM ----------------------------------------------------------------------------------------------

_litellm: ModuleType | None = None


def litellm_module() -> ModuleType:
    """LiteLLM, imported once, offline and quiet."""
    global _litellm
    if _litellm is None:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # never download the price table
        os.environ.setdefault("LITELLM_OFFLINE_MODE", "true")  # never download a tokenizer
        # In its default DEV mode LiteLLM's import loads a `.env` (from the working directory when run under
        # a debugger or `python -c`) into os.environ, where it would set endpoints for the user's keys.
        # Which `.env` variables count is decided in providers/projectenv.py, nowhere else.
        mode = os.environ.get("LITELLM_MODE")
        os.environ["LITELLM_MODE"] = "PRODUCTION"
        try:
            import litellm
        finally:
            if mode is None:
                os.environ.pop("LITELLM_MODE", None)
            else:
                os.environ["LITELLM_MODE"] = mode

        # LiteLLM's own pydantic models warn about their typing on first use; that is not the user's concern.
        warnings.filterwarnings("ignore", message=".*ReadOnly.*", category=UserWarning)
        litellm.suppress_debug_info = True  # no "Give Feedback" banners on stdout
        litellm.drop_params = True  # a provider that lacks stream_options still answers
        litellm.telemetry = False
        logging.getLogger("LiteLLM").setLevel(logging.CRITICAL)
        _litellm = litellm
    return _litellm


def litellm_dispatch(call: Call) -> Reply:
    """One `litellm.completion`, streamed when the call has `on_text`."""
    litellm = litellm_module()
    kwargs: dict[str, Any] = {
        "model": call.model,
        "messages": [{"role": "user", "content": call.prompt}],
        "timeout": call.timeout_s,
        "max_retries": 0,  # the walk does the retrying (execute.attempts), honouring Retry-After
        **call.credentials,
    }
    try:
        if call.on_text is None:
            response = litellm.completion(**kwargs)
            choice = response.choices[0]
            usage = getattr(response, "usage", None)
            return Reply(
                choice.message.content or "",
                choice.finish_reason,
                getattr(usage, "prompt_tokens", None),
                getattr(usage, "completion_tokens", None),
            )
        return _stream(litellm, kwargs, call.on_text)
    except Failure:
        raise
    except Exception as exc:  # a provider library can raise anything; each kind is named below
        raise classify(exc, litellm) from None


def _stream(litellm: ModuleType, kwargs: dict[str, Any], on_text: Callable[[str], None]) -> Reply:
    pieces: list[str] = []
    finish: str | None = None
    tokens_in = tokens_out = None
    for chunk in litellm.completion(stream=True, stream_options={"include_usage": True}, **kwargs):
        if chunk.choices:
            piece = chunk.choices[0].delta.content
            if piece:
                pieces.append(piece)
                on_text(piece)
            finish = chunk.choices[0].finish_reason or finish
        usage = getattr(chunk, "usage", None)
        if usage:
            tokens_in, tokens_out = usage.prompt_tokens, usage.completion_tokens
    return Reply("".join(pieces), finish, tokens_in, tokens_out)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    for prefix in ("litellm.", type(exc).__name__ + ": ", type(exc).__name__ + ": "):
        text = text.removeprefix(prefix)
    return text.split(", Received response", 1)[0][:240]


def _causes(exc: BaseException) -> list[BaseException]:
    """`exc` and what it wraps (`__cause__`, `__context__`, LiteLLM's `original_exception`), outermost
    first."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 16:
        chain.append(current)
        inner = getattr(current, "original_exception", None)
        current = inner if isinstance(inner, BaseException) else current.__cause__ or current.__context__
    return chain


def _unreachable(causes: list[BaseException]) -> bool:
    """Whether the connection to the endpoint itself failed (refused, DNS, TLS, connect timeout), as opposed
    to an endpoint that answered and then failed for this request."""
    import ssl

    names = {type(c).__name__ for c in causes}
    if names & {"ConnectError", "ConnectTimeout", "ConnectionRefusedError", "gaierror", "SSLError"}:
        return True
    return any(isinstance(c, ConnectionRefusedError | ssl.SSLError) for c in causes)


def retry_after_of(exc: BaseException, now: float | None = None) -> float | None:
    """The wait a provider asked for in its error response (`retry-after-ms` or `Retry-After`), in seconds."""
    import time

    now = time.time() if now is None else now
    for cause in _causes(exc):
        for headers in (getattr(cause, "litellm_response_headers", None), _headers(cause)):
            if not headers:
                continue
            millis = headers.get("retry-after-ms")
            if millis is not None:
                seconds = parse_retry_after(str(millis), now)
                if seconds is not None:
                    return seconds / 1000
            seconds = parse_retry_after(headers.get("retry-after"), now)
            if seconds is not None:
                return seconds
    return None


def _headers(exc: BaseException) -> Any:
    try:
        response = getattr(exc, "response", None)
    except Exception:  # noqa: BLE001 - some SDK errors compute `response` and fail without one
        return None
    return getattr(response, "headers", None)


def classify(exc: BaseException, litellm: Any) -> Failure:
    """Name what went wrong, by LiteLLM's exception classes (see HOSTS.md), with a one-line message and the
    wait the provider asked for. A stream that broke mid-answer is named by what broke it."""
    e = litellm.exceptions
    if isinstance(exc, e.MidStreamFallbackError) and isinstance(exc.original_exception, BaseException):
        failure = classify(exc.original_exception, litellm)
        return Failure(failure.outcome, "mid-answer: " + failure.message, failure.retry_after_s)
    message = _first_line(exc)
    low = str(exc).lower()
    causes = _causes(exc)
    unparseable = "expecting value" in low or "json" in low and "decode" in low
    if isinstance(exc, e.ContextWindowExceededError) or (
        isinstance(exc, e.BadRequestError) and ("context length" in low or "context window" in low)
    ):
        outcome = "context_window"
    elif isinstance(exc, e.AuthenticationError):
        outcome = "auth"
    elif isinstance(exc, e.PermissionDeniedError):
        outcome = "forbidden"
    elif isinstance(exc, e.RateLimitError):
        outcome = "rate_limited"
    elif _unreachable(causes):
        outcome = "unreachable"
    elif isinstance(exc, e.Timeout):
        outcome = "timeout"
    elif unparseable:
        outcome = "bad_response"
    elif isinstance(exc, e.ServiceUnavailableError | e.BadGatewayError):
        outcome = "unavailable"
    elif isinstance(exc, e.APIConnectionError) or "connection" in low or "disconnected" in low:
        outcome = "connection"
    elif isinstance(exc, e.InternalServerError):
        outcome = "server_error"
    elif isinstance(exc, e.NotFoundError):
        outcome = "not_found"
    elif isinstance(exc, e.BadRequestError):
        outcome = "bad_request"
    else:  # a generic APIError: name it by its HTTP status, when it has one
        outcome = _BY_STATUS.get(getattr(exc, "status_code", None) or 0, "bad_response")
    return Failure(outcome, message, retry_after_of(exc))


_BY_STATUS = {
    400: "bad_request",
    401: "auth",
    403: "forbidden",
    404: "not_found",
    429: "rate_limited",
    500: "server_error",
    502: "unavailable",
    503: "unavailable",
    504: "timeout",
}


# -- Codex CLI --------------------------------------------------------------------------------------------


def codex_dispatch(call: Call) -> Reply:
    """`codex exec` with the prompt on stdin; the answer is the last message Codex writes."""
    name = call.model.split("/", 1)[1] if "/" in call.model else "default"
    with tempfile.TemporaryDirectory(prefix="llm-router-codex-") as tmp:
        out = Path(tmp) / "last-message.txt"
        argv = ["codex", "exec", "--skip-git-repo-check", "--output-last-message", str(out)]
        if name not in ("", "default"):
            argv += ["--model", name]
        try:
            proc = subprocess.run(
                [*argv, "-"],
                input=call.prompt,
                capture_output=True,
                text=True,
                timeout=call.timeout_s,
                cwd=call.cwd or None,
            )
        except FileNotFoundError:
            raise Failure("unreachable", "the `codex` command is not installed") from None
        except subprocess.TimeoutExpired:
            raise Failure("timeout", f"codex did not answer within {call.timeout_s:g}s") from None
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
            raise Failure("server_error", f"codex exited {proc.returncode}: {last[:300]}")
        text = out.read_text(encoding="utf-8") if out.is_file() else proc.stdout
    text = text.strip()
    if call.on_text and text:
        call.on_text(text)
    return Reply(text, "stop", max(1, len(call.prompt) // 4), len(text) // 4)
