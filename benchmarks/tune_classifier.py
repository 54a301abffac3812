"""Tune the built-in classifier's weights on the RouteLLM data, with honest cross-validation.

The hand-written weights of policies/classifier.yaml are the prior. A coordinate search on a grid moves a
few weights that should transfer across kinds of traffic (length, multi-step, numbers, constraints,
word-problem quantities, professional-domain vocabulary) to maximise the mean APGR of the training prompts;
task biases and task detection stay at their prior, since the data holds no writing, chat or coding prompts
to learn them from (benchmarks/probe_categories.py is the development aid for those). APGR is computed in
numpy (the quadratic `metrics.apgr` is checked against it on a slice every run), so a run takes seconds.
Validation: MMLU subjects are held out whole (5 folds of subjects), GSM8K in 5 folds with duplicate prompts
grouped; every reported figure is on prompts the fit did not see. `--write` puts the weights fitted on all
the data back into classifier.yaml.

Usage: python benchmarks/tune_classifier.py [--data DIR] [--yaml FILE] [--write]
"""

from __future__ import annotations

import argparse
import json
import re
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from llm_router.classify import compile_classifier
from llm_router.evaluation import dataset, metrics

ROOT = Path(__file__).resolve().parents[1]
YAML = ROOT / "policies" / "classifier.yaml"
STRONG, WEAK = "gpt-4-1106-preview", "mistralai/Mixtral-8x7B-Instruct-v0.1"
FOLDS = 5


def features(section: dict[str, Any], prompts: Sequence[str]) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Per prompt: the classifier's terms as columns (signal counts, task one-hot, length), and its logit."""
    clf, issues = compile_classifier(section, trusted=lambda _pointer: True)  # the built-in file
    assert not issues, issues
    signals = [s["id"] for s in section["signals"]]
    tasks = sorted(section["task_bias"])
    # "length" is tuned; "length:by_task" (the fixed weights of `length.by_task`, `length.by_signal`) is not.
    names = [f"signal:{s}" for s in signals] + [f"task:{t}" for t in tasks] + ["length", "length:by_task"]
    col = {n: i for i, n in enumerate(names)}
    weight = {s["id"]: s.get("weight", 0.0) for s in section["signals"]}
    x = np.zeros((len(prompts), len(names)))
    logits = np.zeros(len(prompts))
    for row, p in enumerate(prompts):
        f = clf.classify(p)
        logits[row] = clf.logit(f)
        effects = dict(f.contributions)
        for sid in f.signals:
            if f"signal:{sid}" in col:
                w = weight[sid]
                x[row, col[f"signal:{sid}"]] = effects.get(f"signal:{sid}", 0.0) / w if w else 1.0
        if f"task:{f.task}" in col:
            x[row, col[f"task:{f.task}"]] = 1.0
        term = clf.length_term(f.tokens, f.signals)
        by_task = clf.length_override(f.task, f.signals, term)
        if by_task is None:
            x[row, col["length"]] = term
        else:
            x[row, col["length:by_task"]] = by_task * term
    return x, names, logits


def prior(section: dict[str, Any], names: Sequence[str]) -> np.ndarray:
    """The YAML's current weights, in the column order of `features`."""
    w = {f"signal:{s['id']}": s.get("weight", 0.0) for s in section["signals"]}
    w |= {f"task:{t}": v for t, v in section["task_bias"].items()}
    w["length"] = section["length"]["weight"]
    w["length:by_task"] = 1.0
    return np.array([w[n] for n in names])


TUNED = (
    "length",
    "signal:multi-step",
    "signal:numbers",
    "signal:constraints",
    "signal:word-problem",
    "signal:professional",
)
GRID = (0.0, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0, 1.3)
PASSES = 4


class Part:
    """Strong and weak scores of one part (MMLU or GSM8K) of the prompts, for the fast curve below."""

    def __init__(self, strong: np.ndarray, weak: np.ndarray) -> None:
        self.strong, self.weak = strong, weak


