"""Decision speed: in-process decisions/s (built-in policy and a generated 200-rule policy), `route --batch`
cost per decision beyond process start, and the wall time of loading a policy.

Run: python benchmarks/bench_decide.py        (takes about a minute; prints a table)
     python benchmarks/bench_decide.py --prompts benchmarks/coding_data/author_p.jsonl   (longer prompts)
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from llm_router import router
from llm_router.decision import Request

ROOT = Path(__file__).resolve().parent.parent


def generated_policy(n: int) -> str:
    """A policy of n rules that mostly do not match, then the built-in ones."""
    rules = []
    for i in range(n):
        rules.append(
            f"  - id: gen-{i}\n"
            f"    when: \"task == 'math' and tokens > {1000 + i} and difficulty > 0.{i % 9 + 1}\"\n"
            f"    then: {{route: complex}}\n"
        )
    return "rules:\n" + "".join(rules)


def per_decision_us(settings: router.Settings, prompts: list[str], rounds: int = 50) -> float:
    """A decision and its JSON in process, as `route --batch` makes them (one Decider for every prompt)."""
    cp = router.load(settings)
    now = time.time()
    decide = router.Decider(cp, settings, now, router.live_state(cp, settings, now))
    requests = [Request(prompt=prompt) for prompt in prompts]
    start = time.perf_counter()
    for _ in range(rounds):
        for request in requests:
            decide(request).to_json()
    return (time.perf_counter() - start) / (rounds * len(prompts)) * 1e6


def run(cmd: list[str], stdin: str = "", env: dict[str, str] | None = None, out: str = "pipe") -> float:
    with tempfile.TemporaryFile("w+") as sink:
        start = time.perf_counter()
        subprocess.run(
            cmd,
            input=stdin,
            stdout=subprocess.PIPE if out == "pipe" else sink,
            stderr=subprocess.PIPE,
            text=True,
            check=True,
            env=env,
        )
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--prompts", type=Path, default=ROOT / "tests/data/prompts40.jsonl", help="JSON lines"
    )
    parser.add_argument("--lines", type=int, default=10_000, help="lines of the large batch")
    parser.add_argument("--runs", type=int, default=5, help="runs of each batch size")
    args = parser.parse_args()
    prompts = [json.loads(line)["prompt"] for line in args.prompts.open() if line.strip()]
    # An installed package has its bytecode compiled; a checkout under PYTHONDONTWRITEBYTECODE would not.
    compileall.compile_dir(str(Path(router.__file__).parent), quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "LLM_ROUTER_HOME": str(Path(tmp) / "home")}
        base = router.Settings(env=env, cwd=Path(tmp))
        gen = Path(tmp) / "gen200.yaml"
        gen.write_text(generated_policy(200))
        big = router.Settings(env=env, cwd=Path(tmp), config=gen)

        print(f"{'measure':<58} {'value':>12}")
        builtin_us = per_decision_us(base, prompts)
        print(f"{'in-process decision, built-in policy (classify+evaluate+JSON)':<58} {builtin_us:>9.1f} us")
        print(f"{'  = decisions per second':<58} {1e6 / builtin_us:>12,.0f}")
        big_us = per_decision_us(big, prompts, rounds=10)
        print(f"{'in-process decision, generated 200-rule policy':<58} {big_us:>9.1f} us")

        for label, settings in (("built-in", base), ("200-rule", big)):
            from llm_router.policy.load import load_policy

            cache = Path(tmp) / "home" / "cache"
            cold = []
            for _ in range(5):
                for f in cache.glob("*"):
                    f.unlink()
                router._compiled.clear()
                t = time.perf_counter()
                router.load(settings)
                cold.append(time.perf_counter() - t)
            warm = []
            for _ in range(5):
                router._compiled.clear()
                t = time.perf_counter()
                load_policy(env=settings.env, cwd=settings.cwd, config=settings.config, home=settings.home)
                warm.append(time.perf_counter() - t)
            print(
                f"{'load+compile ' + label + ' policy, no cache (median)':<58} "
                f"{statistics.median(cold) * 1e3:>9.1f} ms"
            )
            print(
                f"{'load ' + label + ' policy from the disk cache (median)':<58} "
                f"{statistics.median(warm) * 1e3:>9.1f} ms"
            )

        exe = [str(Path(sys.executable).parent / "llm-router")]
        n = args.lines
        batch = "".join(json.dumps({"prompt": prompts[i % len(prompts)] + f" #{i}"}) + "\n" for i in range(n))
        one = json.dumps({"prompt": prompts[0]}) + "\n"
        # The lines are read from a file, as `route --batch in.jsonl`: fed through a pipe by this process,
        # they would arrive 512 bytes at a time (subprocess's own writes), which measures the feeding.
        one_file, batch_file = Path(tmp) / "one.jsonl", Path(tmp) / "batch.jsonl"
        one_file.write_text(one)
        batch_file.write_text(batch)
        cmd = exe + ["route", "--batch", "{}", "--json"]
        run([c.format(one_file) for c in cmd], "", env)  # warm the policy cache
        t_pass = statistics.median(run([sys.executable, "-c", "pass"]) for _ in range(5))
        print(f"{'python -c pass (baseline)':<58} {t_pass * 1e3:>9.1f} ms")
        # Output to a file, as `route --batch in.jsonl --json > out.jsonl`; and read through a pipe by
        # this (Python) process, which competes for the CPU with the command it measures. The runs of one
        # line and of n lines alternate, so that a slow spell of the machine falls on both.
        for label, out in (("to a file", "file"), ("through a pipe", "pipe")):
            ones, alls = [], []
            for _ in range(args.runs):
                ones.append(run([c.format(one_file) for c in cmd], "", env, out))
                alls.append(run([c.format(batch_file) for c in cmd], "", env, out))
            t_one = statistics.median(ones)
            per = sorted((t - t_one) / (n - 1) * 1e6 for t in alls)
            print(f"{'route --batch, 1 prompt, ' + label + ' (median)':<58} {t_one * 1e3:>9.1f} ms")
            label_all = f"route --batch, {n} prompts, {label} (median)"
            print(f"{label_all:<58} {statistics.median(alls) * 1e3:>9.1f} ms")
            print(
                f"{'  per decision beyond process start, ' + label:<58} {statistics.median(per):>9.1f} us"
                f"   (runs: {', '.join(f'{x:.1f}' for x in per)})"
            )


if __name__ == "__main__":
    main()
