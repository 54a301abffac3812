"""Spawn to answered `tools/list`: `llm-router mcp` against a bare MCP SDK server with one tool, same run.

Both servers are launched N times, alternately, by the SDK's own stdio client; the figure is the wall time
from spawning the process to holding the `tools/list` answer. Prints medians and the ratio (target <= 1.5x).

    python benchmarks/bench_mcp.py [-n 9] [--slim core|routing|full]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

RUN_CLI = "from llm_router.cli import main; main()"

BARE = '''
from mcp.server.mcpserver import MCPServer

server = MCPServer("bare")


@server.tool()
def echo(text: str) -> str:
    """Echo the text."""
    return text


server.run()
'''


async def spawn_to_list(params: StdioServerParameters) -> tuple[float, int]:
    """Seconds from spawn to the `tools/list` answer, and how many tools it listed."""
    start = time.perf_counter()
    async with Client(params) as client:
        tools = await client.list_tools()
        elapsed = time.perf_counter() - start
    return elapsed, len(tools.tools)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=9, help="launches of each server (default 9)")
    parser.add_argument("--slim", default="full", choices=["core", "routing", "full"])
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        bare_script = Path(tmp) / "bare_server.py"
        bare_script.write_text(BARE)
        home = Path(tmp) / "home"
        home.mkdir()
        env = {"HOME": str(home), "LLM_ROUTER_HOME": str(home / ".llm-router"), "LLM_ROUTER_SLIM": args.slim}
        router_cmd = shutil.which("llm-router")
        servers = {
            "bare SDK server (1 tool)": StdioServerParameters(
                command=sys.executable, args=[str(bare_script)], env=env
            ),
            f"llm-router mcp (slim={args.slim})": (
                StdioServerParameters(command=router_cmd, args=["mcp"], env=env)
                if router_cmd
                else StdioServerParameters(command=sys.executable, args=["-c", RUN_CLI, "mcp"], env=env)
            ),
        }
        times: dict[str, list[float]] = {name: [] for name in servers}
        counts: dict[str, int] = {}
        with open(os.devnull, "w") as devnull:
            sys.stderr.flush()
            saved = os.dup(2)
            os.dup2(devnull.fileno(), 2)  # the servers' logs are not the benchmark's output
            try:
                for _ in range(args.n):
                    for name, params in servers.items():
                        elapsed, count = anyio.run(spawn_to_list, params)
                        times[name].append(elapsed)
                        counts[name] = count
            finally:
                os.dup2(saved, 2)

    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in medians.items():
        spread = f"min {min(times[name]) * 1000:.0f} ms, max {max(times[name]) * 1000:.0f} ms"
        print(f"{name:34} {counts[name]:3} tools  median {median * 1000:6.0f} ms  ({spread}, n={args.n})")
    bare, router = medians.values()
    print(f"ratio llm-router / bare: {router / bare:.2f}x (target <= 1.5x, aim 1.3x)")


if __name__ == "__main__":
    main()
