"""Streamed answers that break off: what was shown of an answer that then failed, and the marker that goes
before the next model's answer (a separator line on a terminal, a `retry` event in a JSON stream)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Restart:
    """Part of an answer from `failed` was shown, then it failed with `outcome`; what follows is `next`'s
    answer from its beginning (`next` may be `failed` itself, retried)."""

    failed: str
    outcome: str
    shown_chars: int
    next: str

    def separator(self) -> str:
        """The line a terminal shows between the broken answer and the one that replaces it."""
        then = f"retrying {self.next}" if self.next == self.failed else f"continuing with {self.next}"
        return (
            f"\n\n--- llm-router: {self.failed} failed mid-answer ({self.outcome}); {then}. "
            "The answer starts again below. ---\n\n"
        )

    def to_event(self) -> dict[str, Any]:
        """The `retry` event of a JSON stream: the text shown so far is void; new text follows."""
        return {
            "type": "retry",
            "failed_model": self.failed,
            "outcome": self.outcome,
            "discarded_chars": self.shown_chars,
            "next_model": self.next,
        }


class Shown:
    """The text callback of a walk: counts what each attempt showed, and emits a pending Restart just before
    the first text of the answer that replaces a broken one."""

    def __init__(self, on_text: Callable[[str], None], on_restart: Callable[[Restart], None] | None = None):
        self.on_text = on_text
        self.on_restart = on_restart or (lambda restart: on_text(restart.separator()))
        self.model = ""
        self.chars = 0  # shown of the current attempt
        self.restarts: list[Restart] = []
        self._broken: tuple[str, str, int] | None = None  # (model, outcome, chars shown) of a failed answer

    def start(self, model: str) -> None:
        """An attempt at `model` begins."""
        self.model, self.chars = model, 0

    def failed(self, outcome: str) -> None:
        """The current attempt failed; if it had shown text, the next answer needs a marker."""
        if self.chars:
            self._broken = (self.model, outcome, self.chars)

    def __call__(self, piece: str) -> None:
        if not piece:
            return
        if self._broken is not None:
            model, outcome, chars = self._broken
            self._broken = None
            restart = Restart(model, outcome, chars, self.model)
            self.restarts.append(restart)
            self.on_restart(restart)
        self.chars += len(piece)
        self.on_text(piece)
