"""What the gateway costs over calling the same stand-in provider directly with the same SDK.

The stand-in (`llm_router.testing.FakeProvider`) and the gateway (`llm-router serve`) each run in their own
process; the client here is the official `anthropic` SDK, once pointed at the stand-in's Anthropic API
(direct) and once at the gateway (which routes to the stand-in's OpenAI API through LiteLLM). Calls are
interleaved so that machine load hits both alike. Figures:

- added latency, median and p99, non-streamed and time to first token (streamed);
- requests per second at concurrency 1, 10 and 50, streamed, direct and through the gateway;
- the gateway's resident memory idle (after warm-up) and its peak under the concurrency-50 load;
- the zero_claude prompt hook (a fresh process per prompt, as Claude Code runs it, answering through the
  stand-in) with the server running, which it hands the event to, and without it (in a HOME of its own with
  the same policy: it imports LiteLLM and executes in-process). Median wall time of `--hook-runs` runs each.

Usage: python benchmarks/bench_gateway.py [--calls N] [--load N] [--hook-runs N] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anthropic

MODEL = "claude-sonnet-4-6"
MESSAGES = [{"role": "user", "content": "what is 2+2?"}]
ANSWER = "four, and here is a slightly longer answer so that a stream has a few pieces in it"
FAKE = """
import sys, time
from llm_router.testing import FakeProvider
fake = FakeProvider().start()
for model in ("gpt-4o-mini", "claude-sonnet-4-6"):
    fake.script(model, "ok", answer=sys.argv[1])
