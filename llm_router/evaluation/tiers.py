"""Routing quality against labelled tiers: how `difficulty` orders the levels and where each preset puts them.

For datasets whose rows carry `expected_tier` (a person's label) instead of per-model scores. Reported:
the AUC of `difficulty` for each pair of labelled levels (the chance that a prompt of the higher level scores
above one of the lower; ties count half), and per preset the tier agreement, the prompts two or more tiers
off and a confusion matrix. A prompt's tier is read two ways: the **difficulty tier** is the preset's cutoffs
applied to `difficulty` (what `route: auto` picks), the **decision tier** is where the policy's rules sent it
(`passthrough` when they left it to the host's model). Labelled tasks and `needs_workspace` are scored too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llm_router.decision import COMPLEXITIES, Decision
from llm_router.evaluation.dataset import Record
from llm_router.policy.namespace import auto_tier

if TYPE_CHECKING:
    from llm_router.evaluation.run import Routed
    from llm_router.policy.compiled import CompiledPolicy

PASSTHROUGH = "passthrough"


def auc(higher: Sequence[float], lower: Sequence[float]) -> float | None:
    """P(a score of `higher` > a score of `lower`), ties counting half; None when either side is empty."""
    if not higher or not lower:
        return None
    ranked = sorted([(x, 1) for x in higher] + [(x, 0) for x in lower])
    wins = 0.0
    below = 0  # lower-group scores strictly below the current value
    i = 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        group = ranked[i:j]
        highs = sum(1 for _, side in group if side)
        lows = len(group) - highs
        wins += highs * (below + lows / 2)
        below += lows
        i = j
    return wins / (len(higher) * len(lower))


def pair_aucs(labels: Sequence[str], difficulty: Sequence[float]) -> dict[str, float]:
    """The AUC of difficulty for every pair of labelled levels, keyed "lower<higher"."""
    by_level: dict[str, list[float]] = {}
    for label, d in zip(labels, difficulty, strict=True):
        by_level.setdefault(label, []).append(d)
    levels = [c for c in COMPLEXITIES if c in by_level]
    out = {}
    for i, low in enumerate(levels):
        for high in levels[i + 1 :]:
            value = auc(by_level[high], by_level[low])
            if value is not None:
                out[f"{low}<{high}"] = round(value, 4)
    return out


def _distance(expected: str, got: str) -> int | None:
    """How many tiers apart; None when `got` is not a tier (passthrough, a custom chain)."""
    if got not in COMPLEXITIES:
        return None
    return abs(COMPLEXITIES.index(got) - COMPLEXITIES.index(expected))


def _decision_tier(d: Decision) -> str:
    """The tier a decision routes to; `passthrough` or `block` when it routes nowhere."""
    if d.action in ("route", "suggest"):
        return d.tier or ""
    return PASSTHROUGH if d.action == "passthrough" else d.action


def _agreement(expected: Sequence[str], got: Sequence[str]) -> dict[str, Any]:
    distances = [_distance(e, g) for e, g in zip(expected, got, strict=True)]
    n = len(expected)
    return {
        "agreement": round(sum(d == 0 for d in distances) / n, 4),
        "two_or_more_off": sum(1 for d in distances if d is not None and d >= 2),
        "not_a_tier": sum(1 for d in distances if d is None),
    }


def confusion(expected: Sequence[str], got: Sequence[str]) -> dict[str, dict[str, int]]:
    """expected label -> tier given -> count; rows for the labels present, columns for every tier given."""
    columns = [c for c in COMPLEXITIES if c in got] + sorted({g for g in got if g not in COMPLEXITIES})
    out: dict[str, dict[str, int]] = {}
    for label in [c for c in COMPLEXITIES if c in expected]:
        out[label] = dict.fromkeys(columns, 0)
    for e, g in zip(expected, got, strict=True):
        out[e][g] += 1
    return out


def tier_report(
    cp: CompiledPolicy, records: Sequence[Record], routed: Routed, operating: str, host: str = "cli"
) -> dict[str, Any]:
    """The labelled-tier report (see the module docstring); every record must carry a tier."""
    labels = [r.tier or "" for r in records]
    if not all(labels):
        missing = next(r for r in records if not r.tier)
        raise ValueError(f"record {missing.line or '?'} has no expected_tier")
    difficulty = routed.difficulty
    presets: dict[str, Any] = {}
    tiers_by_preset: dict[str, list[str]] = {}
    for name, decisions in routed.decisions.items():
        cutoffs = cp.presets[name].cutoffs
        by_difficulty = [auto_tier(d, cp.tiers, cutoffs) for d in difficulty]
        tiers_by_preset[name] = by_difficulty
        presets[name] = {
            "cutoffs": dict(cutoffs),
            "difficulty_tier": _agreement(labels, by_difficulty),
            "decision_tier": _agreement(labels, [_decision_tier(d) for d in decisions]),
        }
    chosen = tiers_by_preset[operating]
    decisions = routed.decisions[operating]
    off = [
        {
            "line": r.line,
            "expected": label,
            "tier": tier,
            "difficulty": round(d, 4),
            "task": decision.task,
            "author": r.author,
            "prompt": r.prompt,
        }
        for r, label, tier, d, decision in zip(records, labels, chosen, difficulty, decisions, strict=True)
        if (_distance(label, tier) or 0) >= 2
    ]
    report: dict[str, Any] = {
        "prompts": len(records),
        "host": host,
        "labels": {c: labels.count(c) for c in COMPLEXITIES if c in labels},
        "auc": pair_aucs(labels, difficulty),
        "operating_point": {"policy": operating, **presets[operating]},
        "presets": presets,
        "confusion": {
            "difficulty_tier": confusion(labels, chosen),
            "decision_tier": confusion(labels, [_decision_tier(d) for d in decisions]),
        },
        "two_or_more_off": off,
    }
    tasks = _tasks(records, decisions)
    if tasks:
        report["tasks"] = tasks
    needs = _needs_workspace(records, decisions)
    if needs:
        report["needs_workspace"] = needs
    return report


def _tasks(records: Sequence[Record], decisions: Sequence[Decision]) -> dict[str, Any] | None:
    """Agreement with the labelled tasks, and per labelled task how many got it."""
    pairs = [(r.task, d.task) for r, d in zip(records, decisions, strict=True) if r.task]
    if not pairs:
        return None
    by_task: dict[str, dict[str, int]] = {}
    for want, got in pairs:
        entry = by_task.setdefault(want, {"labelled": 0, "given": 0})
        entry["labelled"] += 1
        entry["given"] += want == got
    return {
        "labelled": len(pairs),
        "agreement": round(sum(w == g for w, g in pairs) / len(pairs), 4),
        "by_task": dict(sorted(by_task.items())),
    }


def _needs_workspace(records: Sequence[Record], decisions: Sequence[Decision]) -> dict[str, Any] | None:
    """Precision and recall of `needs_workspace` against the labels."""
    pairs = [
        (r.needs_workspace, d.needs_workspace)
        for r, d in zip(records, decisions, strict=True)
        if r.needs_workspace is not None
    ]
    if not pairs:
        return None
    tp = sum(1 for want, got in pairs if want and got)
    fp = sum(1 for want, got in pairs if got and not want)
    fn = sum(1 for want, got in pairs if want and not got)
    return {
        "labelled": len(pairs),
        "labelled_true": tp + fn,
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "precision": round(tp / (tp + fp), 4) if tp + fp else None,
        "recall": round(tp / (tp + fn), 4) if tp + fn else None,
    }


def render(report: Mapping[str, Any]) -> str:
    """The labelled-tier report as text."""
    labels = ", ".join(f"{n} {c}" for c, n in report["labels"].items())
    lines = [f"{report['prompts']} prompts labelled with tiers ({labels}); host {report['host']}", ""]
    lines.append("AUC of difficulty (P[higher level scores above lower]; random 0.5):")
    for pair, value in report["auc"].items():
        lines.append(f"  {pair:<28}{value:.3f}")
    lines += ["", f"{'':<22}{'difficulty tier':>26}{'decision tier':>26}"]
    lines.append(f"{'':<22}{'agree':>12}{'2+ off':>14}{'agree':>12}{'2+ off':>14}")
    for name, p in report["presets"].items():
        mark = " *" if name == report["operating_point"]["policy"] else ""
        a, b = p["difficulty_tier"], p["decision_tier"]
        lines.append(
            f"{'policy ' + name + mark:<22}{100 * a['agreement']:>11.1f}%{a['two_or_more_off']:>14}"
            f"{100 * b['agreement']:>11.1f}%{b['two_or_more_off']:>14}"
        )
    for kind in ("difficulty_tier", "decision_tier"):
        matrix = report["confusion"][kind]
        columns = list(next(iter(matrix.values())))
        lines += [
            "",
            f"confusion, {kind.replace('_', ' ')} ({report['operating_point']['policy']}): rows labelled",
        ]
        lines.append(f"  {'':<16}" + "".join(f"{c:>16}" for c in columns))
        for label, row in matrix.items():
            lines.append(f"  {label:<16}" + "".join(f"{row[c]:>16}" for c in columns))
    if "tasks" in report:
        t = report["tasks"]
        per = ", ".join(f"{k} {v['given']}/{v['labelled']}" for k, v in t["by_task"].items())
        lines += ["", f"task agreement {100 * t['agreement']:.1f}% of {t['labelled']}: {per}"]
    if "needs_workspace" in report:
        w = report["needs_workspace"]
        precision = "-" if w["precision"] is None else f"{w['precision']:.3f}"
        recall = "-" if w["recall"] is None else f"{w['recall']:.3f}"
        lines.append(
            f"needs_workspace: precision {precision}, recall {recall} "
            f"({w['labelled_true']} of {w['labelled']} labelled true)"
        )
    off = report["two_or_more_off"]
    lines += ["", f"{len(off)} prompt(s) two or more tiers off (difficulty tier):"]
    for item in off:
        text = " ".join(item["prompt"].split())
        text = text if len(text) <= 90 else text[:89] + "…"
        lines.append(
            f"  line {item['line']}: {item['expected']} -> {item['tier']} ({item['difficulty']:.2f})  {text}"
        )
    return "\n".join(lines)
