"""Gemini CLI's BeforeModel hook: per-call model routing, and the external answer in zero_claude mode."""

from __future__ import annotations

import time
from typing import Any

from llm_router.hosts import session as sessions
from llm_router.hosts.protocol import Outcome

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
    """The text of the last user message of an llm_request."""
    for message in reversed(request.get("messages") or []):
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        parts = content if isinstance(content, list) else message.get("parts") or []
        return "".join(
            p.get("text", "") for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)
        )
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
    """Switch the call to the tier's Gemini model, or hand over the answer BeforeAgent already got."""
    request = payload.get("llm_request")
    if not isinstance(request, dict):
        return None
    sid = str(payload.get("session_id") or "default")
    state = sessions.load(sid)
    turn = state.get("turn") if isinstance(state.get("turn"), dict) else None
    if (
        turn is None
        or not turn.get("decision")
        or time.time() - float(turn.get("started", 0)) > sessions.HOLD_TTL_S
    ):
        turn = _decide_now(host, event, payload, request, sid)
        if turn is None:
            return None
        state = sessions.load(sid)
    decision = turn["decision"]
    answer = turn.get("answer")
    if isinstance(answer, dict) and not answer.get("delivered"):
        answer["delivered"] = True
        sessions.save(sid, {**state, "turn": turn})
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


def _decide_now(host: str, event: str, payload: dict[str, Any], request: dict[str, Any], sid: str) -> Any:
    """No BeforeAgent ran for this turn: decide from the request's last user message."""
    from llm_router.hosts.handlers import on_prompt

    prompt = last_user_text(request)
    if not prompt.strip():
        return None
    on_prompt(host, event, {**payload, "prompt": prompt})
    turn = sessions.load(sid).get("turn")
    return turn if isinstance(turn, dict) and turn.get("decision") else None
