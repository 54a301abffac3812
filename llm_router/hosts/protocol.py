"""What a hook prints, in each host's own words, and the rules each host holds that output to.

Handlers return an `Outcome`; `render` turns it into the JSON object a host accepts (or None: print
nothing). `problems` checks an output against the host's rules, for the tests and for `doctor`.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_CONTEXT = 9_000  # Claude Code cuts additionalContext over 10,000 characters to a preview

# Claude Code's documented output keys, per event for hookSpecificOutput. Codex rejects any other key.
CLAUDE_TOP = {
    "continue",
    "stopReason",
    "suppressOutput",
    "systemMessage",
    "decision",
    "reason",
    "hookSpecificOutput",
}
CLAUDE_SPECIFIC = {
    "UserPromptSubmit": {"hookEventName", "additionalContext"},
    "SessionStart": {"hookEventName", "additionalContext"},
    "PostToolUse": {"hookEventName", "additionalContext"},
    "PreToolUse": {"hookEventName", "permissionDecision", "permissionDecisionReason", "updatedInput"},
}
GEMINI_TOP = frozenset(CLAUDE_TOP)  # Gemini CLI documents the same top-level keys
GEMINI_SPECIFIC = {
    "BeforeAgent": {"hookEventName", "additionalContext"},
    "SessionStart": {"hookEventName", "additionalContext"},
    "BeforeModel": {"hookEventName", "llm_request", "llm_response"},
}
# The MCP tool a hook points at, by host (each host names MCP tools its own way).
QUERY_TOOL = {
    "claude-code": "mcp__llm-router__llm_query",
    "codex": "mcp__llm-router__llm_query",
    "gemini-cli": "mcp_llmrouter_llm_query",
}


class Outcome:
    """What a handler wants the host to do, before it is put in the host's own words."""

    __slots__ = ("context", "block", "deny", "notice", "llm_request", "llm_response", "updated_input", "why")

    def __init__(
        self,
        context: str | None = None,  # text added to the model's context
        block: str | None = None,  # block the prompt; shown to the user
        deny: str | None = None,  # refuse a tool call; shown to the model
        notice: str | None = None,  # one line shown to the user
        llm_request: dict[str, Any] | None = None,  # Gemini: the model request to send instead
        llm_response: dict[str, Any] | None = None,  # Gemini: the answer to use instead of calling Gemini
        updated_input: dict[str, Any] | None = None,  # PreToolUse: the whole tool input to run instead
        why: str | None = None,  # with updated_input: why, for the host's log
    ):
        self.context = context
        self.block = block
        self.deny = deny
        self.notice = notice
        self.llm_request = llm_request
        self.llm_response = llm_response
        self.updated_input = updated_input
        self.why = why


def _cut(text: str) -> str:
    return text if len(text) <= MAX_CONTEXT else text[: MAX_CONTEXT - 1] + "…"


def render(host: str, event: str, out: Outcome | None) -> dict[str, Any] | None:
    """The JSON object to print for `out`, or None to print nothing."""
    if out is None:
        return None
    if host == "gemini-cli":
        return _render_gemini(event, out)
    result: dict[str, Any] = {}
    if out.block:
        return {"decision": "block", "reason": out.block}
    if out.deny and event == "PreToolUse":
        result["hookSpecificOutput"] = {
            "hookEventName": event,
            "permissionDecision": "deny",
            "permissionDecisionReason": out.deny,
        }
    elif out.updated_input is not None and event == "PreToolUse":
        # Claude Code's hooks reference: updatedInput replaces the tool's whole input; with "allow" it runs.
        result["hookSpecificOutput"] = {
            "hookEventName": event,
            "permissionDecision": "allow",
            "permissionDecisionReason": out.why or "llm-router",
            "updatedInput": out.updated_input,
        }
    elif out.context and event in ("UserPromptSubmit", "SessionStart"):
        result["hookSpecificOutput"] = {"hookEventName": event, "additionalContext": _cut(out.context)}
    if out.notice and host == "claude-code":  # Codex: keep to the keys it is known to accept
        result["systemMessage"] = out.notice
    return result or None


def _render_gemini(event: str, out: Outcome) -> dict[str, Any] | None:
    if out.block:
        return {"decision": "deny", "reason": out.block}
    result: dict[str, Any] = {}
    specific: dict[str, Any] = {}
    if out.context and event in ("BeforeAgent", "SessionStart"):
        specific["additionalContext"] = _cut(out.context)
    if event == "BeforeModel":
        if out.llm_response is not None:
            specific["llm_response"] = out.llm_response
        elif out.llm_request is not None:
            specific["llm_request"] = out.llm_request
    if specific:
        result["hookSpecificOutput"] = {"hookEventName": event, **specific}
    if out.notice:
        result["systemMessage"] = out.notice
    return result or None


def problems(host: str, event: str, output: Any) -> list[str]:
    """Why `host` would reject or drop `output` for `event` ([] when it accepts it)."""
    if not isinstance(output, dict):
        return ["the output is not a JSON object"]
    gemini = host == "gemini-cli"
    top, specific_keys = (GEMINI_TOP, GEMINI_SPECIFIC) if gemini else (CLAUDE_TOP, CLAUDE_SPECIFIC)
    found = [f"unknown key {k!r}" for k in output if k not in top]
    decision = output.get("decision")
    allowed = ("allow", "deny", "block") if gemini else ("block",)
    if "decision" in output and decision not in allowed:
        found.append(f"decision must be one of {allowed}, not {decision!r}")
    if decision in ("block", "deny") and not (
        isinstance(output.get("reason"), str) and output["reason"].strip()
    ):
        found.append("a block needs a non-empty reason")
    specific = output.get("hookSpecificOutput")
    if specific is not None:
        if not isinstance(specific, dict):
            return found + ["hookSpecificOutput is not an object"]
        if specific.get("hookEventName") != event:
            found.append(f"hookSpecificOutput.hookEventName must be {event!r}")
        known = specific_keys.get(event, {"hookEventName"})
        found += [f"unknown key hookSpecificOutput.{k}" for k in specific if k not in known]
        if "permissionDecision" in specific and specific["permissionDecision"] not in (
            "allow",
            "deny",
            "ask",
        ):
            found.append("permissionDecision must be allow, deny or ask")
        if "updatedInput" in specific and (
            not isinstance(specific["updatedInput"], dict)
            or specific.get("permissionDecision") not in ("allow", "ask")
        ):
            found.append('updatedInput must be an object, with permissionDecision "allow" or "ask"')
        context = specific.get("additionalContext")
        if context is not None and (not isinstance(context, str) or len(context) > 10_000):
            found.append("additionalContext must be a string of at most 10,000 characters")
        if "llm_request" in specific and not isinstance(specific["llm_request"].get("model"), str):
            found.append("llm_request needs a model")
        if "llm_response" in specific:
            found += _gemini_response_problems(specific["llm_response"])
    return found


def _gemini_response_problems(response: Any) -> list[str]:
    try:
        parts = response["candidates"][0]["content"]["parts"]
        ok = response["candidates"][0]["content"]["role"] == "model" and isinstance(parts[0]["text"], str)
    except (KeyError, IndexError, TypeError):
        ok = False
    return [] if ok else ["llm_response needs candidates[0].content {role: model, parts: [{text}]}"]
