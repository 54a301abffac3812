"""What the llm-router callback adds to a request inside LiteLLM Proxy: the same proxy config with and without
`litellm_settings.callbacks`, both running at once over the same stand-in provider, same run.

Requests alternate between the two proxies (keep-alive HTTP clients, non-streamed chat completions of a
trivial prompt): `auto` through the callback, which routes it to gpt-4o-mini, against `gpt-4o-mini` asked
for directly without it. Also timed: a concrete model through the callback proxy (the callback steps
aside), and the callback's own pre-call and header hooks in-process. Prints medians and p99; the target
is at most 1 ms median added per request.

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=600, help="timed requests of each kind (default 600)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed requests first (default 50)")
    args = parser.parse_args()

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
                    "without the callback, gpt-4o-mini": (b, bare.master_key, "gpt-4o-mini"),
                    "with the callback, auto": (r, routed.master_key, "auto"),
                    "with the callback, gpt-4o-mini": (r, routed.master_key, "gpt-4o-mini"),
                }
                for client, key, model in kinds.values():
                    for _ in range(args.warmup):
                        timed(client, key, model)
                samples: dict[str, list[float]] = {name: [] for name in kinds}
                order = list(kinds)
                for i in range(args.n):
                    for name in order[i % 3 :] + order[: i % 3]:  # rotate, so no kind always goes first
                        client, key, model = kinds[name]
                        samples[name].append(timed(client, key, model))
        finally:
            bare.stop()
            routed.stop()
    pre, headers = in_process(max(args.n, 2000))

    base = statistics.median(samples["without the callback, gpt-4o-mini"])
    print(f"{'per request, ms':<44}{'median':>9}{'p99':>9}{'added':>9}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:<44}{median:>9.2f}{p99(values):>9.2f}{median - base:>+9.2f}")
    print(f"{'in-process pre-call hook (auto)':<44}{statistics.median(pre):>9.3f}{p99(pre):>9.3f}")
    print(f"{'in-process response headers hook':<44}{statistics.median(headers):>9.3f}{p99(headers):>9.3f}")
    print(f"({args.n} requests of each kind through the proxies, interleaved; target: added <= 1 ms median)")


if __name__ == "__main__":
    main()
