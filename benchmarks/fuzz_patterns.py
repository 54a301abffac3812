"""Fuzz the built-in classifier's patterns rewritten for speed against the ones they replace, and every
literal-led rest the compiler searches first (`classify._analysis.literal_rest`) against its own pattern.

For each rewritten signal, random texts made of the pattern's own characters and words (`/ . - _`, digits,
letters, spaces, quotes, its extensions and keywords) are searched with the old pattern and with the signal's
`match` as the YAML has it now, comparing what the signal uses: whether any matches (`any`) or the number
of `finditer` matches (`count`). For every built-in pattern with a rest, a text the pattern matches must hold
a match of the rest. Prints one line per check and exits 1 on any difference (printing the text).

    python benchmarks/fuzz_patterns.py              # 200,000 texts per check
    python benchmarks/fuzz_patterns.py --texts 20000 --seed 7
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

from llm_router.classify._analysis import literal_rest  # noqa: E402

SOFTWARE_0 = (
    r""" /(?=[a-z][\w-]*/[a-z])|\.(?:py|go|rs|js|mjs|ts|tsx|jsx|java|rb|php|cs|cpp|hpp|kt|swift|sql|sh"""
    r"""|ya?ml|toml|json|tf|tfvars|proto|gradle|ipynb|lock|cfg|ini|conf|vue|exs?|scala|lua|mod)\b"""
    r"""| --[a-z][a-z-]"""
    r"""|_[A-Z]{2}(?<=[A-Z]{2}_[A-Z]{2})|\(\)(?<=\w\(\))|::(?=\w)(?<=\w::)|<(?=[A-Z])(?<=[a-z]<)"""
    r"""|0x(?=[0-9a-fA-F]{2})|Service(?<=[a-z]Service)\b|Controller(?<=[a-z]Controller)\b"""
    r"""|Repository(?<=[a-z]Repository)\b|Manager(?<=[a-z]Manager)\b|Handler(?<=[a-z]Handler)\b"""
    r"""|Factory(?<=[a-z]Factory)\b|Provider(?<=[a-z]Provider)\b|Client(?<=[a-z]Client)\b"""
    r"""|Exception(?<=[a-z]Exception)\b|Dto(?<=[a-z]Dto)\b|Entity(?<=[a-z]Entity)\b"""
    r"""|Builder(?<=[a-z]Builder)\b|Adapter(?<=[a-z]Adapter)\b|Listener(?<=[a-z]Listener)\b"""
    r"""|ViewModel(?<=[a-z]ViewModel)\b|Activity(?<=[a-z]Activity)\b|Fragment(?<=[a-z]Fragment)\b"""
    r"""|Impl(?<=[a-z]Impl)\b|Config(?<=[a-z]Config)\b"""
)

# The patterns as they were before they were rewritten for speed, by signal id, with what the signal uses
# of them (`any`: max_count 1, whether one matches; `count`: how many `finditer` gives): the old `match` as
# one pattern, or {n: the old pattern n} for a list where only those changed.
OLD = {
    "needs-path": (
        "any",
        r"""(?<![/\w.-])(?:\.github|[a-z_][\w.-]++)/(?:[\w.-]++/)*+(?:[\w.-]+\.(?:py|go|rs|js|ts|tsx|jsx|"""
        r"""java|rb|php|cs|cpp|kt|swift|sql|sh|ya?ml|toml|json|tf|proto|lock|cfg|ini|html|css|vue|md|txt)\b"""
        r"""|(?=[\s,.;:)'"`]|$))|\bin (?:\.github|[a-z_][\w.-]++)/[\w.-]+|(?<![/\w.-])[\w-]++\.(?:py|go|"""
        r"""rs|ts|tsx|jsx|java|rb|php|cpp|kt|swift|sql|sh|ya?ml|toml|json|tf|proto|lock|cfg|ini|vue|md|txt|"""
        r"""mod)\b""",
    ),
    "needs-files": (
        "any",
        r"""(?:r(?=epo)|c(?=odebase)|p(?=roject)|b(?=ranch))(?:(?<=[Tt]his .)|(?<=[Tt]he .)|(?<=[Oo]ur .)"""
        r"""|(?<=[Mm]y .)|(?<=[Ii]n .))(?:epo(?:sitory)?|odebase|roject|ranch)\b|(?:tests?|docstrings?"""
        r"""|type hints) for (?:the |our |my )?[a-z]+_[a-z_]+""",
    ),
    # the first of its two patterns (the second is as it was)
    "software": ("any", {0: SOFTWARE_0}),
}

