"""The quality guard: an answer that is empty, a refusal, or cut off by length escalates to the next model."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from llm_router.execute.dispatch import Reply

_REFUSAL = re.compile(
    r"^\W*(i'?m sorry|i am sorry|sorry, (but )?i|i can(?:no|'|’)t (help|assist|comply|do that)"
    r"|i cannot (help|assist)"
    r"|i'?m (unable|not able) to (help|assist|comply)|i am (unable|not able) to (help|assist|comply)"
    r"|as an ai\b)",
    re.IGNORECASE,
)
GUARD_MESSAGES = {
    "empty": "quality guard: empty answer",
    "refusal": "quality guard: the answer is a refusal",
    "length": "quality guard: the answer was cut off at the length limit",
}
HOLD_CHARS = 80  # a streamed answer is held back until this much text shows it is not a refusal


@dataclass(frozen=True, slots=True)
class GuardSettings:
    """The policy's `fallback.quality_guard`."""

    min_chars: int = 1
    escalate_on_refusal: bool = True
    escalate_on_length: bool = True

    @classmethod
    def from_policy(cls, section: Mapping[str, Any] | None) -> GuardSettings:
        s = dict(section or {})
        return cls(
            int(s.get("min_chars", 1)),
            bool(s.get("escalate_on_refusal", True)),
            bool(s.get("escalate_on_length", True)),
        )


def is_refusal(text: str) -> bool:
    """Whether an answer opens like a refusal ("I'm sorry, but I can't help with that")."""
    return bool(_REFUSAL.match(text[:200]))


def judge(reply: Reply, settings: GuardSettings, *, shown: bool = False) -> str | None:
    """None for a usable answer, else the outcome that escalates: empty | refusal | length. An answer already
    streamed to the user (`shown`) is not escalated for its length: it cannot be taken back."""
    if len(reply.text.strip()) < max(settings.min_chars, 1):
        return "empty"
    if settings.escalate_on_refusal and (reply.finish_reason == "content_filter" or is_refusal(reply.text)):
        return "refusal"
    if settings.escalate_on_length and reply.finish_reason == "length" and not shown:
        return "length"
    return None


class Gate:
    """Holds a streamed answer back until it is clearly not a refusal, then passes text straight through."""

    def __init__(self, on_text: Callable[[str], None], min_chars: int = 1):
        self.on_text = on_text
        self.hold = max(HOLD_CHARS, min_chars)
        self.held: list[str] = []
        self.shown = False

    def feed(self, piece: str) -> None:
        if self.shown:
            self.on_text(piece)
            return
        self.held.append(piece)
        text = "".join(self.held)
        if len(text) >= self.hold and not is_refusal(text):
            self.release()

    def release(self) -> None:
        """Show what was held (the answer passed the guard)."""
        if not self.shown and self.held:
            self.on_text("".join(self.held))
        self.held.clear()
        self.shown = True