print(fake.url, flush=True)
time.sleep(10**6)
"""


@contextmanager
def stand_in() -> Iterator[str]:
    """The stand-in provider in its own process; yields its URL."""
    proc = subprocess.Popen([sys.executable, "-c", FAKE, ANSWER], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gateway(fake_url: str) -> Iterator[tuple[str, int, dict[str, str]]]:
    """`llm-router serve` in its own process with only OpenAI configured (at the stand-in); yields its URL,
    pid and environment once /healthz answers."""
    home = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    env = {**os.environ, "HOME": str(home), "LLM_ROUTER_HOME": str(home / ".llm-router")}
    env.update({"OPENAI_API_KEY": "sk-bench", "OPENAI_BASE_URL": fake_url + "/v1"})
    for var in ("ANTHROPIC_API_KEY", "GEMINI_API_KEY", "OLLAMA_BASE_URL", "DEEPSEEK_API_KEY"):
        env.pop(var, None)
    port = free_port()
    script = shutil.which("llm-router")
    argv = [script] if script else [sys.executable, "-c", "from llm_router.cli import main; main()"]
    proc = subprocess.Popen([*argv, "serve", "--port", str(port)], env=env, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                anthropic.Anthropic(base_url=url, api_key="k", max_retries=0).get("/healthz", cast_to=object)
                break
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.2)
        yield url, proc.pid, env
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(home, ignore_errors=True)


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def interleaved(calls: int, fns: dict[str, Callable[[], float]]) -> dict[str, list[float]]:
    """`calls` samples (ms) of each function, taken in turn."""
    for fn in fns.values():  # warm each path
        for _ in range(5):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(calls):
        for name, fn in fns.items():
            samples[name].append(fn())
    return samples


def whole(client: anthropic.Anthropic) -> Callable[[], float]:
    def call() -> float:
        start = time.perf_counter()
        client.messages.create(model=MODEL, max_tokens=64, messages=MESSAGES)
        return (time.perf_counter() - start) * 1000

    return call


def first_token(client: anthropic.Anthropic) -> Callable[[], float]:
    def call() -> float:
        start = time.perf_counter()
        with client.messages.stream(model=MODEL, max_tokens=64, messages=MESSAGES) as stream:
            for _ in stream.text_stream:
                first = time.perf_counter()
                break
            for _ in stream.text_stream:
                pass
        return (first - start) * 1000

    return call


def added(samples: dict[str, list[float]]) -> dict[str, float]:
    d, g = samples["direct"], samples["gateway"]
    return {
        "direct_median_ms": round(statistics.median(d), 2),
        "gateway_median_ms": round(statistics.median(g), 2),
        "added_median_ms": round(statistics.median(g) - statistics.median(d), 2),
        "direct_p99_ms": round(percentile(d, 0.99), 2),
        "gateway_p99_ms": round(percentile(g, 0.99), 2),
        "added_p99_ms": round(percentile(g, 0.99) - percentile(d, 0.99), 2),
    }


def throughput(url: str, concurrency: int, total: int) -> float:
    """Streamed requests per second with `concurrency` in flight."""

    async def run() -> float:
        client = anthropic.AsyncAnthropic(base_url=url, api_key="k", max_retries=0, timeout=120)
        left = total

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                async with client.messages.stream(model=MODEL, max_tokens=64, messages=MESSAGES) as s:
                    await s.get_final_text()

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        rate = total / (time.perf_counter() - start)
        await client.close()  # inside the loop: closed after it, its connections raise "Event loop is closed"
        return rate

    return round(asyncio.run(run()), 1)


def zero_claude_hook(env: dict[str, str], runs: int) -> dict[str, Any]:
    """Median wall ms of the zero_claude prompt hook with the server (whose HOME and environment it shares)
    and without it (a HOME of its own, same policy and environment)."""
    from llm_router.hosts.commands import hook_argv

    home = Path(env["LLM_ROUTER_HOME"])
    policy = "version: 1\nmode: zero_claude\n"
    (home / "routing.yaml").write_text(policy)  # the server reads it again within a second
    alone = Path(tempfile.mkdtemp(prefix="bench-hook-alone-"))
    (alone / ".llm-router").mkdir()
    (alone / ".llm-router" / "routing.yaml").write_text(policy)
    alone_env = {**env, "HOME": str(alone), "LLM_ROUTER_HOME": str(alone / ".llm-router")}
    fixture = Path(__file__).resolve().parents[1] / "tests/fixtures/hosts/claude-code/UserPromptSubmit.json"
    event = json.loads(fixture.read_text())
    event["cwd"] = str(home)
    stdin = json.dumps(event).encode()
    argv = hook_argv("claude-code")

    def once(environment: dict[str, str]) -> tuple[float, bool]:
        start = time.perf_counter()
        proc = subprocess.run(argv, input=stdin, env=environment, capture_output=True, check=False)
        return (time.perf_counter() - start) * 1000, ANSWER in proc.stdout.decode(errors="replace")

    time.sleep(1.5)
    samples: dict[str, list[float]] = {"with_server": [], "without_server": []}
    answered = {name: 0 for name in samples}
    for environment in (env, alone_env):
        once(environment)  # the policy cache and usage.db
    for _ in range(runs):
        for name, environment in (("with_server", env), ("without_server", alone_env)):
            ms, ok = once(environment)
            samples[name].append(ms)
            answered[name] += ok
    shutil.rmtree(alone, ignore_errors=True)
    (home / "routing.yaml").unlink()
    return {
        "runs": runs,
        **{f"{name}_median_ms": round(statistics.median(v), 1) for name, v in samples.items()},
        **{f"{name}_answered": answered[name] for name in samples},
    }


def measure(calls: int, load: int, hook_runs: int) -> dict[str, Any]:
    out: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "load_avg_1m": os.getloadavg()[0]}}
    with stand_in() as fake_url, gateway(fake_url) as (url, pid, env):
        direct = anthropic.Anthropic(base_url=fake_url, api_key="k", max_retries=0)
        routed = anthropic.Anthropic(base_url=url, api_key="k", max_retries=0)
        out["non_streamed"] = added(interleaved(calls, {"direct": whole(direct), "gateway": whole(routed)}))
        out["time_to_first_token"] = added(
            interleaved(calls, {"direct": first_token(direct), "gateway": first_token(routed)})
        )
        out["rss_idle_mb"] = round(rss_mb(pid), 1)
        peak = [out["rss_idle_mb"]]
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.is_set():
                peak.append(rss_mb(pid))
                time.sleep(0.05)

        rates: dict[str, dict[str, float]] = {}
        for concurrency in (1, 10, 50):
            n = max(load, concurrency * 4)
            sampler = threading.Thread(target=sample, daemon=True) if concurrency == 50 else None
            if sampler:
                sampler.start()
            rates[str(concurrency)] = {
                "direct_rps": throughput(fake_url, concurrency, n),
                "gateway_rps": throughput(url, concurrency, n),
            }
            if sampler:
                sampling.set()
                sampler.join()
        out["requests_per_s"] = rates
        out["rss_peak_under_load_mb"] = round(max(peak), 1)
        out["zero_claude_hook"] = zero_claude_hook(env, hook_runs)
    out["machine"]["load_avg_1m_after"] = os.getloadavg()[0]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="samples per latency figure (default 200)")
    parser.add_argument("--load", type=int, default=200, help="requests per throughput run (default 200)")
    parser.add_argument("--hook-runs", type=int, default=7, help="zero_claude hook runs each (default 7)")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    result = measure(args.calls, args.load, args.hook_runs)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for name in ("non_streamed", "time_to_first_token"):
        r = result[name]
        print(
            f"{name:<20} direct {r['direct_median_ms']:.2f} ms, gateway {r['gateway_median_ms']:.2f} ms: "
            f"added {r['added_median_ms']:.2f} ms median, {r['added_p99_ms']:.2f} ms p99"
        )
    for concurrency, r in result["requests_per_s"].items():
        print(
            f"concurrency {concurrency:>2}: direct {r['direct_rps']} req/s, gateway {r['gateway_rps']} req/s"
        )
    print(
        f"gateway RSS: {result['rss_idle_mb']} MB idle, {result['rss_peak_under_load_mb']} MB peak under load"
    )
    z = result["zero_claude_hook"]
    print(
        f"zero_claude prompt hook: {z['with_server_median_ms']} ms with the server, "
        f"{z['without_server_median_ms']} ms without (median of {z['runs']}; answered "
        f"{z['with_server_answered']}/{z['runs']} and {z['without_server_answered']}/{z['runs']})"
    )
    print(f"machine: {result['machine']}")


if __name__ == "__main__":
    main()
