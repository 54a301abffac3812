"""Decision speed: in-process decisions/s (built-in policy and a generated 200-rule policy), `route --batch`
cost per decision beyond process start, and the wall time of loading a policy.

Run: python benchmarks/bench_decide.py        (takes about a minute; prints a table)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from llm_router import router
from llm_router.decision import Context, Request
from llm_router.policy.evaluate import evaluate

ROOT = Path(__file__).resolve().parent.parent
PROMPTS = [json.loads(line)["prompt"] for line in (ROOT / "tests/data/prompts40.jsonl").open()]


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


def per_decision_us(settings: router.Settings, rounds: int = 50) -> float:
    cp = router.load(settings)
    now = time.time()
    configured, budgets, breakers = router.live_state(cp, settings, now)
    start = time.perf_counter()
    for _ in range(rounds):
        for prompt in PROMPTS:
            request = Request(prompt=prompt)
            ctx = Context(request, cp.classifier.classify(prompt), now, configured, budgets, breakers)
            evaluate(cp, ctx).to_json()
    return (time.perf_counter() - start) / (rounds * len(PROMPTS)) * 1e6


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
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "LLM_ROUTER_HOME": str(Path(tmp) / "home")}
        base = router.Settings(env=env, cwd=Path(tmp))
        gen = Path(tmp) / "gen200.yaml"
        gen.write_text(generated_policy(200))
        big = router.Settings(env=env, cwd=Path(tmp), config=gen)

        print(f"{'measure':<58} {'value':>12}")
        builtin_us = per_decision_us(base)
        print(f"{'in-process decision, built-in policy (classify+evaluate+JSON)':<58} {builtin_us:>9.1f} us")
        print(f"{'  = decisions per second':<58} {1e6 / builtin_us:>12,.0f}")
        big_us = per_decision_us(big, rounds=10)
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
        batch = "".join(
            json.dumps({"prompt": PROMPTS[i % len(PROMPTS)] + f" #{i}"}) + "\n" for i in range(2000)
        )
        one = json.dumps({"prompt": PROMPTS[0]}) + "\n"
        cmd = exe + ["route", "--batch", "-", "--json"]
        run(cmd, one, env)  # warm the policy cache
        t_pass = statistics.median(run([sys.executable, "-c", "pass"]) for _ in range(5))
        print(f"{'python -c pass (baseline)':<58} {t_pass * 1e3:>9.1f} ms")
        # Output to a file, as `route --batch in.jsonl --json > out.jsonl`; and read through a pipe by
        # this (Python) process, which competes for the CPU with the command it measures.
        for label, out in (("to a file", "file"), ("through a pipe", "pipe")):
            t_one = statistics.median(run(cmd, one, env, out) for _ in range(5))
            t_all = statistics.median(run(cmd, batch, env, out) for _ in range(3))
            print(f"{'route --batch, 1 prompt, ' + label:<58} {t_one * 1e3:>9.1f} ms")
            print(f"{'route --batch, 2000 prompts, ' + label:<58} {t_all * 1e3:>9.1f} ms")
            per = (t_all - t_one) / 1999 * 1e6
            print(f"{'  per decision beyond process start, ' + label:<58} {per:>9.1f} us")


if __name__ == "__main__":
    main()
