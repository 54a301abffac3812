"""Turn memory: the decision and model of each conversation's current turn, so that the requests continuing a
turn (tool results) stay on the model that began it. In memory, bounded, entries expire after `ttl_s`."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llm_router.decision import Decision


@dataclass(frozen=True)
class Turn:
    """What one turn was decided and where it went."""

    turn: str  # the key of the turn's prompt (features.Shape.turn)
    decision: Decision
    model: str  # the model that answered, or "passthrough" when the turn went to the upstream
    at: float  # when it was last used


class TurnMemory:
    """conversation key -> the Turn it is in. Least recently used entries go first past `limit`."""

    def __init__(
        self, ttl_s: float = 3600.0, limit: int = 10_000, clock: Callable[[], float] = time.monotonic
    ):
        self.ttl_s = ttl_s
        self.limit = limit
        self.clock = clock
        self._turns: OrderedDict[str, Turn] = OrderedDict()

    def get(self, conversation: str, turn: str) -> Turn | None:
        """The turn `conversation` is in, when it is `turn` and has not expired."""
        kept = self._turns.get(conversation)
        if kept is None or kept.turn != turn:
            return None
        now = self.clock()
        if now - kept.at > self.ttl_s:
            del self._turns[conversation]
            return None
        self._turns[conversation] = Turn(kept.turn, kept.decision, kept.model, now)
        self._turns.move_to_end(conversation)
        return kept

    def keep(self, conversation: str, turn: str, decision: Decision, model: str) -> None:
        """Remember that `conversation` is in `turn`, decided by `decision` and answered by `model`."""
        self._turns[conversation] = Turn(turn, decision, model, self.clock())
        self._turns.move_to_end(conversation)
        while len(self._turns) > self.limit:
            self._turns.popitem(last=False)

    def __len__(self) -> int:
        return len(self._turns)