# Runs of words the patterns look for together (a random run of pieces seldom makes one).
PHRASES = [
    "tests for the a_bc",
    "test for my x_y",
    "docstrings for our the_file",
    "type hints for foo_bar_",
    "this repository",
    "The codebase",
    "in the project",
    "our branch",
    "my repo.",
    "in src/x.py",
    "in .github/workflows",
    " --dry-run",
    " /etc/x",
    " /a/b",
    "Write a function",
]

# Pieces texts are made of: single characters the patterns test, and the words they name.
CHARS = list("/.-_ \t\n'\"`,;:()[]{}<>$%^=+*#@!?~|\\") + list("0123456789") + list("aAbBxXyYzZ_é²")
_WORDS = (
    "py go rs js ts tsx jsx java rb php cs cpp kt swift sql sh yml yaml toml json tf proto lock cfg ini html "
    "css vue md txt mod .github github src in In bin lib a_b my-app v1 v2 2.3 -> => → to from k files "
    "services dags tables repo repository codebase project branch this the our my tests for test test_x "
    "am pm km kg % percent hours minutes how How many much long far fast old ow h i n e r Service Client "
    "fooBar getX i18n the_file x.py ./ ../ // http:// https://"
)
WORDS = _WORDS.split() + [
    "in src/",
    "in .github/",
    "in a_b/",
    "Write a ",
    "write the ",
    "function",
    "script",
    " 2026",
    " 2031",
]


def texts(n: int, seed: int) -> list[str]:
    """n random texts of 0 to 24 pieces (a piece a character or a word, words spaced at random)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(0, 24)):
            roll = rng.random()
            if roll < 0.5:
                parts.append(rng.choice(CHARS))
            elif roll < 0.6:
                parts.append(rng.choice(PHRASES))
            else:
                parts.append(rng.choice(WORDS) + rng.choice(("", "", " ", "/", ".", "-")))
        out.append("".join(parts))
    return out


def signals() -> dict[str, list[str]]:
    """The built-in signals' patterns as the YAML has them, by id."""
    doc = yaml.safe_load((ROOT / "policies" / "classifier.yaml").read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {}
    for item in doc["classifier"]["signals"]:
        match = item.get("match")
        if match is not None:
            out[item["id"]] = [match] if isinstance(match, str) else list(match)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    sample = texts(args.texts, args.seed)
    now = signals()
    bad = 0
    for sid, (mode, old_source) in OLD.items():
        new = [re.compile(p) for p in now[sid]]
        if isinstance(old_source, dict):
            olds = [re.compile(old_source.get(n, p)) for n, p in enumerate(now[sid])]
        else:
            olds = [re.compile(old_source)]
        hits = 0
        for text in sample:
            if mode == "any":
                a: object = any(p.search(text) is not None for p in olds)
                b: object = any(p.search(text) is not None for p in new)
            else:
                a = sum(1 for p in olds for _ in p.finditer(text))
                b = sum(1 for p in new for _ in p.finditer(text))
            hits += bool(a)
            if a != b:
                print(f"{sid}: old {a} new {b} on {text!r}")
                bad += 1
                break
        print(f"{sid} ({mode}): {len(sample):,} texts, {hits:,} matched, {'same' if a == b else 'DIFFERENT'}")
    for sid, patterns in now.items():
        for source in patterns:
            compiled = re.compile(source)
            rest = literal_rest(compiled)
            if rest is None:
                continue
            hits = 0
            for text in sample:
                if compiled.search(text) is not None:
                    hits += 1
                    if rest.search(text) is None:
                        print(f"{sid}: the rest {rest.pattern!r} misses a match of {source!r} in {text!r}")
                        bad += 1
                        break
            print(
                f"{sid}: rest {rest.pattern[:40]!r}... found wherever the pattern matches ({hits:,} matched)"
            )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
