"""How long `llm-router route` takes on policies that try to run away (catastrophic regexes in rules and in
the classifier, string growth on a 1 MB prompt), against the built-in policy on the same prompt, in one run.

Each case is a fresh process (`route --batch` on one prompt), as a hook or a CLI call would be. Reports the
median wall time and what the runaway policy adds to the plain one; the bounds promise at most about 0.1 s
per catastrophic rule, 0.5 s per decision for rules, 0.25 s for users' classifier patterns.

Usage: python benchmarks/bench_runaway.py [--runs N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NEAR_MISS = "a" * 78 + "!"  # on `re`, (a|aa)+$ backtracks for hours on this
BIG = "word " * 200_000  # 1 MB
RULE = '  - id: {id}\n    when: "{when}"\n    then: {{route: simple}}\n'
CASES = {
    "built-in policy": ("", NEAR_MISS),
    "one catastrophic rule": (
        "rules:\n" + RULE.format(id="r", when="matches(prompt, '(a|aa)+$')"),
        NEAR_MISS,
    ),
    "ten catastrophic rules": (
        "rules:\n" + "".join(RULE.format(id=f"r{i}", when="matches(prompt, '(a|aa)+$')") for i in range(10)),
        NEAR_MISS,
    ),
    "catastrophic classifier pattern": (
        "classifier:\n  signals:\n    - {id: spin, match: '(a|aa)+$', weight: 1}\n",
        NEAR_MISS,
    ),
    "built-in policy, 1 MB prompt": ("", BIG),
    "string growth, 1 MB prompt": (
        "rules:\n" + RULE.format(id="grow", when="len(" + " + ".join(["prompt"] * 60) + ") > 0"),
        BIG,
    ),
}


def once(folder: Path, policy: str, prompt: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one `route --batch` process."""
    config = folder / "policy.yaml"
    config.write_text("version: 1\n" + policy)
    batch = folder / "batch.jsonl"
    batch.write_text(json.dumps({"prompt": prompt}) + "\n")
    argv = [sys.executable, "-c", "from llm_router.cli import main; main()", "route", "--batch", str(batch)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([*argv, "--config", str(config)], capture_output=True, cwd=folder, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr.decode())
    return elapsed, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ.update(HOME=tmp, LLM_ROUTER_HOME=str(folder / ".llm-router"))
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in CASES}
        for policy, prompt in CASES.values():
            once(folder, policy, prompt)  # warm the policy cache
        for _ in range(args.runs):  # rounds interleave the cases, so machine load hits them alike
            for name, (policy, prompt) in CASES.items():
                times[name].append(once(folder, policy, prompt))
    wall = {name: statistics.median(w for w, _ in values) for name, values in times.items()}
    cpu = {name: statistics.median(c for _, c in values) for name, values in times.items()}
    if args.json:
        print(json.dumps({"median_wall_s": wall, "median_cpu_s": cpu, "runs": args.runs}, indent=2))
        return
    print(f"{'case':<34} {'wall':>7} {'cpu':>7}   cpu added to the built-in policy's")
    for name in CASES:
        base = "built-in policy, 1 MB prompt" if "1 MB" in name else "built-in policy"
        print(f"{name:<34} {wall[name]:6.2f}s {cpu[name]:6.2f}s   {cpu[name] - cpu[base]:+6.2f}s")


if __name__ == "__main__":
    main()
