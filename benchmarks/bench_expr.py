"""How fast compiled `when:` expressions evaluate: evaluations per second and µs per evaluate, per rule.

Run: python benchmarks/bench_expr.py [--seconds 0.5]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from llm_router.decision import BudgetState
from llm_router.policy.expr import compile_expr

NAMES = frozenset(
    {"prompt", "tokens", "task", "complexity", "difficulty", "confidence", "signals", "threshold", "tier"}
    | {"host", "event", "session", "profile", "policy", "enforce", "mode", "claude_prefix", "budget"}
    | {"max_budget_pct", "health", "configured", "now", "hour", "weekday"}
)

RULES = {
    "constant": "true",
    "compare": "complexity == 'simple' and confidence >= threshold",
    "prefix": "prompt.lower().startswith(claude_prefix)",
    "budget": "budget['openai-month'].used_pct >= 80",
    "membership": "'has-code' in signals and task in ('debug', 'refactor')",
    "regex": "matches(prompt, r'\\b(design|architect)\\b')",
    "arithmetic": "tokens * 2 > 1000 or difficulty ** 2 > 0.5",
    "time": "hour >= 9 and hour < 18 and weekday < 5",
}

NS: dict[str, Any] = {
    "prompt": "what does this error mean: KeyError 'x' in main.py line 12",
    "tokens": 14,
    "task": "explain",
    "complexity": "simple",
    "difficulty": 0.18,
    "confidence": 7.0,
    "signals": frozenset({"has-code", "question"}),
    "threshold": 4,
    "host": "claude-code",
    "claude_prefix": "claude:",
    "budget": {"openai-month": BudgetState("openai-month", "month", 20.0, 17.0, "openai")},
    "hour": 14,
    "weekday": 2,
}


def bench(source: str, seconds: float) -> tuple[float, float]:
    """(evaluations per second, µs per evaluate) for one expression, best of three runs."""
    evaluate = compile_expr(source, NAMES).evaluate
    ns = NS
    best = float("inf")
    for _ in range(3):
        n, start = 0, time.perf_counter()
        deadline = start + seconds / 3
        while True:
            for _ in range(1000):
                evaluate(ns)
            n += 1000
            now = time.perf_counter()
            if now >= deadline:
                break
        best = min(best, (now - start) / n)
    return 1 / best, best * 1e6


def bench_compile(source: str, rounds: int = 2000) -> float:
    """µs per compile_expr of one expression."""
    start = time.perf_counter()
    for _ in range(rounds):
        compile_expr(source, NAMES)
    return (time.perf_counter() - start) / rounds * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=0.6, help="time spent per rule")
    args = parser.parse_args()
    print(f"{'rule':<12} {'evals/s':>12} {'µs/eval':>9} {'µs/compile':>11}  expression")
    for name, source in RULES.items():
        per_second, micros = bench(source, args.seconds)
        print(f"{name:<12} {per_second:>12,.0f} {micros:>9.3f} {bench_compile(source):>11.1f}  {source}")


if __name__ == "__main__":
    main()
