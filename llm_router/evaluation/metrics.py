"""RouteLLM-style routing metrics: the quality/strong-share curve, APGR, CPT, and the baselines."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True, slots=True)
class Point:
    """One way of splitting the prompts between the two models."""

    share: float  # fraction of prompts sent to the strong model
    quality: float  # mean score
    cost: float | None = None  # total cost, when every prompt has both costs

    @property
    def as_dict(self) -> dict[str, float | None]:
        return {
            "strong_share": round(self.share, 4),
            "quality": round(self.quality, 4),
            "cost": None if self.cost is None else round(self.cost, 6),
        }


@dataclass(frozen=True)
class Pair:
    """Per-prompt scores (and costs) of a strong and a weak model."""

    strong: Sequence[float]
    weak: Sequence[float]
    strong_cost: Sequence[float] | None = None
    weak_cost: Sequence[float] | None = None

    def __len__(self) -> int:
        return len(self.strong)

    # Cached: pgr() asks for both at every point of a curve, which made APGR quadratic in the prompts.
    @cached_property
    def strong_quality(self) -> float:
        return sum(self.strong) / len(self.strong)

    @cached_property
    def weak_quality(self) -> float:
        return sum(self.weak) / len(self.weak)

    def point(self, to_strong: Sequence[bool]) -> Point:
        """Quality, strong share and cost of one routing of every prompt."""
        n = len(self.strong)
        quality = sum(s if go else w for s, w, go in zip(self.strong, self.weak, to_strong, strict=True)) / n
        cost = None
        if self.strong_cost is not None and self.weak_cost is not None:
            costs = zip(self.strong_cost, self.weak_cost, to_strong, strict=True)
            cost = sum(s if go else w for s, w, go in costs)
        return Point(sum(to_strong) / n, quality, cost)

    def pgr(self, quality: float) -> float:
        """Performance gap recovered: 0 at the weak model's quality, 1 at the strong model's."""
        gap = self.strong_quality - self.weak_quality
        return (quality - self.weak_quality) / gap if gap else 1.0


def curve(pair: Pair, difficulty: Sequence[float]) -> list[Point]:
    """Points from sending the hardest prompts to the strong model first; tied prompts move together.

    Between tie groups the curve is a straight line, which is what a random tie-break gives on average.
    """
    n = len(pair)
    order = sorted(range(n), key=lambda i: -difficulty[i])
    has_cost = pair.strong_cost is not None and pair.weak_cost is not None
    quality = sum(pair.weak)
    cost = sum(pair.weak_cost) if has_cost and pair.weak_cost is not None else 0.0
    points = [Point(0.0, quality / n, cost if has_cost else None)]
    i = 0
    while i < n:
        j = i
        while j < n and difficulty[order[j]] == difficulty[order[i]]:
            k = order[j]
            quality += pair.strong[k] - pair.weak[k]
            if has_cost and pair.strong_cost is not None and pair.weak_cost is not None:
                cost += pair.strong_cost[k] - pair.weak_cost[k]
            j += 1
        points.append(Point(j / n, quality / n, cost if has_cost else None))
        i = j
    return points


def apgr(pair: Pair, points: Sequence[Point]) -> float:
    """Area under the PGR curve over the strong share 0..1 (random routing: 0.5)."""
    area = 0.0
    for a, b in zip(points, points[1:], strict=False):
        area += (b.share - a.share) * (pair.pgr(a.quality) + pair.pgr(b.quality)) / 2
    return area


def share_to_reach(points: Sequence[Point], target: float) -> float | None:
    """The smallest strong share at which the (interpolated) curve reaches `target` quality."""
    if points[0].quality >= target:
        return 0.0
    for a, b in zip(points, points[1:], strict=False):
        if b.quality >= target:
            if b.quality == a.quality:
                return b.share
            return a.share + (b.share - a.share) * (target - a.quality) / (b.quality - a.quality)
    return None


def cost_to_reach(points: Sequence[Point], target: float) -> float | None:
    """The smallest total cost at which the (interpolated) curve reaches `target` quality."""
    if points[0].cost is None:
        return None
    if points[0].quality >= target:
        return points[0].cost
    for a, b in zip(points, points[1:], strict=False):
        if b.quality >= target and a.cost is not None and b.cost is not None:
            if b.quality == a.quality:
                return b.cost
            return a.cost + (b.cost - a.cost) * (target - a.quality) / (b.quality - a.quality)
    return None


def cpt(pair: Pair, points: Sequence[Point], pgr_target: float) -> float | None:
    """Call-performance threshold: the strong share needed to recover `pgr_target` of the gap."""
    target = pair.weak_quality + pgr_target * (pair.strong_quality - pair.weak_quality)
    return share_to_reach(points, target - 1e-12)


def summary(pair: Pair, points: Sequence[Point]) -> dict[str, float | None]:
    """APGR, CPT(50%), CPT(80%), and the share (and cost share) needed for 95% of the strong quality."""
    target = 0.95 * pair.strong_quality
    all_strong_cost = points[-1].cost
    cost95 = cost_to_reach(points, target - 1e-12)
    return {
        "apgr": round(apgr(pair, points), 4),
        "cpt50": _round(cpt(pair, points, 0.5)),
        "cpt80": _round(cpt(pair, points, 0.8)),
        "share_for_95pct_strong": _round(share_to_reach(points, target - 1e-12)),
        "cost_share_for_95pct_strong": _round(cost95 / all_strong_cost)
        if cost95 is not None and all_strong_cost
        else None,
    }


def baselines(pair: Pair, seed: int = 0) -> dict[str, dict[str, object]]:
    """All-weak, all-strong, random (expected curve) and oracle (knows which model is better)."""
    n = len(pair)
    gain = [s - w for s, w in zip(pair.strong, pair.weak, strict=True)]
    oracle_points = curve(pair, gain)
    oracle_route = [g > 0 for g in gain]
    rng = random.Random(seed)
    half = [rng.random() < 0.5 for _ in range(n)]
    random_points = [Point(0.0, pair.weak_quality), Point(1.0, pair.strong_quality)]
    if oracle_points[0].cost is not None:
        random_points = [oracle_points[0], oracle_points[-1]]
    return {
        "all-weak": {"point": pair.point([False] * n).as_dict},
        "all-strong": {"point": pair.point([True] * n).as_dict},
        "random": {"point": pair.point(half).as_dict, **summary(pair, random_points)},
        "oracle": {"point": pair.point(oracle_route).as_dict, **summary(pair, oracle_points)},
    }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)
