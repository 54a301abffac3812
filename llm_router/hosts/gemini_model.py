"""Gemini CLI's BeforeModel hook: per-call model routing, and the external answer in zero_claude mode."""

from __future__ import annotations

import time

from llm_router.hosts import session as sessions
from llm_router.hosts.protocol import Outcome

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# The Gemini model for a tier when the decided chain names none.
TIER_MODELS = {
    "simple": "gemini-2.5-flash-lite",
    "moderate": "gemini-2.5-flash",
    "complex": "gemini-2.5-pro",
    "deep_reasoning": "gemini-2.5-pro",
}


def model_for(decision: dict[str, Any]) -> str | None:
    """The first Gemini model of the decided chain, else the tier's default Gemini model."""
    for model in decision.get("chain") or ():
        if isinstance(model, str) and model.startswith(("gemini/", "vertex_ai/gemini")):
            return model.split("/", 1)[1]
    return TIER_MODELS.get(str(decision.get("tier")))


def last_user_text(request: dict[str, Any]) -> str:
    """The text of the last user message of an llm_request that has text (tool results sent back to the
    model come as user messages without text: the prompt of the turn is the one before them)."""
    for message in reversed(request.get("messages") or []):
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            text = content
        else:
            parts = content if isinstance(content, list) else message.get("parts") or []
            text = "".join(
                p.get("text", "") for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)
            )
        if text:
            return text
    return ""


def response(answer: dict[str, Any]) -> dict[str, Any]:
    """A Gemini llm_response carrying an answer produced elsewhere."""
    usage = answer.get("usage") or {}
    prompt_tokens, out_tokens = int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": str(answer.get("text", ""))}]},
                "finishReason": "STOP",
            }
        ],
        "usageMetadata": {
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": out_tokens,
            "totalTokenCount": prompt_tokens + out_tokens,
        },
    }


def on_before_model(host: str, event: str, payload: dict[str, Any]) -> Outcome | None:
    """Switch the call to the tier's Gemini model, or hand over the answer BeforeAgent already got. The
    stored turn is used only when it was decided for this request's prompt (compared by hash)."""
    request = payload.get("llm_request")
    if not isinstance(request, dict):
        return None
    sid = str(payload.get("session_id") or "default")
    prompt = last_user_text(request)
    turn = sessions.load(host, sid).get("turn")
    if not _for_prompt(turn, prompt, host, sid):
        turn = _decide_now(host, event, payload, prompt, sid)
        if turn is None:
            return None
    assert isinstance(turn, dict)
    decision = turn["decision"]
    answer = turn.get("answer")
    if isinstance(answer, dict) and not answer.get("delivered") and _deliver_once(host, sid, turn):
        return Outcome(llm_response=response(answer))
    if decision.get("enforce") == "off" or decision.get("action") != "route":
        return None
    if decision.get("enforce") != "hard" and float(decision.get("confidence", 0)) < float(
        decision.get("threshold", 0)
    ):
        return None
    model = model_for(decision)
    if not model or model == request.get("model"):
        return None
    return Outcome(llm_request={**request, "model": model})


def _for_prompt(turn: Any, prompt: str, host: str, sid: str) -> bool:
    """Whether a stored turn was decided for this prompt, recently."""
    return (
        isinstance(turn, dict)
        and bool(turn.get("decision"))
        and time.time() - float(turn.get("started", 0)) <= sessions.HOLD_TTL_S
        and bool(prompt)
        and turn.get("prompt_hash") == sessions.prompt_hash(prompt, host, sid)
    )


def _deliver_once(host: str, sid: str, turn: dict[str, Any]) -> bool:
    """Mark the turn's answer delivered; False when another hook process delivered it first (True when the
    mark cannot be saved: a paid answer is delivered rather than lost)."""
    try:
        return _mark_delivered(host, sid, turn)
    except OSError:
        return True


def _mark_delivered(host: str, sid: str, turn: dict[str, Any]) -> bool:
    with sessions.update(host, sid) as state:
        current = state.get("turn")
        if not isinstance(current, dict) or current.get("prompt_hash") != turn.get("prompt_hash"):
            return False  # another prompt's turn has replaced it
        answer = current.get("answer")
        if not isinstance(answer, dict) or answer.get("delivered"):
            return False
        # Delivered: the answer's text leaves the session file (it held it only to hand it over), and what
        # stays says who answered, as a usage row would.
        current["answer"] = {"delivered": True, "model": answer.get("model"), "usage": answer.get("usage")}
        return True


def _decide_now(host: str, event: str, payload: dict[str, Any], prompt: str, sid: str) -> Any:
    """No BeforeAgent ran for this prompt: decide from the request's last user message."""
    from llm_router.hosts.handlers import on_prompt

    if not prompt.strip():
        return None
    on_prompt(host, event, {**payload, "prompt": prompt})
    turn = sessions.load(host, sid).get("turn")
    return turn if _for_prompt(turn, prompt, host, sid) else None
