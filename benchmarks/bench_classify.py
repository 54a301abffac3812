"""Time `Classifier.classify` (median and p99) for short, 8k-character and 200k-character prompts.

Usage: python benchmarks/bench_classify.py [--repeat N] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import yaml

from llm_router.classify import compile_classifier

ROOT = Path(__file__).resolve().parents[1]

SHORT = [
    "what is 2+2?",
    "hi",
    "Write a haiku about autumn leaves",
    "Fix this TypeError: undefined is not a function in my React component",
    "design a distributed tracing strategy for 40 services",
    "Explain the difference between a process and a thread",
    "Refactor this function to use async/await",
    "Prove that there are infinitely many primes",
]
_PARAGRAPH = (
    "The scheduler retries failed jobs with a fixed delay; we want exponential backoff with jitter, "
    "a cap of 5 minutes, and metrics for each retry. It must keep ordering per tenant.\n"
    "```python\ndef retry(job, attempt):\n    delay = min(300, 2 ** attempt)\n    return delay\n```\n"
)


def _sized(chars: int) -> str:
    return (_PARAGRAPH * (chars // len(_PARAGRAPH) + 1))[:chars]


def measure(classify: object, prompts: list[str], repeat: int) -> dict[str, float]:
    """Median and p99 of one classify call, in microseconds."""
    fn = classify  # a bound method; called in the loop below
    samples = []
    for _ in range(repeat):
        for p in prompts:
            start = time.perf_counter_ns()
            fn(p)  # type: ignore[operator]
            samples.append((time.perf_counter_ns() - start) / 1000)
    samples.sort()
    return {
        "median_us": round(statistics.median(samples), 2),
        "p99_us": round(samples[int(len(samples) * 0.99) - 1], 2),
        "calls": len(samples),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    section = yaml.safe_load((ROOT / "policies" / "classifier.yaml").read_text())["classifier"]
    start = time.perf_counter()
    clf, issues = compile_classifier(section, trusted=lambda _pointer: True)  # the built-in file
    compile_ms = (time.perf_counter() - start) * 1000
    assert not issues, issues
    results: dict[str, Any] = {
        "compile_ms": round(compile_ms, 2),
        "short": measure(clf.classify, SHORT, args.repeat),
        "8k_chars": measure(clf.classify, [_sized(8000)], max(200, args.repeat // 4)),
        "200k_chars": measure(clf.classify, [_sized(200_000)], max(200, args.repeat // 4)),
    }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"compile: {results['compile_ms']} ms")
    for name in ("short", "8k_chars", "200k_chars"):
        r = results[name]
        print(f"{name:>10}: median {r['median_us']:8.2f} µs   p99 {r['p99_us']:8.2f} µs")


if __name__ == "__main__":
    main()
