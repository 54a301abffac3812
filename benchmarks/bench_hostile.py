"""How long the loader takes to refuse hostile policies (merge chains, alias fans, nesting, oversized and
special files), as a ratio to a cold load of the built-in policy measured in the same run.

Run: python benchmarks/bench_hostile.py [--repeat N]
Each case must end in a PolicyError (exit 3 in the CLI); the figure is the in-process wall time of loading
and compiling, as `llm-router route --config FILE` does.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from llm_router.errors import PolicyError
from llm_router.policy.compile import compile_policy
from llm_router.policy.load import load_policy


def merge_chain(n: int) -> str:
    lines = ["version: 1", "x0: &a0 {k0: 0}"]
    lines += [f"x{i}: &a{i}\n  <<: *a{i - 1}\n  k{i}: {i}" for i in range(1, n)]
    return "\n".join(lines) + "\n"


def nested_merges(n: int) -> str:
    return "version: 1\nx: " + "{<<: " * n + "{a: 1}" + "}" * n + "\n"


def fan(width: int, copies: int) -> str:
    base = "{" + ", ".join(f"k{i}: {i}" for i in range(width)) + "}"
    return "version: 1\nbase: &b " + base + "\n" + "".join(f"c{i}: {{<<: *b}}\n" for i in range(copies))


def laughs() -> str:
    lines = ["version: 1", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    return "\n".join(lines) + "\n"


def flat(size: int) -> str:
    return "version: 1\nx:\n" + "- a\n" * (size // 4)


def lexicon(path: str) -> str:
    return f"version: 1\nclassifier:\n  lexicon: {{file: {path}}}\n"


CASES: dict[str, Callable[[], str]] = {
    "merge chain, 990 deep (35 KB)": lambda: merge_chain(990),
    "merge chain, 4000 deep (150 KB)": lambda: merge_chain(4000),
    "nested inline merges, 990 deep": lambda: nested_merges(990),
    "fan: 200 keys merged 2000 times": lambda: fan(200, 2000),
    "billion laughs (479 bytes)": laughs,
    "flat list, 1 MB": lambda: flat(1_000_000),
    "8 MB file": lambda: flat(8_000_000),
    "lexicon: /dev/zero": lambda: lexicon("/dev/zero"),
}


def _time(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    """Print the median time of each hostile case and its ratio to a cold built-in load."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    home, cwd = root / "home", root / "work"
    cwd.mkdir()
    try:

        def builtin() -> None:
            shutil.rmtree(home / "cache", ignore_errors=True)
            compile_policy(load_policy(env={}, cwd=cwd, config=None, home=home))

        builtin()  # imports
        base = _time(builtin, args.repeat)
        print(f"{'cold load of the built-in policy':40} {base * 1e3:9.1f} ms   1.0x")
        for name, make in CASES.items():
            config = cwd / "hostile.yaml"
            config.write_text(make())

            def refuse(config: Path = config) -> None:
                try:
                    compile_policy(load_policy(env={}, cwd=cwd, config=config, home=home))
                except PolicyError:
                    return
                raise SystemExit(f"{config}: loaded, expected a PolicyError")

            took = _time(refuse, args.repeat)
            print(f"{name:40} {took * 1e3:9.1f} ms {took / base:6.1f}x")
            os.unlink(config)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
