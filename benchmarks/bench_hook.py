"""Time each hook as a fresh process (what the host pays per event) against `python -c pass` and
`python -I -c pass` in the same run.

Each hook runs as `llm-router install` writes it (`hosts.commands.hook_argv`), in a temporary HOME holding a
usage.db as queries leave it, whose caches were warmed first, so it measures the steady state. Rounds
interleave the baselines and every hook, so machine load hits them alike. Reported per case: the median wall
time and the median CPU time (user + system, from the child's resource usage: less sensitive to a loaded
machine than wall time), and each as a ratio to both baselines. Acceptance (issue 16): the prompt hook at most
2.0x `python -c pass` (aim 1.5x), PreToolUse at most 1.5x, and a 1,000-rule user policy at most 1.3x the
built-in one for the prompt hook.

`--clean` measures with a throwaway virtual environment of the same interpreter whose only .pth file points
at this interpreter's packages: the start-up of a machine whose site-packages run no code at start-up
(some machines' .pth files import modules at every start, which inflates the baseline and preloads modules
the hook would otherwise import). Without it, the interpreter is this one, as it is.

`--server` adds the routed prompt hook with a warm server (`llm-router serve`, started in that case's HOME
with the same environment) running: the hook hands the event to it over loopback. Its CPU figure is the hook
process's alone (the server's share is not counted); wall time is what the host waits.

The package's bytecode is compiled first, as `pip install` does.

Usage: python benchmarks/bench_hook.py [--runs N] [--clean] [--server] [--json] [--importtime]
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import llm_router
from llm_router.hosts.commands import HOOK_CODE, hook_argv
from llm_router.store import open_db

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "hosts"
HEAVY = ("litellm", "mcp", "jsonschema", "pydantic", "click", "yaml", "sqlite_utils", "httpx")
# (label, host, fixture, extra environment, user policy rules). Each case has a HOME of its own, where the
# host's prompt hook ran first: a tool hook then finds the turn's state as it does in a session (no hold).
ROUTED = {"OPENAI_API_KEY": "x"}
CASES = [
    ("claude UserPromptSubmit, no provider", "claude-code", "UserPromptSubmit", {}, 0),
    ("claude UserPromptSubmit, routed (smart)", "claude-code", "UserPromptSubmit", ROUTED, 0),
    ("claude UserPromptSubmit, 1,000 user rules", "claude-code", "UserPromptSubmit", {}, 1000),
    ("claude PreToolUse", "claude-code", "PreToolUse-Edit", {}, 0),
    ("claude PreToolUse (Task: subagent model)", "claude-code", "PreToolUse-Task", {}, 0),
    ("claude SessionStart", "claude-code", "SessionStart", {}, 0),
    ("claude SessionEnd", "claude-code", "SessionEnd", {}, 0),
    ("codex UserPromptSubmit", "codex", "UserPromptSubmit", {}, 0),
    ("gemini BeforeModel", "gemini-cli", "BeforeModel", {}, 0),
]
PROMPT_FIXTURE = {"claude-code": "UserPromptSubmit", "codex": "UserPromptSubmit", "gemini-cli": "BeforeAgent"}
BASELINES = ("python -c pass", "python -I -c pass")
SERVED = "claude UserPromptSubmit, routed (smart), warm server"


@contextlib.contextmanager
def warm_server(python: str, env: dict[str, str]) -> Iterator[None]:
    """`llm-router serve` on a free port with `env` (its HOME's serve.json names it) until the block ends."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    argv = [python, "-c", "from llm_router.cli import main; main()", "serve", "--port", str(port)]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = Path(env["LLM_ROUTER_HOME"]) / "serve.json"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if state.exists():
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    pass
            time.sleep(0.2)
        else:
            raise RuntimeError("llm-router serve did not start")
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def generated_policy(n: int) -> str:
    """A user policy of n rules that mostly do not match (benchmarks/bench_decide.py's shape)."""
    rules = "".join(
        f"  - id: gen-{i}\n"
        f"    when: \"task == 'math' and tokens > {1000 + i} and difficulty > 0.{i % 9 + 1}\"\n"
        f"    then: {{route: complex}}\n"
        for i in range(n)
    )
    return "rules:\n" + rules


def clean_python(folder: Path) -> str:
    """A virtual environment of this interpreter whose site-packages is only a .pth naming this one's."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    purelib = sysconfig.get_paths()["purelib"]
    site = next((folder / "lib").glob("python*/site-packages"))
    (site / "packages.pth").write_text(purelib + "\n")
    return str(folder / "bin" / "python")


def _env(home: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL", "_API_BASE"))}
    env.update(HOME=str(home), LLM_ROUTER_HOME=str(home / ".llm-router"), **extra)
    return env


def _once(argv: list[str], stdin: bytes, env: dict[str, str] | None) -> tuple[float, float]:
    """(wall ms, CPU ms) of one run of `argv`."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    try:
        proc.stdin.write(stdin)  # type: ignore[union-attr]
        proc.stdin.close()  # type: ignore[union-attr]
    except BrokenPipeError:
        pass
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    return (time.perf_counter() - start) * 1000, (usage.ru_utime + usage.ru_stime) * 1000


def imported(argv: list[str], stdin: bytes, env: dict[str, str]) -> list[str]:
    """Top-level modules the hook process imports, from `python -X importtime`."""
    cmd = [argv[0], "-X", "importtime", *argv[1:]]
    err = subprocess.run(cmd, input=stdin, env=env, capture_output=True, check=False).stderr.decode()
    names = [line.rsplit("|", 1)[-1].strip() for line in err.splitlines() if line.startswith("import time:")]
    return sorted({n.split(".")[0] for n in names if n and not n.startswith("import")})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--clean", action="store_true", help="measure with a clean virtual environment")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--importtime", action="store_true", help="also list what the prompt hook imports")
    parser.add_argument("--server", action="store_true", help="also the prompt hook with a warm server")
    args = parser.parse_args()

    # An installed package has its bytecode compiled; a checkout under PYTHONDONTWRITEBYTECODE would not.
    compileall.compile_dir(str(Path(llm_router.__file__).parent), quiet=1)
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        python = clean_python(Path(tmp) / "venv") if args.clean else sys.executable
        cases = []
        served = [(SERVED, "claude-code", "UserPromptSubmit", ROUTED, 0)] if args.server else []
        for n, (label, host, fixture, extra, rules) in enumerate([*CASES, *served]):
            home = Path(tmp) / f"home{n}"
            (home / ".llm-router").mkdir(parents=True)
            open_db(home / ".llm-router" / "usage.db").close()  # a store as queries leave it
            if rules:
                (home / ".llm-router" / "routing.yaml").write_text(generated_policy(rules))
            argv = [python, "-c", HOOK_CODE, host] if args.clean else hook_argv(host)
            stdin = (FIXTURES / host / f"{fixture}.json").read_bytes()
            env = _env(home, extra)
            if label == SERVED:
                stack.enter_context(warm_server(python, env))
            turn = (FIXTURES / host / f"{PROMPT_FIXTURE[host]}.json").read_bytes()
            _once(argv, turn, env)  # the turn's state, as a session has it
            cases.append((label, argv, stdin, env))
        for _label, argv, stdin, env in cases:
            _once(argv, stdin, env)  # warm the policy cache and usage.db
        time.sleep(2.1)  # files written just now are checked by content until they are older than that
        for _label, argv, stdin, env in cases:
            _once(argv, stdin, env)  # ... after which the cache entry records their signatures
        runs: list[tuple[str, list[str], bytes, dict[str, str] | None]] = [
            (BASELINES[0], [python, "-c", "pass"], b"", None),
            (BASELINES[1], [python, "-I", "-c", "pass"], b"", None),
            *cases,
        ]
        wall: dict[str, list[float]] = {r[0]: [] for r in runs}
        cpu: dict[str, list[float]] = {r[0]: [] for r in runs}
        for _ in range(args.runs):
            for label, argv, stdin, env in runs:
                w, c = _once(argv, stdin, env)
                wall[label].append(w)
                cpu[label].append(c)
        med_wall = {k: statistics.median(v) for k, v in wall.items()}
        med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
        load = os.getloadavg() if hasattr(os, "getloadavg") else None
        report = {
            "python": python if not args.clean else f"clean venv of {sys.executable}",
            "command": " ".join(cases[0][1][:-1]) + " HOST",
            "runs": args.runs,
            "load_average": [round(x, 2) for x in load] if load else None,
            "median_wall_ms": {k: round(v, 1) for k, v in med_wall.items()},
            "median_cpu_ms": {k: round(v, 1) for k, v in med_cpu.items()},
            "ratio_wall": {b: {k: round(v / med_wall[b], 2) for k, v in med_wall.items()} for b in BASELINES},
            "ratio_cpu": {b: {k: round(v / med_cpu[b], 2) for k, v in med_cpu.items()} for b in BASELINES},
        }
        rules, built = "claude UserPromptSubmit, 1,000 user rules", "claude UserPromptSubmit, no provider"
        report["rules1000_over_builtin"] = {
            "wall": round(med_wall[rules] / med_wall[built], 2),
            "cpu": round(med_cpu[rules] / med_cpu[built], 2),
        }
        if args.server:
            report["served_over_in_process_wall"] = round(
                med_wall[SERVED] / med_wall["claude UserPromptSubmit, routed (smart)"], 2
            )
        if args.importtime:
            label, argv, stdin, env = cases[1]
            mods = imported(argv, stdin, env)
            report["imports"] = mods
            report["heavy_imports"] = [m for m in mods if m in HEAVY]
    if args.json:
        print(json.dumps(report, indent=2))
        return
    load = report["load_average"]
    print(f"hook command: {report['command']}  ({args.runs} runs each, interleaved; load average {load})")
    print(f"  {'':<44} {'wall ms':>8} {'x -c':>6} {'x -I':>6}   {'CPU ms':>7} {'x -c':>6} {'x -I':>6}")
    for key in med_wall:
        rw = [report["ratio_wall"][b][key] for b in BASELINES]
        rc = [report["ratio_cpu"][b][key] for b in BASELINES]
        walls = f"{med_wall[key]:8.1f} {rw[0]:6.2f} {rw[1]:6.2f}"
        print(f"  {key:<44} {walls}   {med_cpu[key]:7.1f} {rc[0]:6.2f} {rc[1]:6.2f}")
    r = report["rules1000_over_builtin"]
    print(f"1,000-rule user policy over the built-in one (prompt hook): wall {r['wall']}x, CPU {r['cpu']}x")
    if args.server:
        ratio = report["served_over_in_process_wall"]
        print(f"routed prompt hook with the warm server over in-process: wall {ratio}x")
    if args.importtime:
        print("heavy imports in the routed prompt hook:", ", ".join(report["heavy_imports"]) or "none")


if __name__ == "__main__":
    main()
