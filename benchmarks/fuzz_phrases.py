"""Fuzz the classifier's counting of words and phrases (the generated function) against what it counts by
definition: a signal's word once when it is a word of the lowercased window, a phrase opening with a word
when that word is a word of the window and `phrase in lowered`, any other phrase when `phrase in lowered`,
the words found by the word pattern as it was before its quantifiers were made possessive.

The built-in classifier's words and phrases are compiled into a classifier whose every signal counts without a
cap (weight 1, no regex, no lead, no requires or unless), so that each signal's count is its contribution,
and one more signal of phrases found only where a split opening follows itself ("the the end").
Random texts are made of the phrases themselves, pieces of them, their words, the openings the classifier
splits at ("the ", a new line) repeated and at the ends, punctuation and whitespace, upper-cased at random.
Prints one line and exits 1 on any difference (printing the text).

    python benchmarks/fuzz_phrases.py              # 200,000 texts
    python benchmarks/fuzz_phrases.py --texts 20000 --seed 7
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from llm_router.classify import Classifier, compile_classifier  # noqa: E402
from llm_router.classify._classifier import SPLIT_AT  # noqa: E402
from llm_router.classify._records import Signal  # noqa: E402

OLD_WORD = re.compile(r"[a-z][a-z0-9_+#-]*(?:'(?!s\b)[a-z0-9_+#-]+)*")  # the word pattern before `*+`
# Phrases that only a split opening followed by itself holds ("the the", a blank line): none built in does.
EXTRA = ("the t", "the the end", "in in", "\n\n", "\n\n- ", "\n\n\n")
SEPARATORS = ["", " ", " ", " ", "  ", "\n", "\n\n", "\t", ".", ",", "'", "-", "(", ")", "?", ":", "#", "é"]


def uncapped(clf: Classifier) -> Classifier:
    """A classifier of `clf`'s words and phrases whose signal n adds its count as `signal:sN`."""
    signals = tuple(
        s._replace(
            id=f"s{n}",
            finditer=None,
            weight=1.0,
            task=None,
            max_count=10**9,
            min_count=1,
            lead=(),
            requires=(),
            unless=(),
        )
        for n, s in enumerate(clf.signals)
    )
    extra = Signal(id=f"s{len(signals)}", phrases=EXTRA, weight=1.0, max_count=10**9)
    return Classifier(signals=(*signals, extra), length_weight=0.0)


def expected(clf: Classifier, text: str) -> dict[str, int]:
    """Each signal's count by definition (signals that count nothing left out)."""
    lowered = clf.window(text).lower()
    words = set(OLD_WORD.findall(lowered))
    out: dict[str, int] = {}
    for s in clf.signals:
        count = len(s.words & words)
        for phrase in s.phrases:
            first = OLD_WORD.match(phrase)
            if (first is None or first.group() in words) and phrase in lowered:
                count += 1
        if count:
            out[s.id] = count
    return out


def counted(clf: Classifier, text: str) -> dict[str, int]:
    """Each signal's count as the generated function found it."""
    out: dict[str, int] = {}
    for name, effect in clf.classify(text).contributions:
        if name.startswith("signal:"):
            out[name[7:]] = int(effect)
    return out


def pieces(clf: Classifier) -> list[str]:
    """What the texts are made of: phrases, their words and their cut-off beginnings and ends, the split
    openings alone and doubled."""
    phrases = sorted({p for s in clf.signals for p in s.phrases})
    words = sorted({w for s in clf.signals for w in s.words} | {w for p in phrases for w in p.split()})
    keys = sorted({p[: p.index(" ") + 1] for p in phrases if " " in p[1:]}) + ["\n", "\n\n"]
    return phrases + words + keys + [k + k for k in keys]


def texts(n: int, seed: int, parts: list[str]) -> list[str]:
    """n random texts of 0 to 16 pieces joined by random separators, some pieces cut or upper-cased."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        chunks = []
        for _ in range(rng.randint(0, 16)):
            piece = rng.choice(parts)
            roll = rng.random()
            if roll < 0.15:
                piece = piece[: rng.randint(0, len(piece))]
            elif roll < 0.3:
                piece = piece[rng.randint(0, len(piece)) :]
            elif roll < 0.35:
                piece = piece.upper()
            chunks.append(piece + rng.choice(SEPARATORS))
        out.append("".join(chunks))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    section = yaml.safe_load((ROOT / "policies" / "classifier.yaml").read_text(encoding="utf-8"))[
        "classifier"
    ]
    builtin, issues = compile_classifier(section, trusted=lambda _pointer: True)
    if issues:
        print(issues)
        return 1
    clf = uncapped(builtin)
    split = len(clf._keyed) + sum(
        len({p[1] for _, p in pairs if p != char}) >= SPLIT_AT for char, pairs in clf._loose_by_char
    )
    hits = 0
    for text in texts(args.texts, args.seed, pieces(clf)):
        want = expected(clf, text)
        hits += sum(want.values())
        got = counted(clf, text)
        if got != want:
            print(f"different on {text!r}:\n  by definition {want}\n  counted       {got}")
            return 1
        if OLD_WORD.findall(text.lower()) != clf._words(text.lower()):
            print(f"the words differ on {text!r}")
            return 1
    print(f"{args.texts:,} texts, {hits:,} words and phrases counted, {split} openings split at: same")
    return 0


if __name__ == "__main__":
    sys.exit(main())
