"""Check that classify, evaluate and a decision's JSON give exactly what they gave before a change.

Every prompt of benchmarks/coding_data, benchmarks/probe_data, tests/data and a sample of ../shared/data, each
as written, upper-cased, space-led, 40 times repeated, and cut or repeated to 8k and 200k characters, is
classified and decided (built-in policy, fixed clock and live state) and also classified by a user policy
with signals of its own (words, phrases, lead, requires/unless, time-bounded regexes). Every feature is
written to the last bit (floats as hex), with both JSON forms of the decision (decisive and full trace).

Run once on the code before a change to write the snapshot, then after it to compare:

    PYTHONPATH=/work/main python benchmarks/check_same_decisions.py --write /tmp/decisions.jsonl.gz
    python benchmarks/check_same_decisions.py --against /tmp/decisions.jsonl.gz

A change to the built-in YAML changes the policy's revision, which every decision carries and its id hashes:
`--revision REV` decides as a policy of revision REV (the snapshot's: `llm-router policy show` on the code
before, or the `policy_revision` in its lines), so that everything else is compared to the bit.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# ../shared/data beside the main checkout (/work/main), or beside the worktrees' folder (/work/wt/NAME)
SHARED = next((p / "shared" / "data" for p in ROOT.parents if (p / "shared" / "data").is_dir()), ROOT)
NOW = 1_780_000_000.25
USER_POLICY = """\
classifier:
  signals:
    - id: user-words
      words: [kubernetes, banana, proof, python]
      phrases: ["step by step", "in rust", "```"]
      weight: 0.7
      max_count: 3
      task: analysis
    - id: user-lead
      lead: [please, explain, 'how do', write]
      requires: user-words
      weight: -0.4
      task: explain
    - id: user-regex
      match: '(?i)\\b(?:deploy|migrat\\w+|prove)\\b'
      weight: 0.3
      max_count: 2
      needs: [workspace]
    - id: user-list
      match: ['\\d+\\s*[+*/-]\\s*\\d+', 'TODO', '[A-Z]{3,}']
      unless: user-lead
      min_count: 2
      max_count: 4
      weight: 0.25
      task: math
  rules:
    - id: user-override
      match: '^(?:URGENT|urgent):'
      set: {complexity: complex, confidence: 9}
