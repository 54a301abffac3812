"""Wall time of loading the built-in policy: cold (parse, validate, merge, write the cache) and warm (a hit).

Run: python benchmarks/bench_load.py [--repeat N]
Figures in-process (imports already done) and in a fresh process, as a hook would start.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from llm_router.policy.load import load_policy

_CHILD = """
import sys, time
from pathlib import Path
t0 = time.perf_counter()
from llm_router.policy.load import load_policy
load_policy(env={{}}, cwd=Path({cwd!r}), config=None, home=Path({home!r}))
print(time.perf_counter() - t0, 'yaml' in sys.modules, 'jsonschema' in sys.modules)
"""


def _ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1e3:7.2f} ms   min {min(samples) * 1e3:7.2f} ms"


def _child(cwd: Path, home: Path) -> tuple[float, str]:
    code = _CHILD.format(cwd=str(cwd), home=str(home))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    out = run.stdout.split()
    return float(out[0]), f"yaml imported: {out[1]}, jsonschema imported: {out[2]}"


def main() -> None:
    """Print cold and warm load times."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-load-"))
    home, cwd = root / "home", root / "work"
    cwd.mkdir()
    try:
        first = time.perf_counter()
        loaded = load_policy(env={}, cwd=cwd, config=None, home=home)
        first = time.perf_counter() - first
        print(f"policy: {', '.join(s.name for s in loaded.sources)}")
        print(f"        {len(loaded.origins)} values, revision {loaded.revision}")
        print(f"in-process, first load (imports yaml + jsonschema): {first * 1e3:7.2f} ms")
        cold, warm = [], []
        for _ in range(args.repeat):
            shutil.rmtree(home / "cache", ignore_errors=True)
            t = time.perf_counter()
            load_policy(env={}, cwd=cwd, config=None, home=home)
            cold.append(time.perf_counter() - t)
            t = time.perf_counter()
            load_policy(env={}, cwd=cwd, config=None, home=home)
            warm.append(time.perf_counter() - t)
        print(f"in-process, cold (no cache):  {_ms(cold)}")
        print(f"in-process, warm (cache hit): {_ms(warm)}")
        shutil.rmtree(home / "cache", ignore_errors=True)
        cold_child, _ = _child(cwd, home)
        warm_children = [_child(cwd, home) for _ in range(max(3, args.repeat // 4))]
        print(f"fresh process, cold (import + load):  {cold_child * 1e3:7.2f} ms")
        print(
            f"fresh process, warm (import + hit):   {_ms([t for t, _ in warm_children])}   "
            f"({warm_children[0][1]})"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
