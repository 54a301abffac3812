"""Run the router's real decisions over a dataset (no model calls) and measure them against the curve.

With a strong/weak pair, a decision counts as a strong call when it routes to a tier in STRONG_TIERS or
leaves the prompt to the host's own model (passthrough, suggest: the premium model answers). With a tier
map, each decision's tier (or `passthrough`) names the dataset model that answers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llm_router.decision import Context, Decision, Request
from llm_router.errors import RouterError
from llm_router.evaluation import metrics
from llm_router.evaluation.dataset import Record

if TYPE_CHECKING:
    from llm_router.policy.compiled import CompiledPolicy

STRONG_TIERS = frozenset({"complex", "deep_reasoning"})
HOST_ACTIONS = frozenset({"passthrough", "suggest"})  # the host's own (premium) model answers
NOON = 1_700_000_000.0 - 1_700_000_000.0 % 86400 + 12 * 3600  # a fixed time: evals do not read the clock


class EvalError(RouterError):
    """A dataset and a model choice that do not fit together."""

    exit_code = 2


@dataclass(frozen=True)
class Routed:
    """The router's view of every prompt: features once, and a decision per policy preset."""

    difficulty: list[float]
    decisions: Mapping[str, list[Decision]]  # preset -> one decision per record


def route_all(
    cp: CompiledPolicy,
    records: Sequence[Record],
    presets: Sequence[str],
    host: str = "cli",
    tick: Callable[[int], None] | None = None,
) -> Routed:
    """Classify each prompt once and evaluate the policy under each preset, as `router.decide` would."""
    from llm_router.policy.evaluate import evaluate

    budgets = {b.id: b.state() for b in cp.budgets}
    difficulty: list[float] = []
    decisions: dict[str, list[Decision]] = {p: [] for p in presets}
    for r in records:
        request = Request(r.prompt, host=host)
        features = cp.classifier.classify(r.prompt)
        difficulty.append(features.difficulty)
        for preset in presets:
            ctx = Context(
                request=request, features=features, now=NOON, budgets=budgets, knobs={"policy": preset}
            )
            decisions[preset].append(evaluate(cp, ctx))
        if tick is not None:
            tick(1)
    return Routed(difficulty, decisions)


def pair_of(records: Sequence[Record], strong: str, weak: str) -> metrics.Pair:
    """Scores and costs of the two models over the records."""
    for name in (strong, weak):
        missing = sum(1 for r in records if name not in r.scores)
        if missing:
            known = sorted({m for r in records for m in r.scores})
            raise EvalError(f"model {name!r} has no score on {missing} prompts (models: {', '.join(known)})")
    with_cost = all(strong in r.costs and weak in r.costs for r in records)
    return metrics.Pair(
        [r.scores[strong] for r in records],
        [r.scores[weak] for r in records],
        [r.costs[strong] for r in records] if with_cost else None,
        [r.costs[weak] for r in records] if with_cost else None,
    )


def is_strong(d: Decision) -> bool:
    """A decision the strong model answers (see the module docstring)."""
    return d.action in HOST_ACTIONS or (d.action == "route" and d.tier in STRONG_TIERS)


def pair_report(
    records: Sequence[Record], routed: Routed, strong: str, weak: str, operating: str
) -> dict[str, Any]:
    """The whole report for a strong/weak pair: operating points, curve, summary and baselines."""
    pair = pair_of(records, strong, weak)
    points = metrics.curve(pair, routed.difficulty)
    presets = {}
    for preset, decisions in routed.decisions.items():
        route = [is_strong(d) for d in decisions]
        point = pair.point(route)
        presets[preset] = {**point.as_dict, "pgr": round(pair.pgr(point.quality), 4)}
    return {
        "strong": strong,
        "weak": weak,
        "prompts": len(records),
        "operating_point": {"policy": operating, **presets[operating]},
        "presets": presets,
        "router": metrics.summary(pair, points),
        "baselines": metrics.baselines(pair),
        "curve": [p.as_dict for p in _thin(points)],
    }


def map_report(
    records: Sequence[Record], routed: Routed, mapping: Mapping[str, str], operating: str
) -> dict[str, Any]:
    """Quality and cost of each preset when each tier (or `passthrough`) is answered by a dataset model."""
    out: dict[str, Any] = {"map": dict(mapping), "prompts": len(records), "presets": {}}
    for preset, decisions in routed.decisions.items():
        score = cost = 0.0
        counts: dict[str, int] = {}
        has_cost = True
        for r, d in zip(records, decisions, strict=True):
            key = "passthrough" if d.action in HOST_ACTIONS else (d.tier or "")
            model = mapping.get(key)
            if model is None:
                raise EvalError(f"decision tier {key!r} is not in --map (add {key}=MODEL)")
            if model not in r.scores:
                raise EvalError(f"model {model!r} has no score for a prompt")
            counts[model] = counts.get(model, 0) + 1
            score += r.scores[model]
            has_cost = has_cost and model in r.costs
            cost += r.costs.get(model, 0.0)
        out["presets"][preset] = {
            "quality": round(score / len(records), 4),
            "cost": round(cost, 6) if has_cost else None,
            "calls": counts,
        }
    out["operating_point"] = {"policy": operating, **out["presets"][operating]}
    return out


def _thin(points: Sequence[metrics.Point], most: int = 101) -> list[metrics.Point]:
    """At most `most` points of the curve, evenly spread by strong share, keeping both ends."""
    if len(points) <= most:
        return list(points)
    out, step = [points[0]], 1.0 / (most - 1)
    mark = step
    for p in points[1:-1]:
        if p.share >= mark:
            out.append(p)
            mark = p.share + step
    out.append(points[-1])
    return out