def fast_curve(part: Part, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`metrics.curve` in numpy: (strong share, PGR) at the end of each group of tied scores."""
    order = np.argsort(-score, kind="stable")
    ranked = score[order]
    gained = np.cumsum((part.strong - part.weak)[order])
    ends = np.nonzero(np.append(ranked[1:] != ranked[:-1], True))[0]
    total = gained[-1] if len(gained) and gained[-1] else 1.0
    share = np.concatenate([[0.0], (ends + 1) / len(score)])
    pgr = np.concatenate([[0.0], gained[ends] / total])
    return share, pgr


def fast_apgr(part: Part, score: np.ndarray) -> float:
    """`metrics.apgr` in numpy (the same trapezoids); metrics.apgr is quadratic in the number of prompts."""
    share, pgr = fast_curve(part, score)
    return float(np.sum(np.diff(share) * (pgr[1:] + pgr[:-1]) / 2))


def objective(x: np.ndarray, w: np.ndarray, pairs: Sequence[tuple[np.ndarray, Part]]) -> float:
    """Mean APGR over the parts (MMLU, GSM8K) of the training prompts."""
    score = x @ w
    return float(np.mean([fast_apgr(p, score[m]) for m, p in pairs]))


def fit(
    x: np.ndarray, w0: np.ndarray, names: Sequence[str], pairs: Sequence[tuple[np.ndarray, Part]]
) -> np.ndarray:
    """Coordinate search over the TUNED weights on a grid, in passes until none moves (at most PASSES);
    every other weight keeps its prior. One pass alone can stop early: the first weight is set while the
    others still sit at their prior."""
    w = w0.copy()
    best = objective(x, w, pairs)
    for _ in range(PASSES):
        moved = False
        for name in (n for n in TUNED if n in names):
            j = names.index(name)
            for value in GRID:
                trial = w.copy()
                trial[j] = value
                got = objective(x, trial, pairs)
                if got > best + 1e-4:
                    best, w, moved = got, trial, True
        if not moved:
            break
    return w


def _pairs(
    records: Sequence[dataset.Record], mask: np.ndarray, parts: Sequence[np.ndarray]
) -> list[tuple[np.ndarray, Part]]:
    strong = np.array([r.scores[STRONG] for r in records])
    weak = np.array([r.scores[WEAK] for r in records])
    return [(mask & part, Part(strong[mask & part], weak[mask & part])) for part in parts]


def folds(records: Sequence[dataset.Record]) -> np.ndarray:
    """Fold of each record: MMLU by whole subject, GSM8K by duplicate group; duplicates share a fold."""
    subjects = sorted({r.category for r in records if r.category != "gsm8k"})
    by_subject = {s: i % FOLDS for i, s in enumerate(sorted(subjects, key=lambda s: zlib.crc32(s.encode())))}
    fold_of_text: dict[str, int] = {}
    out = np.zeros(len(records), dtype=int)
    for i, r in enumerate(records):
        key = dataset.normalise(r.prompt)
        default = by_subject[r.category] if r.category in by_subject else zlib.crc32(key.encode()) % FOLDS
        out[i] = fold_of_text.setdefault(key, default)
    return out


def apgr(records: Sequence[dataset.Record], score: np.ndarray, mask: np.ndarray) -> dict[str, Any]:
    """APGR, CPT(50%), CPT(80%) and the share for 95% of the strong quality on the masked records."""
    sub = [r for r, m in zip(records, mask, strict=True) if m]
    part = Part(np.array([r.scores[STRONG] for r in sub]), np.array([r.scores[WEAK] for r in sub]))
    share, pgr = fast_curve(part, score[mask])
    strong, weak = part.strong.mean(), part.weak.mean()
    pgr95 = (0.95 * strong - weak) / (strong - weak)

    def reach(target: float) -> float | None:  # metrics.share_to_reach on the PGR scale
        hit = np.nonzero(pgr >= target - 1e-12)[0]
        if not len(hit):
            return None
        i = int(hit[0])
        if i == 0:
            return 0.0
        if pgr[i] == pgr[i - 1]:
            return round(float(share[i]), 4)
        return round(
            float(share[i - 1] + (share[i] - share[i - 1]) * (target - pgr[i - 1]) / (pgr[i] - pgr[i - 1])), 4
        )

    return {
        "apgr": round(fast_apgr(part, score[mask]), 4),
        "cpt50": reach(0.5),
        "cpt80": reach(0.8),
        "share_for_95pct_strong": reach(pgr95),
    }


def _check_fast_apgr(records: Sequence[dataset.Record], score: np.ndarray, n: int = 1500) -> None:
    """The numpy APGR must equal `metrics.apgr` (checked on a slice small enough for the quadratic one)."""
    sub = records[:: max(1, len(records) // n)]
    picked = score[:: max(1, len(records) // n)]
    pair = metrics.Pair([r.scores[STRONG] for r in sub], [r.scores[WEAK] for r in sub])
    fast = fast_apgr(Part(np.array(pair.strong), np.array(pair.weak)), picked)
    assert abs(fast - metrics.apgr(pair, metrics.curve(pair, list(picked)))) < 1e-9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "routellm")
    parser.add_argument("--yaml", type=Path, default=YAML, help="the classifier section to start from")
    parser.add_argument("--write", action="store_true", help="write the fitted weights into --yaml")
    args = parser.parse_args()
    section = yaml.safe_load(args.yaml.read_text())["classifier"] | {"lexicon": {"weight": 0}}
    records = [r for r in dataset.convert_routellm(args.data) if STRONG in r.scores and WEAK in r.scores]
    x, names, _ = features(section, [r.prompt for r in records])
    w0 = prior(section, names)
    fold = folds(records)
    is_gsm = np.array([r.category == "gsm8k" for r in records])
    # RouteLLM's high_school_mathematics grades GPT-4 at 3% (an answer-format artefact): not fitted on.
    usable = np.array([r.category != "high_school_mathematics" for r in records])
    parts = (~is_gsm, is_gsm)
    _check_fast_apgr(records, x @ w0)
    held = np.zeros(len(records))
    for k in range(FOLDS):
        train, test = (fold != k) & usable, fold == k
        w = fit(x, w0, names, _pairs(records, train, parts))
        held[test] = x[test] @ w
        print(
            f"fold {k}: " + ", ".join(f"{n}={w[names.index(n)]:.2f}" for n in TUNED if n in names), flush=True
        )
    report: dict[str, Any] = {}
    for label, score in (("shipped weights (prior)", x @ w0), ("tuned, held out", held)):
        report[label] = {
            name: apgr(records, score, m)
            for name, m in (
                ("mmlu", ~is_gsm),
                ("mmlu w/o hs-math", ~is_gsm & usable),
                ("gsm8k", is_gsm),
                ("both", np.ones(len(records), dtype=bool)),
            )
        }
    print(json.dumps(report, indent=1))
    w_all = fit(x, w0, names, _pairs(records, usable, parts))
    changes = {
        n: (round(float(a), 3), round(float(b), 3))
        for n, a, b in zip(names, w0, w_all, strict=True)
        if abs(a - b) > 0.005
    }
    print("weights fitted on all the data (prior -> tuned):", json.dumps(changes))
    if args.write:
        _write(w_all, names, args.yaml)


def _write(w: np.ndarray, names: Sequence[str], path: Path) -> None:
    """Put the fitted weights back into the classifier YAML, editing only the numbers."""
    text = path.read_text()
    for name, value in zip(names, w, strict=True):
        v = f"{float(value):.2f}"
        kind, _, key = name.partition(":")
        if kind == "signal":
            pattern = rf"(- id: {re.escape(key)}\b(?:(?!\n    - id:).)*?\n      weight: )-?[\d.]+"
            text, n = re.subn(pattern, rf"\g<1>{v}", text, count=1, flags=re.S)
        elif kind == "task":
            text = re.sub(rf"(\n    {key}: )-?[\d.]+", rf"\g<1>{v}", text, count=1)
        elif name == "length":
            text = re.sub(r"(length: \{weight: )-?[\d.]+", rf"\g<1>{v}", text, count=1)
    path.write_text(text)


if __name__ == "__main__":
    main()
