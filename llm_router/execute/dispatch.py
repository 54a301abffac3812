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

# outcome -> what it says about the provider: "provider" failures count against the provider's breaker as
# well as the model's, "model" ones only against the model's, "none" against neither.
SCOPES: dict[str, str] = {
    "auth": "provider",
    "timeout": "provider",
    "connection": "provider",
    "rate_limited": "model",
    "server_error": "model",
    "unavailable": "model",
    "bad_response": "model",
    "bad_request": "model",
    "not_found": "model",
    "empty": "model",
    "refusal": "model",
    "length": "model",
    "context_window": "none",
}


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
    """An attempt that produced no usable answer: `outcome` says why (a key of SCOPES)."""

    def __init__(self, outcome: str, message: str):
        super().__init__(message)
        self.outcome = outcome
        self.message = message


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
        "max_retries": 0,  # the chain does the retrying, on another model
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


def classify(exc: BaseException, litellm: Any) -> Failure:
    """Name what went wrong, by LiteLLM's exception classes (see HOSTS.md), with a one-line message."""
    message = _first_line(exc)
    low = str(exc).lower()
    e = litellm.exceptions
    unparseable = "expecting value" in low or "json" in low and "decode" in low
    if isinstance(exc, e.ContextWindowExceededError) or (
        isinstance(exc, e.BadRequestError) and ("context length" in low or "context window" in low)
    ):
        outcome = "context_window"
    elif isinstance(exc, e.AuthenticationError | e.PermissionDeniedError):
        outcome = "auth"
    elif isinstance(exc, e.RateLimitError):
        outcome = "rate_limited"
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
    else:
        outcome = "bad_response"
    return Failure(outcome, message)


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
            raise Failure("connection", "the `codex` command is not installed") from None
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
