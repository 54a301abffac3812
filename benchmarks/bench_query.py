"""The router's own overhead per query over a direct LiteLLM call to the same local provider server.

Two figures: in-process (`router.decide` + `router.run`, usage rows included, vs `litellm.completion`), and
as whole processes (`llm-router query ... --models openai/bench` vs
`python -c "import litellm; litellm.completion(...)"`), interleaved so machine load hits both alike.

`--server` adds a third side to the whole-process figure: `llm-router query` while a warm server
(`llm-router serve`, in a HOME of its own with the same environment) runs, which the query hands its call to.

Usage: python benchmarks/bench_query.py [--calls N] [--processes N] [--server] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from llm_router.hosts.commands import cli_argv
from llm_router.testing import FakeProvider

KEY = "sk-bench-not-a-real-key"
PROMPT = "What is the capital of France?"


def in_process(fake: FakeProvider, calls: int) -> dict[str, float]:
    """Median ms per query: the router's whole path vs a bare completion against the same server."""
    from llm_router import router
    from llm_router.decision import Request
    from llm_router.execute.dispatch import litellm_module

    litellm = litellm_module()
    settings = router.Settings(env={**os.environ, **fake.env(KEY)})
    request = Request(PROMPT)

    def direct() -> None:
        litellm.completion(
            model="openai/bench",
            messages=[{"role": "user", "content": PROMPT}],
            api_base=fake.openai_base,
            api_key=KEY,
            max_retries=0,
        )

    def routed() -> None:
        decision = router.decide(request, settings=settings)
        router.run(decision, request, settings=settings, models=["openai/bench"])

    for fn in (direct, routed):  # warm both: imports, clients, the policy cache
        fn()
    samples: dict[str, list[float]] = {"direct": [], "routed": []}
    for _ in range(calls):
        for name, fn in (("direct", direct), ("routed", routed)):
            start = time.perf_counter()
            fn()
            samples[name].append((time.perf_counter() - start) * 1000)
    d, r = statistics.median(samples["direct"]), statistics.median(samples["routed"])
    return {"direct_ms": d, "routed_ms": r, "overhead_ms": r - d, "ratio": r / d}


DIRECT = (
    "import litellm; litellm.completion(model='openai/bench', "
    "messages=[{{'role': 'user', 'content': {prompt!r}}}], api_base={base!r}, api_key={key!r}, max_retries=0)"
)


def _home_env(fake: FakeProvider) -> dict[str, str]:
    home = Path(tempfile.mkdtemp(prefix="bench-query-"))
    env = {**os.environ, **fake.env(KEY), "HOME": str(home), "LLM_ROUTER_HOME": str(home / ".llm-router")}
    env["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # both sides offline, as the router is
    return env


@contextlib.contextmanager
def warm_server(env: dict[str, str]) -> Iterator[None]:
    """`llm-router serve` on a free port with `env` until the block ends (serve.json in its HOME)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([*cli_argv(), "serve", "--port", str(port)], env=env, stderr=subprocess.DEVNULL)
    state = Path(env["LLM_ROUTER_HOME"]) / "serve.json"
    try:
        deadline = time.monotonic() + 180
        while not state.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)  # listening once serve.json is written; the first request warms its policy
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def whole_process(fake: FakeProvider, runs: int, server: bool) -> dict[str, float]:
    """Median seconds of a whole `llm-router query` process vs a bare LiteLLM script (and, with `server`,
    a query handed to a warm server)."""
    env = _home_env(fake)
    served_env = _home_env(fake)
    direct = [sys.executable, "-c", DIRECT.format(prompt=PROMPT, base=fake.openai_base, key=KEY)]
    routed = [*cli_argv(), "query", PROMPT, "--models", "openai/bench"]  # the script beside this python
    sides = [("direct", direct, env), ("routed", routed, env)]
    with contextlib.ExitStack() as stack:
        if server:
            stack.enter_context(warm_server(served_env))
            sides.append(("served", routed, served_env))
        for _name, argv, environment in sides[1:]:  # warm the policy cache and usage.db (and the server)
            subprocess.run(argv, env=environment, capture_output=True, check=True)
        samples: dict[str, list[float]] = {name: [] for name, _, _ in sides}
        for _ in range(runs):
            for name, argv, environment in sides:
                start = time.perf_counter()
                subprocess.run(argv, env=environment, capture_output=True, check=True)
                samples[name].append(time.perf_counter() - start)
    d, r = statistics.median(samples["direct"]), statistics.median(samples["routed"])
    out = {"direct_s": d, "routed_s": r, "overhead_s": r - d, "ratio": r / d}
    if server:
        out["served_s"] = statistics.median(samples["served"])
        out["served_ratio"] = out["served_s"] / d
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=30, help="in-process queries per side")
    parser.add_argument("--processes", type=int, default=5, help="whole processes per side")
    parser.add_argument("--server", action="store_true", help="also a query handed to a warm server")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-query-home-") as home:
        os.environ["LLM_ROUTER_HOME"] = str(Path(home) / ".llm-router")
        with FakeProvider() as fake:
            results["in_process"] = in_process(fake, args.calls)
            results["process"] = whole_process(fake, args.processes, args.server)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    ip, pr = results["in_process"], results["process"]
    print(f"in-process, median of {args.calls}:")
    print(f"  litellm.completion      {ip['direct_ms']:8.2f} ms")
    extra = f"(+{ip['overhead_ms']:.2f} ms, {ip['ratio']:.2f}x)"
    print(f"  decide + run            {ip['routed_ms']:8.2f} ms   {extra}")
    print(f"whole process, median of {args.processes}:")
    print(f"  python -c 'litellm...'  {pr['direct_s']:8.2f} s")
    extra = f"(+{pr['overhead_s']:.2f} s, {pr['ratio']:.2f}x)"
    print(f"  llm-router query        {pr['routed_s']:8.2f} s    {extra}")
    if args.server:
        print(f"  ... with a warm server  {pr['served_s']:8.2f} s    ({pr['served_ratio']:.2f}x)")


if __name__ == "__main__":
    main()
