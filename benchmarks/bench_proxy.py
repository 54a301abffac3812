"""What the llm-router callback adds to a request inside LiteLLM Proxy: the same proxy config with and without
`litellm_settings.callbacks`, both running at once over the same stand-in provider, same run.

Requests go in blocks of 25 that rotate between three kinds (keep-alive HTTP clients, non-streamed chat
completions of a trivial prompt): `gpt-4o-mini` asked for directly of the proxy without the callback; `auto`
through the proxy with the callback, which routes it to gpt-4o-mini; and `gpt-4o-mini` through that proxy
(the callback steps aside). For each kind: the median and p99 latency, the median of the differences to the
baseline block run just before or after it, and the proxy process's CPU time per request (Linux), which a
shared machine disturbs less than latency. Also timed: the callback's own hooks in-process. The target is
at most 1 ms median added per request.

    python benchmarks/bench_proxy.py [-n 600] [--warmup 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # before litellm is imported: stay offline

import httpx  # noqa: E402
import yaml  # noqa: E402

from llm_router.testing import FakeProvider  # noqa: E402
from llm_router.testing.litellm_proxy import LiteLLMProxy  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "litellm-proxy"
PROMPT = "what is 2+2?"


def config(fake: FakeProvider, callback: bool) -> dict[str, Any]:
    data = yaml.safe_load((EXAMPLE / "config.yaml").read_text())
    for d in data["model_list"]:
        d["litellm_params"].update(api_base=fake.openai_base, api_key="sk-bench")
    if not callback:
        del data["litellm_settings"]["callbacks"]
    return data


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def timed(client: httpx.Client, key: str, model: str) -> float:
    body = {"model": model, "messages": [{"role": "user", "content": PROMPT}]}
    start = time.perf_counter()
    response = client.post("/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {key}"})
    elapsed = time.perf_counter() - start
    response.raise_for_status()
    return elapsed * 1000


def in_process(n: int) -> tuple[list[float], list[float]]:
    """Milliseconds per call of the callback's pre-call hook (routing `auto`) and of its header hook."""
    from llm_router.integrations.litellm_proxy import ProxyHandler

    proxy_config = yaml.safe_load((EXAMPLE / "config.yaml").read_text())
    env = {**os.environ, "LLM_ROUTER_CONFIG": str(EXAMPLE / "team-policy")}
    handler = ProxyHandler(
        model_list=proxy_config["model_list"], router_settings=proxy_config["router_settings"], env=env
    )
    pre, headers = [], []

    async def run() -> None:
        for _ in range(n):
            data = {"model": "auto", "messages": [{"role": "user", "content": PROMPT}], "metadata": {}}
            start = time.perf_counter()
            await handler.async_pre_call_hook(None, None, data, "acompletion")
            middle = time.perf_counter()
            await handler.async_post_call_response_headers_hook(data, None, None)
            end = time.perf_counter()
            pre.append((middle - start) * 1000)
            headers.append((end - middle) * 1000)

    asyncio.run(run())
    return pre, headers


BLOCK = 25


def cpu_s(pid: int) -> float | None:
    """User and system CPU seconds of a process so far (Linux), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=600, help="timed requests of each kind (default 600)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed requests first (default 50)")
    args = parser.parse_args()

    baseline = "without the callback, gpt-4o-mini"
    with tempfile.TemporaryDirectory() as tmp, FakeProvider() as fake:
        env = {"LLM_ROUTER_CONFIG": str(EXAMPLE / "team-policy")}
        bare = LiteLLMProxy(config(fake, callback=False), Path(tmp) / "bare").start()
        routed = LiteLLMProxy(config(fake, callback=True), Path(tmp) / "routed", env=env).start()
        try:
            bare.wait_ready()
            routed.wait_ready()
            with (
                httpx.Client(base_url=bare.url, timeout=60) as b,
                httpx.Client(base_url=routed.url, timeout=60) as r,
            ):
                kinds = {
                    baseline: (b, bare, "gpt-4o-mini"),
                    "with the callback, auto": (r, routed, "auto"),
                    "with the callback, gpt-4o-mini": (r, routed, "gpt-4o-mini"),
                }
                for client, proxy, model in kinds.values():
                    for _ in range(args.warmup):
                        timed(client, proxy.master_key, model)
                samples: dict[str, list[float]] = {name: [] for name in kinds}
                blocks: dict[str, list[float]] = {name: [] for name in kinds}  # median latency per block
                cpu: dict[str, list[float]] = {name: [] for name in kinds}
                order = list(kinds)
                for i in range(max(1, args.n // BLOCK)):
                    for name in order[i % 3 :] + order[: i % 3]:  # rotate, so no kind always goes first
                        client, proxy, model = kinds[name]
                        assert proxy.process is not None
                        before = cpu_s(proxy.process.pid)
                        block = [timed(client, proxy.master_key, model) for _ in range(BLOCK)]
                        time.sleep(0.2)  # the proxy logs each request after answering: count that here too
                        after = cpu_s(proxy.process.pid)
                        samples[name] += block
                        blocks[name].append(statistics.median(block))
                        if before is not None and after is not None:
                            cpu[name].append((after - before) * 1000 / BLOCK)
        finally:
            bare.stop()
            routed.stop()
    pre, headers = in_process(max(args.n, 2000))

    base = statistics.median(samples[baseline])
    print(f"{'per request, ms':<36}{'median':>8}{'p99':>8}{'added':>8}{'paired':>8}{'cpu':>8}{'added':>8}")
    base_cpu = statistics.median(cpu[baseline]) if cpu[baseline] else float("nan")
    for name, values in samples.items():
        median = statistics.median(values)
        paired = statistics.median(x - y for x, y in zip(blocks[name], blocks[baseline], strict=True))
        used = statistics.median(cpu[name]) if cpu[name] else float("nan")
        print(
            f"{name:<36}{median:>8.2f}{p99(values):>8.2f}{median - base:>+8.2f}{paired:>+8.2f}"
            f"{used:>8.2f}{used - base_cpu:>+8.2f}"
        )
    print(f"{'in-process pre-call hook (auto)':<36}{statistics.median(pre):>8.3f}{p99(pre):>8.3f}")
    print(f"{'in-process response headers hook':<36}{statistics.median(headers):>8.3f}{p99(headers):>8.3f}")
    print(
        f"({len(samples[baseline])} requests of each kind in blocks of {BLOCK}; paired: median over blocks "
        "of the difference to the baseline block of the same round; cpu: the proxy process's CPU ms per "
        "request; target: added <= 1 ms median)"
    )


if __name__ == "__main__":
    main()
