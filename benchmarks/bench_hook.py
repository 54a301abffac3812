"""Time each hook as a fresh process (what the host pays per event) against `python -c pass` in the same run.

Runs in a temporary HOME with the policy cache warmed by one run first, so it measures the steady state.
Rounds interleave the baseline and every hook, so machine load hits them alike. Reports medians in ms and
the ratio to the baseline; acceptance is prompt hook <= 2.5x `python -c pass`.

The package's bytecode is compiled first, as `pip install` does.

Usage: python benchmarks/bench_hook.py [--runs N] [--json] [--importtime]
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

from llm_router.hosts.commands import hook_argv

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "hosts"
HEAVY = ("litellm", "mcp", "jsonschema", "pydantic", "click", "yaml", "sqlite_utils")
CASES = [
    # (label, host, fixture, extra environment)
    ("claude UserPromptSubmit, no provider", "claude-code", "UserPromptSubmit", {}),
    ("claude UserPromptSubmit, routed (smart)", "claude-code", "UserPromptSubmit", {"OPENAI_API_KEY": "x"}),
    ("claude PreToolUse", "claude-code", "PreToolUse-Edit", {}),
    ("claude SessionStart", "claude-code", "SessionStart", {}),
    ("claude SessionEnd", "claude-code", "SessionEnd", {}),
    ("codex UserPromptSubmit", "codex", "UserPromptSubmit", {}),
    ("gemini BeforeModel", "gemini-cli", "BeforeModel", {}),
]


def _env(home: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL", "_API_BASE"))}
    env.update(HOME=str(home), LLM_ROUTER_HOME=str(home / ".llm-router"), **extra)
    return env


def _once(argv: list[str], stdin: bytes, env: dict[str, str]) -> float:
    start = time.perf_counter()
    quiet = subprocess.DEVNULL
    subprocess.run(argv, input=stdin, env=env, stdout=quiet, stderr=quiet, check=False)
    return (time.perf_counter() - start) * 1000


def imported(argv: list[str], stdin: bytes, env: dict[str, str]) -> list[str]:
    """Top-level modules the hook process imports, from `python -X importtime`."""
    cmd = [sys.executable, "-X", "importtime", "-m", "llm_router.hosts.hook", *argv[-1:]]
    err = subprocess.run(cmd, input=stdin, env=env, capture_output=True, check=False).stderr.decode()
    names = [line.rsplit("|", 1)[-1].strip() for line in err.splitlines() if line.startswith("import time:")]
    return sorted({n.split(".")[0] for n in names if n and not n.startswith("import")})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--importtime", action="store_true", help="also list what the prompt hook imports")
    args = parser.parse_args()

    # An installed package has its bytecode compiled; a checkout under PYTHONDONTWRITEBYTECODE would not.
    import llm_router

    compileall.compile_dir(str(Path(llm_router.__file__).parent), quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        baseline = [sys.executable, "-c", "pass"]
        cases = []
        for label, host, fixture, extra in CASES:
            stdin = (FIXTURES / host / f"{fixture}.json").read_bytes()
            env = _env(home, extra)
            _once(hook_argv(host), stdin, env)  # warm the policy cache and usage.db
            cases.append((label, hook_argv(host), stdin, env))
        times: dict[str, list[float]] = {"python -c pass": []} | {c[0]: [] for c in cases}
        for _ in range(args.runs):
            times["python -c pass"].append(_once(baseline, b"", os.environ.copy()))
            for label, argv, stdin, env in cases:
                times[label].append(_once(argv, stdin, env))
        base = statistics.median(times["python -c pass"])
        report = {
            "command": " ".join(hook_argv("claude-code")),
            "runs": args.runs,
            "median_ms": {k: round(statistics.median(v), 1) for k, v in times.items()},
            "ratio": {k: round(statistics.median(v) / base, 2) for k, v in times.items()},
        }
        if args.importtime:
            label, argv, stdin, env = cases[1]
            mods = imported(argv, stdin, env)
            report["imports"] = mods
            report["heavy_imports"] = [m for m in mods if m in HEAVY]
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"hook command: {report['command']}  ({args.runs} runs each, interleaved)")
    for key, ms in report["median_ms"].items():
        print(f"  {key:<42} {ms:7.1f} ms  {report['ratio'][key]:5.2f}x")
    if args.importtime:
        print("heavy imports in the routed prompt hook:", ", ".join(report["heavy_imports"]) or "none")


if __name__ == "__main__":
    main()
