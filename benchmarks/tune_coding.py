"""Fit the weights of the coding-tool kinds of work on labelled coding-tool prompts, validated by author.

The vocabulary of `policies/classifier.yaml` (which signals exist and what they match) is written by hand;
this script fits only the weights of the signals listed in TUNED, by a coordinate search on a grid. The
objective is the likelihood of the labelled tiers under an ordinal model whose thresholds are the balanced
preset's cutoffs (on the logit scale), with a small pull towards the prior weights: it rewards putting each
prompt inside its label's band, which is what tier agreement and the presets need, and it is smooth, so it
moves less on a handful of prompts than agreement itself. Task votes do not depend on weights, so each
prompt's logit is its fixed part plus the tuned weights times its hit counts. Reported: tier agreement
under the balanced cutoffs (deep_reasoning its own tier), the AUC of difficulty for simple<moderate,
moderate<complex and simple<complex (deep_reasoning with complex), and the prompts two or more tiers off.

Validation is **leave one author out**: the weights are fitted on the other authors' prompts and measured on
the held-out author's; every figure under "held out" comes from weights that never saw that author. Research
prompts (task `research`) are left out of the tier figures, as the acceptance check scores them separately.

Usage: python benchmarks/tune_coding.py [--data DIR] [--authors p,q] [--yaml FILE] [--fix NAME=VALUE]
                                        [--write] [--json]
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from llm_router.classify import compile_classifier

ROOT = Path(__file__).resolve().parents[1]
YAML = ROOT / "policies" / "classifier.yaml"
DATA = ROOT / "benchmarks" / "coding_data"
TUNED = (
    "sw-code-ask",
    "sw-question",
    "sw-terse",
    "sw-brief",
    "sw-explain-pasted",
    "sw-implement",
    "sw-artifact",
    "sw-refactor",
    "sw-restructure",
    "sw-draft",
    "sw-tradeoff",
    "sw-compare",
    "sw-cross-debug",
    "sw-security",
    "sw-migration",
    "sw-proof",
    "sw-ours",
    "sw-hard",
    "pasted",
    "needs-edit",
    "needs-path",
    "length:software",  # the length weight above the pivot in a prompt about software (`length.by_signal`)
)
GRID = np.round(np.arange(-3.0, 3.0001, 0.1), 2)
# Priors as bounds: a long prompt about software is not easier for being long, pasted material does not
# make it harder, and each kind of complex work raises the score by itself (P and Q hold almost no terse
# complex prompts, so the data alone would leave that to length).
COMPLEX_KINDS = ("sw-tradeoff", "sw-compare", "sw-cross-debug", "sw-security", "sw-migration")
# Held by definition, not fitted: a refactor of named code is moderate work like any other change to it, so
# in a prompt about software it closes the gap between the `code` and `refactor` task priors (1.2 - 0.5).
# `pasted` is held at -1.0: the coding-tool sets pull it to -1.3, which takes ~0.004 chat APGR from the probes
# (chat coding prompts paste code too), for no gain on the held-out coding authors.
HELD = {"sw-refactor": 0.7, "pasted": -1.0}
BOUNDS = {"length:software": (0.0, 1.0), "pasted": (-3.0, 0.0), **{k: (0.3, 3.0) for k in COMPLEX_KINDS}}
LEVELS = ("simple", "moderate", "complex", "deep_reasoning")
CUTS = (0.35, 0.60, 0.82)  # the balanced preset
SCALE = 2.0  # steepness of the ordinal model: a prompt 0.5 logit inside its band is ~73% likely there
PULL = 0.002  # L2 pull of each weight towards its prior, per unit squared


def load_rows(folder: Path, authors: Sequence[str]) -> list[dict[str, Any]]:
    """The tier-labelled coding prompts of these authors (research prompts left out)."""
    rows = []
    for a in authors:
        for line in (folder / f"author_{a}.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if row.get("task") != "research":
                    rows.append(row)
    return rows


def design(section: dict[str, Any], prompts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per prompt: its logit without the tuned signals, their hit counts, and whether an override fixed it."""
    probe = copy.deepcopy(section)
    for s in probe["signals"]:
        if s["id"] in TUNED:
            s["weight"] = 1.0  # each tuned signal's contribution is then its (capped) hit count
    for adjust in probe["length"].get("by_signal", {}).values():
        adjust["weight"] = 1.0  # ... and the length's above the pivot, its term
    by_task = probe["length"].get("by_task", {})
    clf, issues = compile_classifier(probe)
    assert not issues, issues
    fixed = np.zeros(len(prompts))
    counts = np.zeros((len(prompts), len(TUNED)))
    overridden = np.zeros(len(prompts), dtype=bool)
    for i, p in enumerate(prompts):
        f = clf.classify(p)
        effects = dict(f.contributions)
        total = clf.logit(f)
        for j, sid in enumerate(TUNED):
            if sid == "length:software":
                term = clf.length_term(f.tokens, f.signals)
                software = "software" in f.signals or "code-names" in f.signals
                if term > 0 and software and f.task not in by_task:
                    counts[i, j] = effects.get("length", 0.0)
                continue
            counts[i, j] = effects.get(f"signal:{sid}", 0.0)
        fixed[i] = total - counts[i].sum()
        overridden[i] = any(w.startswith("rule:") for w, _ in f.contributions)
        if overridden[i]:
            fixed[i] = total  # an override rule set the difficulty outright
    return fixed, counts, overridden