"""


def _jsonl(path: Path) -> Iterator[str]:
    for line in path.open(encoding="utf-8"):
        if line.strip():
            item = json.loads(line)
            if isinstance(item, dict) and isinstance(item.get("prompt"), str):
                yield item["prompt"]


def _shared(limit: int) -> list[str]:
    """Every n-th prompt of the shared CSV and JSONL data, about `limit` of them, in a fixed order."""
    found: list[str] = []
    if not SHARED.is_dir():
        return found
    csv.field_size_limit(10_000_000)
    for path in sorted(SHARED.rglob("*")):
        if path.suffix == ".csv":
            with path.open(encoding="utf-8", newline="") as f:
                found += [row["prompt"] for row in csv.DictReader(f) if row.get("prompt")]
        elif path.suffix == ".jsonl":
            found += list(_jsonl(path))
    step = max(1, len(found) // limit)
    return found[::step][:limit]


def prompts(shared: int) -> list[tuple[str, str]]:
    """(label, prompt) of every prompt checked, variants included."""
    base: list[tuple[str, str]] = []
    for pattern in ("benchmarks/coding_data/*.jsonl", "benchmarks/probe_data/*.jsonl", "tests/data/*.jsonl"):
        for path in sorted(ROOT.glob(pattern)):
            base += [(f"{path.name}:{i}", p) for i, p in enumerate(_jsonl(path))]
    base += [(f"shared:{i}", p) for i, p in enumerate(_shared(shared))]
    out: list[tuple[str, str]] = []
    for label, p in base:
        out.append((label, p))
        out.append((label + ":upper", p.upper()))
        out.append((label + ":spaced", "   " + p))
        out.append((label + ":x40", " ".join([p] * 40)))
        out.append((label + ":8k", (p + "\n") * (8000 // (len(p) + 1) + 1)))
    for label, p in base[::10]:  # the 200k-character variant costs a 200k string each: one in ten
        out.append((label + ":200k", ((p + " ") * (200_000 // (len(p) + 1) + 1))[:200_000]))
    for label, p in [("empty", ""), ("space", " "), ("nul", "\0"), ("emoji", "🙂 fix the bug 🙂")]:
        out.append((label, p))
    return out


def _features(f: object) -> list[object]:
    out: list[object] = []
    for value in f:  # type: ignore[attr-defined]
        if isinstance(value, float):
            out.append(value.hex())
        elif isinstance(value, tuple) and value and isinstance(value[0], tuple):
            out.append([[k, v.hex()] for k, v in value])
        else:
            out.append(value)
    return out


def lines(shared: int, revision: str | None = None) -> Iterator[str]:
    from llm_router import router
    from llm_router.decision import Request

    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "LLM_ROUTER_HOME": str(Path(tmp) / "home"),
            "OPENAI_API_KEY": "sk-test",
            "ANTHROPIC_API_KEY": "sk-test",
        }
        user = Path(tmp) / "user.yaml"
        user.write_text(USER_POLICY)
        base = router.Settings(env=env, cwd=Path(tmp))
        users = router.Settings(env=env, cwd=Path(tmp), config=user)
        fresh = router.load(base), router.load(users)  # compiled from the YAML (and cached on disk)
        router._compiled.clear()
        cp, ucp = router.load(base), router.load(users)  # read back from the compiled-policy cache
        assert cp is not fresh[0] and ucp is not fresh[1]
        if revision is not None:
            cp = cp._replace(revision=revision)
        state = router.live_state(cp, base, NOW)
        assert any(s.id == "user-list" for s in ucp.classifier.signals), "the user policy's signals"
        for label, prompt in prompts(shared):
            d = router.decide(Request(prompt=prompt), settings=base, policy=cp, now=NOW, state=state)
            features = _features(cp.classifier.classify(prompt))
            if fresh[0].classifier.classify(prompt) != cp.classifier.classify(prompt):
                raise SystemExit(f"{label}: the cached policy classifies otherwise than the compiled one")
            decided = [d.to_json(), d.to_json(full_trace=True)]
            # rule locations name the checkout's policies/ folder: a worktree compares with main's snapshot
            decided = [text.replace(str(ROOT), "<checkout>") for text in decided]
            yield json.dumps([label, features, *decided])
            if not label.endswith(("200k", "x40")):
                user_features = ucp.classifier.classify(prompt)
                if fresh[1].classifier.classify(prompt) != user_features:
                    raise SystemExit(
                        f"{label}: the cached user policy classifies otherwise than the compiled one"
                    )
                yield json.dumps([label + ":user", _features(user_features)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path, help="write the snapshot (gzipped JSON lines) here")
    group.add_argument("--against", type=Path, help="compare with this snapshot")
    parser.add_argument("--shared", type=int, default=3000, help="prompts sampled from ../shared/data")
    parser.add_argument("--revision", help="decide as a policy of this revision (the snapshot's)")
    args = parser.parse_args()
    digest = hashlib.sha256()
    if args.write:
        n = 0
        with gzip.open(args.write, "wt", encoding="utf-8") as out:
            for line in lines(args.shared, args.revision):
                out.write(line + "\n")
                digest.update(line.encode())
                n += 1
        print(f"wrote {n} lines, sha256 {digest.hexdigest()[:16]}")
        return 0
    with gzip.open(args.against, "rt", encoding="utf-8") as f:
        want = f.read().splitlines()
    got = list(lines(args.shared, args.revision))
    for line in got:
        digest.update(line.encode())
    diffs = [(w, g) for w, g in zip(want, got, strict=False) if w != g]
    prompts_checked = sum(1 for line in got if not json.loads(line)[0].endswith(":user"))
    print(f"{len(got)} lines ({prompts_checked} prompts), sha256 {digest.hexdigest()[:16]}")
    if len(want) != len(got):
        print(f"DIFFERENT: {len(want)} lines in the snapshot, {len(got)} now")
    for w, g in diffs[:5]:
        print("DIFFERENT:\n  was", w[:600], "\n  now", g[:600])
    if diffs or len(want) != len(got):
        print(f"{len(diffs)} lines differ")
        return 1
    print("identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
