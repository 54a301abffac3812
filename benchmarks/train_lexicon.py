"""Fit a word lexicon for the kind of work a prompt asks for, on the self-written development probes.

The hand-written classifier tells kinds of work apart by rules; on prompts written blind to it, phrasing the
rules never saw is where it loses most. This script fits a small ridge regression from words to the assumed
strong-vs-weak gap of each prompt's category (`probe_categories.GAPS`), on the development sets only:
the prompts in `probe_categories.py` and `probe_data/heldout_{a,c,d}.jsonl`. Set B is never read here.

The weight of the lexicon on the difficulty logit is chosen by leave-one-set-out validation (fit on three
sets, score the fourth, on top of the rule-based logit), so the chosen weight is not tuned on what it is
scored on. `--write FILE` saves the lexicon fitted on all four sets in the format `classifier.lexicon`
reads (`{"words": {...}, "scale": 1}`).

Usage: python benchmarks/train_lexicon.py [--alpha A] [--min-df N] [--write policies/lexicon.json]
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import yaml
from probe_categories import GAPS, MIXES, PROBES, ROOT, mix_figures, read_prompts

from llm_router.classify import compile_classifier
from llm_router.classify._classifier import WORD_PATTERN, Classifier
from llm_router.classify._records import Lexicon

DATA = ROOT / "benchmarks" / "probe_data"
WORDS = re.compile(WORD_PATTERN)
MAX_WORDS = 400  # the lexicon scores the first 400 words of a prompt


def sets() -> dict[str, list[tuple[str, str]]]:
    """Development sets as (category, prompt) pairs; set B is held out and not loaded."""
    out = {"probe": [(c, p) for c, ps in PROBES.items() for p in ps]}
    for name in ("a", "c", "d"):
        out[name] = [(c, p) for c, ps in read_prompts(DATA / f"heldout_{name}.jsonl").items() for p in ps]
    return out


def tokens(clf: Classifier, prompt: str) -> list[str]:
    """The words the classifier's lexicon would score: its scan window, lowercased, the first MAX_WORDS."""
    return WORDS.findall(clf.window(prompt).lower())[:MAX_WORDS]


def fit(clf: Classifier, rows: list[tuple[str, str]], alpha: float, min_df: int) -> dict[str, float]:
    """Ridge regression of the centred category gap on word counts; returns word -> weight."""
    df = Counter(w for _, p in rows for w in set(tokens(clf, p)))
    vocab = sorted(w for w, n in df.items() if n >= min_df)
    index = {w: i for i, w in enumerate(vocab)}
    x = np.zeros((len(rows), len(vocab)))
    for r, (_, p) in enumerate(rows):
        for w in tokens(clf, p):
            if w in index:
                x[r, index[w]] += 1.0
    y = np.array([GAPS[c] for c, _ in rows])
    y = y - y.mean()
    coef = np.linalg.solve(x.T @ x + alpha * np.eye(len(vocab)), x.T @ y)
    return {w: round(float(c), 4) for w, c in zip(vocab, coef, strict=True) if abs(c) >= 1e-4}


def chat_apgr(
    clf: Classifier,
    rows: list[tuple[str, str]],
    base: dict[str, float],
    words: dict[str, float],
    scale: float,
) -> float:
    """Chat-mix APGR of the rule logit plus the lexicon's score (as `classifier.lexicon` would add it)."""
    lexicon = Lexicon(words=words, bigrams={}, scale=scale, max_words=MAX_WORDS)
    scored = [(c, base[p] + lexicon.score(tokens(clf, p))) for c, p in rows if c in MIXES["chat"]]
    return float(mix_figures(scored)["apgr"] or 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alpha", type=float, default=3.0)
    parser.add_argument("--min-df", type=int, default=2)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    section = yaml.safe_load((ROOT / "policies" / "classifier.yaml").read_text())["classifier"]
    section = section | {"lexicon": {"weight": 0}}
    clf, issues = compile_classifier(section, trusted=lambda _pointer: True)  # the built-in file
    assert not issues, issues
    data = sets()
    base = {p: clf.logit(clf.classify(p)) for rows in data.values() for _, p in rows}
    scales = (0.0, 2.0, 4.0, 8.0, 12.0, 16.0, 24.0)
    table: dict[float, list[float]] = {s: [] for s in scales}
    for held in data:
        train = [r for name, rows in data.items() if name != held for r in rows]
        words = fit(clf, train, args.alpha, args.min_df)
        for s in scales:
            table[s].append(chat_apgr(clf, data[held], base, words, s))
    print("chat APGR of the held-out set (probe, a, c, d) by lexicon scale:")
    for s, got in table.items():
        print(f"  scale {s:>4}: " + "  ".join(f"{g:.3f}" for g in got) + f"   mean {np.mean(got):.3f}")
    best = max(scales, key=lambda s: float(np.mean(table[s])))
    print(f"best scale by leave-one-set-out: {best}")
    if args.write:
        words = fit(clf, [r for rows in data.values() for r in rows], args.alpha, args.min_df)
        args.write.write_text(
            json.dumps({"scale": 1.0, "max_words": MAX_WORDS, "words": words}, indent=0, sort_keys=True)
            + "\n"
        )
        print(f"wrote {len(words)} words to {args.write}")


if __name__ == "__main__":
    main()
