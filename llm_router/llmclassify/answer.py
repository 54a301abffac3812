"""What the second-stage model said, read strictly, and the heuristic's features with it taken in (pure).

The answer must be one JSON object with exactly `task`, `complexity` and `needs_workspace`, each of the known
values (a fence such as ```json around it is the one thing tolerated); anything else is `BadAnswer`, and the
caller keeps the heuristic's features.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from llm_router import jsonio
from llm_router.decision import COMPLEXITIES, TASKS, Features

SIGNAL = "llm-classifier"  # added to `signals` when the second stage's answer was taken in
CONFIDENCE = 7.0  # the confidence of a classification the second stage settled (at least)
ANSWER_LIMIT = 2000  # characters of an answer read at all
_KEYS = frozenset({"task", "complexity", "needs_workspace"})


class Verdict(NamedTuple):
    task: str
    complexity: str
    needs_workspace: bool

    def to_dict(self) -> dict[str, object]:
        return {"task": self.task, "complexity": self.complexity, "needs_workspace": self.needs_workspace}


class BadAnswer(ValueError):
    """The model's text is not the JSON object asked for: `outcome` is `garbage` or `wrong_schema`."""

    def __init__(self, outcome: str, message: str):
        super().__init__(message)
        self.outcome = outcome


def parse(text: str) -> Verdict:
    """The Verdict in `text`, or BadAnswer."""
    body = text.strip()
    if len(body) > ANSWER_LIMIT:
        raise BadAnswer("garbage", f"the answer is longer than {ANSWER_LIMIT} characters")
    if body.startswith("```") and body.endswith("```") and len(body) >= 6:
        body = body[3:-3]
        body = body[4:] if body.startswith("json") else body
        body = body.strip()
    try:
        data = jsonio.loads(body)
    except ValueError:
        raise BadAnswer("garbage", "the answer is not JSON") from None
    if not isinstance(data, dict):
        raise BadAnswer("wrong_schema", "the answer is not a JSON object")
    if set(data) != _KEYS:
        raise BadAnswer("wrong_schema", f"expected exactly the keys {sorted(_KEYS)}, got {sorted(data)}")
    task, complexity, workspace = data["task"], data["complexity"], data["needs_workspace"]
    if task not in TASKS:
        raise BadAnswer("wrong_schema", f"unknown task {task!r}")
    if complexity not in COMPLEXITIES:
        raise BadAnswer("wrong_schema", f"unknown complexity {complexity!r}")
    if not isinstance(workspace, bool):
        raise BadAnswer("wrong_schema", f"needs_workspace must be true or false, got {workspace!r}")
    return Verdict(task, complexity, workspace)


def take_in(features: Features, verdict: Verdict, bands: tuple[float, float, float], source: str) -> Features:
    """The features with the verdict's task and complexity; the difficulty moves into that complexity's band
    (its middle) only when it lies outside it, so the ordering within a band stays the heuristic's. A
    workspace need the heuristic saw stays (a file named in the prompt is needed whatever the model says)."""
    edges = (0.0, *bands, 1.0)
    level = COMPLEXITIES.index(verdict.complexity)
    low, high = edges[level], edges[level + 1]
    difficulty = features.difficulty
    if not low <= difficulty < high:
        difficulty = (low + high) / 2
    effect = _logit(difficulty) - _logit(features.difficulty)
    return features._replace(
        task=verdict.task,
        complexity=verdict.complexity,
        difficulty=difficulty,
        confidence=max(features.confidence, CONFIDENCE),
        signals=(*features.signals, SIGNAL),
        contributions=(*features.contributions, (f"llm:{source}", effect)),
        needs_workspace=features.needs_workspace or verdict.needs_workspace,
    )


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))
