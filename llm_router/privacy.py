"""What of a prompt may reach a file: the stored form of a decision, and free text (errors, log lines) with
every fragment of the prompt taken out. Prompt text is kept only when config.yaml says `store_prompts: true`.

A decision's trace records what each rule saw. Names that never carry the request's text (`SAFE_NAMES`)
are stored as they are; any other value that holds text (`prompt` today, and whatever a later name adds) is
withheld, and so is the note of a step that saw one, since an evaluation error can quote its input.
Standard library only: the hooks import it.
"""

from __future__ import annotations

from _collections_abc import Mapping  # collections.abc without importing collections

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

WITHHELD = "[withheld: store_prompts is off]"
FRAGMENT = "[…]"
MIN_FRAGMENT = 12  # shorter runs are common words, not a quote

# The expression names whose values are computed from the request without carrying its text.
SAFE_NAMES = frozenset(
    {
        "tokens",
        "task",
        "complexity",
        "difficulty",
        "confidence",
        "signals",
        "threshold",
        "tier",
        "host",
        "event",
        "kind",  # text, or the media kind the event names
        "session",
        "profile",
        "policy",
        "enforce",
        "mode",
        "claude_prefix",
        "budget",
        "max_budget_pct",
        "health",
        "configured",
        "now",
        "hour",
        "weekday",
        "has_tools",
        "n_messages",
        "context_tokens",
        "thinking",
        "has_images",
        "stream",
        "background",
        "long_context_tokens",
    }
)


def _has_text(value: Any) -> bool:
    if isinstance(value, str):
        return True
    if isinstance(value, Mapping):
        return any(_has_text(k) or _has_text(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(_has_text(v) for v in value)
    return False


def stored_step(step: Mapping[str, Any]) -> dict[str, Any]:
    """A trace step (`TraceStep.to_dict()`) as it may be stored without the prompt."""
    saw = step.get("saw") or {}
    kept = {k: (v if k in SAFE_NAMES or not _has_text(v) else WITHHELD) for k, v in saw.items()}
    touched = any(kept[k] is WITHHELD for k in kept)
    return {**step, "saw": kept, "note": WITHHELD if touched and step.get("note") else step.get("note", "")}


def stored_decision(decision: Mapping[str, Any], *, keep_prompts: bool = False) -> dict[str, Any]:
    """A decision (`Decision.to_dict()`) as it may be stored: its trace without the prompt unless
    `keep_prompts` (config.yaml's `store_prompts`)."""
    if keep_prompts:
        return dict(decision)
    return {**decision, "trace": [stored_step(s) for s in decision.get("trace") or ()]}


def withhold(text: str, secrets: Iterable[str], *, min_len: int = MIN_FRAGMENT) -> str:
    """`text` with every run of `min_len` or more characters that also occurs in one of `secrets` replaced
    by `[…]` (for error messages and log lines that may quote a prompt)."""
    secret = "\0".join(s for s in secrets if len(s) >= min_len)
    if len(text) < min_len or not secret:
        return text
    starts = range(len(text) - min_len + 1)
    windows = {text[i : i + min_len] for i in starts}
    if len(windows) * len(secret) <= 20_000_000:  # few windows: let the C substring search do the work
        found = {w for w in windows if w in secret}
    else:  # a long secret: one pass over its windows
        found = {
            w for w in (secret[i : i + min_len] for i in range(len(secret) - min_len + 1)) if w in windows
        }
    if not found:
        return text
    covered = bytearray(len(text))
    for i in starts:
        if text[i : i + min_len] in found:
            covered[i : i + min_len] = b"\1" * min_len
    out: list[str] = []
    for i, ch in enumerate(text):
        if not covered[i]:
            out.append(ch)
        elif i == 0 or not covered[i - 1]:
            out.append(FRAGMENT)
    return "".join(out)


# Hook payload fields that name things rather than carry what the user wrote.
_METADATA = frozenset(
    {"session_id", "transcript_path", "cwd", "hook_event_name", "permission_mode", "turn_id", "tool_use_id"}
)


def request_texts(payload: Any, *, limit: int = 64) -> list[str]:
    """The strings of a host's hook payload that may hold what the user wrote (at most `limit` of them)."""
    out: list[str] = []
    stack = [payload]
    while stack and len(out) < limit:
        value = stack.pop()
        if isinstance(value, str):
            if len(value) >= MIN_FRAGMENT:
                out.append(value)
        elif isinstance(value, Mapping):
            stack.extend(v for k, v in value.items() if k not in _METADATA)
        elif isinstance(value, list):
            stack.extend(value)
    return out