def difficulty(fixed: np.ndarray, counts: np.ndarray, overridden: np.ndarray, w: np.ndarray) -> np.ndarray:
    logit = np.where(overridden, fixed, fixed + counts @ w)
    return 1.0 / (1.0 + np.exp(-logit))


def auc(high: np.ndarray, low: np.ndarray) -> float:
    if not len(high) or not len(low):
        return math.nan
    diff = high[:, None] - low[None, :]
    return float(((diff > 0) + 0.5 * (diff == 0)).mean())


def measure(d: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Agreement (4 tiers), the three AUCs (deep_reasoning with complex), prompts two or more tiers off."""
    tier = np.searchsorted(np.array(CUTS), d, side="right")
    top = np.minimum(labels, 2)
    s, m, c = d[top == 0], d[top == 1], d[top == 2]
    return {
        "agreement": float((tier == labels).mean()),
        "agreement_3": float((np.minimum(tier, 2) == top).mean()),
        "auc_s_m": auc(m, s),
        "auc_m_c": auc(c, m),
        "auc_s_c": auc(c, s),
        "two_off": int((np.abs(np.minimum(tier, 2) - top) >= 2).sum()),
    }


_EDGES = np.array([-np.inf, *(math.log(c / (1 - c)) for c in CUTS), np.inf])


def likelihood(logit: np.ndarray, labels: np.ndarray) -> float:
    """Mean log-likelihood of the labels when P(tier k) = F(upper_k - logit) - F(lower_k - logit)."""
    upper = 1.0 / (1.0 + np.exp(-SCALE * (_EDGES[labels + 1] - logit)))
    lower = 1.0 / (1.0 + np.exp(-SCALE * (_EDGES[labels] - logit)))
    return float(np.log(np.maximum(upper - lower, 1e-12)).mean())


def fit(
    fixed: np.ndarray,
    counts: np.ndarray,
    overridden: np.ndarray,
    labels: np.ndarray,
    w0: np.ndarray,
    held: dict[int, float] | None = None,
) -> np.ndarray:
    """Coordinate search on GRID, in passes until no weight moves; ties keep the weight nearest its prior."""
    w = w0.copy()
    for _ in range(20):
        moved = False
        for j in range(len(w)):
            if not counts[:, j].any() or j in (held or {}):
                continue
            best, best_score = w[j], None
            low, high = BOUNDS.get(TUNED[j], (GRID[0], GRID[-1]))
            for value in sorted((v for v in GRID if low <= v <= high), key=lambda v: abs(v - w0[j])):
                trial = w.copy()
                trial[j] = value
                logit = np.where(overridden, fixed, fixed + counts @ trial)
                score = likelihood(logit, labels) - PULL * float(((trial - w0) ** 2).sum())
                if best_score is None or score > best_score + 1e-12:
                    best, best_score = value, score
            if best != w[j]:
                w[j], moved = best, True
        if not moved:
            break
    return w


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument(
        "--authors", default="p,q,r,u,v", help="comma-separated author letters (files author_X.jsonl)"
    )
    ap.add_argument("--yaml", type=Path, default=YAML)
    ap.add_argument(
        "--fix", action="append", default=[], metavar="NAME=VALUE", help="hold a weight at a value"
    )
    ap.add_argument(
        "--write", action="store_true", help="put the weights fitted on all the authors in the YAML"
    )
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    section = yaml.safe_load(args.yaml.read_text())["classifier"]
    # The pull is towards "no effect" (0, and the global length weight for length:software), not towards the
    # YAML's current values, so that a rerun after --write fits the same weights.
    prior = np.array([float(section["length"]["weight"]) if t == "length:software" else 0.0 for t in TUNED])
    shipped = np.array([_weight(section, t) for t in TUNED])
    held = {TUNED.index(name): value for name, value in HELD.items()}
    for name, value in HELD.items():
        prior[TUNED.index(name)] = value
    for item in args.fix:
        name, _, value = item.partition("=")
        held[TUNED.index(name)] = float(value)
        prior[TUNED.index(name)] = float(value)
    authors = [a.strip() for a in args.authors.split(",") if a.strip()]
    sets = {}
    for a in authors:
        rows = load_rows(args.data, [a])
        labels = np.array([LEVELS.index(r["expected_tier"]) for r in rows])
        sets[a] = (*design(section, [r["prompt"] for r in rows]), labels)

    def stack(names: Sequence[str]) -> tuple[np.ndarray, ...]:
        return tuple(np.concatenate([sets[n][k] for n in names]) for k in range(4))

    report: dict[str, Any] = {
        "tuned": list(TUNED),
        "shipped": dict(zip(TUNED, shipped.tolist(), strict=True)),
    }
    report["shipped, each author"] = {
        a: measure(difficulty(*sets[a][:3], shipped), sets[a][3]) for a in authors
    }
    if len(authors) > 1:
        by_author: dict[str, Any] = {}
        for a in authors:
            train = stack([b for b in authors if b != a])
            w = fit(*train, w0=prior, held=held)
            by_author[a] = {
                "weights": dict(zip(TUNED, w.round(2).tolist(), strict=True)),
                "held out": measure(difficulty(*sets[a][:3], w), sets[a][3]),
                "shipped weights, same author": report["shipped, each author"][a],
            }
        report["leave one author out"] = by_author
    w_all = fit(*stack(authors), w0=prior, held=held)
    report["fitted on all"] = dict(zip(TUNED, w_all.round(2).tolist(), strict=True))
    report["fitted on all, in sample"] = {
        a: measure(difficulty(*sets[a][:3], w_all), sets[a][3]) for a in authors
    }
    if args.write:
        write_weights(args.yaml, dict(zip(TUNED, w_all.round(2).tolist(), strict=True)))
    if args.json:
        print(json.dumps(report, indent=1))
        return
    print(f"tuned signals: {', '.join(TUNED)}")
    for a, m in report["shipped, each author"].items():
        print(f"shipped weights on {a}: {_line(m)}")
    for a, h in report.get("leave one author out", {}).items():
        print(f"held out {a} (fitted on the others): {_line(h['held out'])}")
        print(f"    weights: {h['weights']}")
    print(f"fitted on all: {report['fitted on all']}")
    for a, m in report["fitted on all, in sample"].items():
        print(f"    in sample on {a}: {_line(m)}")


def write_weights(path: Path, weights: dict[str, float]) -> None:
    """Put the weights in the YAML file in place (each signal's `weight:` line; `length.by_signal.software`),
    keeping its comments and layout."""
    text = path.read_text(encoding="utf-8")
    for name, value in weights.items():
        value = 0.0 if value == 0 else value  # no "-0.0"
        if name == "length:software":
            text, n = re.subn(r"(\n      (?:software|code-names): \{weight: )[-\d.]+", rf"\g<1>{value}", text)
            n = min(n, 1)
        else:
            start = re.search(rf"\n    - id: {re.escape(name)}(?=[ \n])", text)
            assert start is not None, name
            end = text.index("\n    - id:", start.end())
            block, n = re.subn(r"(\n      weight: )[-\d.]+", rf"\g<1>{value}", text[start.start() : end])
            text = text[: start.start()] + block + text[end:]
        assert n == 1, f"{name}: no single weight to set"
    path.write_text(text, encoding="utf-8")


def _weight(section: dict[str, Any], name: str) -> float:
    """The YAML's current value of a tuned weight."""
    if name == "length:software":
        return float(section["length"].get("by_signal", {}).get("software", {}).get("weight", 1.0))
    return float(next(s.get("weight", 0.0) for s in section["signals"] if s["id"] == name))


def _line(m: dict[str, float]) -> str:
    return (
        f"agree {m['agreement']:.3f} (3 tiers {m['agreement_3']:.3f})  AUC s<m {m['auc_s_m']:.3f} "
        f"m<c {m['auc_m_c']:.3f} s<c {m['auc_s_c']:.3f}  two off {m['two_off']}"
    )


if __name__ == "__main__":
    main()
