"""Time loading the built-in compiled policy from a warm cache entry in fresh processes, for two source trees
in the same run (a baseline such as a checkout of main, and this one).

Each child is a fresh interpreter of a throwaway virtual environment (as `bench_hook.py --clean` makes) with
the modules a hook has imported by then already imported and the cyclic collector off (as the hook runs); it
times one `compiled_cache.read` of the entry its tree wrote, then the first `classify` of one prompt (what a
loader leaves for first use is paid there), and which modules the two imported. A second kind of child times
the parts every format shares, cold: reading the entry, unmarshalling the header (the whole entry, in a
format whose payload is marshal bytes inside it), then the state.
Rounds interleave the trees and the kinds, so machine load hits them alike; reported: medians and minima.
`--hook` also times the routed Claude prompt hook of each tree against `python -c pass` in the same rounds
(wall and CPU, each tree's HOME warmed first: its compiled-policy cache and its hook's module bundle).

Usage: python benchmarks/bench_cache_load.py --baseline /path/to/main/checkout [--runs N] [--hook]
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_hook import FIXTURES, _once, clean_python  # noqa: E402 - the benchmarks folder is not a package

from llm_router.store import open_db  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PROMPT = "Refactor the parser in src/parser.py so that it handles nested quotes, and add tests for it"
_SETUP = """
import gc, sys, time
gc.disable()
import marshal
from llm_router import fileio, paths, router
from llm_router.policy import compiled, compiled_cache, sources
from llm_router.classify import _classifier, _runtime
from llm_router import decision
s = router.Settings()
builtins = paths.policies_folder()
home = s.home_dir
key = compiled_cache.key_of(sources.roots(s.env, s.cwd_dir, s.config, home, builtins), builtins)
before = set(sys.modules)
"""
_LOAD = """
t0 = time.perf_counter()
found = compiled_cache.read(home, key)
t1 = time.perf_counter()
found[0].classifier.classify({prompt!r})
t2 = time.perf_counter()
print(t1 - t0, t2 - t1, *sorted(set(sys.modules) - before))
"""
_PARTS = """
path = compiled_cache.entry_path(home, key)
t0 = time.perf_counter()
raw = fileio.read_private(path, limit=fileio.CACHE_LIMIT, what="cache")
t1 = time.perf_counter()
entry = marshal.loads(raw)
t2 = time.perf_counter()
payload = memoryview(raw)[len(raw) - entry[4] :] if type(entry[4]) is int else entry[4]  # after the header
state = marshal.loads(payload)
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2, len(raw))
"""


def _env(tree: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL", "_API_BASE"))}
    env.update(PYTHONPATH=str(tree), HOME=str(home), LLM_ROUTER_HOME=str(home / ".llm-router"))
    env.update(OPENAI_API_KEY="x")  # a provider to route to: the hook decides and keeps its decision
    return env


def _run(python: str, tree: Path, home: Path, code: str) -> list[str]:
    env = _env(tree, home)
    out = subprocess.run([python, "-c", code], env=env, cwd=home, capture_output=True, text=True, check=True)
    return out.stdout.split()


def _hook(python: str, home: Path) -> list[str]:
    """The prompt hook as installed, run from its HOME (so that `-c`'s path entry is not a source tree)."""
    code = f"import os; os.chdir({str(home)!r}); from llm_router.hosts.hook import run; run()"
    return [python, "-c", code, "claude-code"]


def _ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1e3:6.2f} ms (min {min(samples) * 1e3:5.2f})"


def main() -> None:
    """Print per tree the load, the first classify, the shared parts and the modules the two imported."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", type=Path, required=True, help="a source tree to compare with")
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--hook", action="store_true", help="also time the routed prompt hook of each tree")
    args = parser.parse_args()
    trees = {"baseline": args.baseline.resolve(), "this": ROOT}
    with tempfile.TemporaryDirectory(prefix="bench-cache-load-") as tmp:
        python = clean_python(Path(tmp) / "venv")
        homes = {}
        for label, tree in trees.items():
            compileall.compile_dir(str(tree / "llm_router"), quiet=1)
            homes[label] = home = Path(tmp) / label
            (home / ".llm-router").mkdir(parents=True)
            open_db(home / ".llm-router" / "usage.db").close()  # a store as queries leave it (bench_hook)
            for _ in range(2):  # writes the entry, then settles its files' signatures
                _run(python, tree, home, "from llm_router import router; router.load()")
        load: dict[str, list[float]] = {label: [] for label in trees}
        first: dict[str, list[float]] = {label: [] for label in trees}
        parts: dict[str, list[list[float]]] = {label: [[], [], []] for label in trees}
        modules: dict[str, list[str]] = {}
        size: dict[str, int] = {}
        event = (FIXTURES / "claude-code" / "UserPromptSubmit.json").read_bytes()
        hooks = {"python -c pass": ([python, "-c", "pass"], b"", None)}
        if args.hook:
            hooks.update(
                {
                    label: (_hook(python, homes[label]), event, _env(trees[label], homes[label]))
                    for label in trees
                }
            )
            for _ in range(2):  # the cache and the hook's module bundle, then files old enough to be trusted
                for argv, stdin, env in hooks.values():
                    _once(argv, stdin, env)
                time.sleep(2.1)
        hook_wall: dict[str, list[float]] = {label: [] for label in hooks}
        hook_cpu: dict[str, list[float]] = {label: [] for label in hooks}
        for _ in range(args.runs):
            for label, (argv, stdin, env) in hooks.items() if args.hook else ():
                wall, cpu = _once(argv, stdin, env)
                hook_wall[label].append(wall)
                hook_cpu[label].append(cpu)
            for label, tree in trees.items():
                out = _run(python, tree, homes[label], _SETUP + _LOAD.format(prompt=PROMPT))
                load[label].append(float(out[0]))
                first[label].append(float(out[1]))
                modules[label] = out[2:]
                out = _run(python, tree, homes[label], _SETUP + _PARTS)
                for i in range(3):
                    parts[label][i].append(float(out[i]))
                size[label] = int(out[3])
    print(f"{args.runs} interleaved runs per tree, fresh processes, medians; load average {os.getloadavg()}")
    for label, tree in trees.items():
        print(f"\n{label}: {tree}  (entry {size[label] / 1024:.0f} KB)")
        print(f"  compiled_cache.read                 {_ms(load[label])}")
        print(f"  first classify                      {_ms(first[label])}")
        total = [a + b for a, b in zip(load[label], first[label], strict=True)]
        print(f"  read + first classify               {_ms(total)}")
        print(f"  parts: read the entry               {_ms(parts[label][0])}")
        print(f"         unmarshal the header         {_ms(parts[label][1])}")
        print(f"         unmarshal the state          {_ms(parts[label][2])}")
        print(f"  modules imported by both: {' '.join(modules[label]) or '-'}")
    if args.hook:
        print("\nthe routed prompt hook (Claude UserPromptSubmit), medians:")
        wall0, cpu0 = (
            statistics.median(hook_wall["python -c pass"]),
            statistics.median(hook_cpu["python -c pass"]),
        )
        for label in hooks:
            wall, cpu = statistics.median(hook_wall[label]), statistics.median(hook_cpu[label])
            ratios = f"wall {wall:6.2f} ms ({wall / wall0:.2f}x)   CPU {cpu:6.2f} ms ({cpu / cpu0:.2f}x)"
            print(f"  {label:15} {ratios}")


if __name__ == "__main__":
    main()
