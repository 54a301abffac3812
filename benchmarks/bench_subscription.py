"""Time the Claude subscription estimate over synthetic transcripts: a first scan, a refresh with nothing new,
a refresh after one appended line, and the summary read a decision does; the first scan also as a ratio
against the bare baseline of reading the same files and `json.loads`-ing every line, in the same run.

Usage: python benchmarks/bench_subscription.py [--responses N] [--files N] [--repeat N] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from llm_router.subscription import estimate


def make_transcripts(root: Path, responses: int, files: int) -> int:
    """Write `responses` assistant lines (3 KB of text each) and a prompt every 5th, over `files` files, in
    the last three days; returns the bytes written."""
    folder = root / ".claude" / "projects" / "-bench"
    folder.mkdir(parents=True)
    start = time.time() - 3 * 86400
    lines: list[list[str]] = [[] for _ in range(files)]
    for i in range(responses):
        when = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(start + i * 10))
        out = lines[i % files]
        if i % 5 == 0:
            prompt = {
                "type": "user",
                "uuid": f"u{i}",
                "timestamp": when,
                "message": {"content": "do it " * 30},
            }
            out.append(json.dumps(prompt))
        usage = {"input_tokens": 10, "output_tokens": 100, "cache_read_input_tokens": 1000}
        message = {"id": f"msg_{i}", "model": "claude-sonnet-4-5", "content": [{"text": "x" * 3000}]}
        out.append(
            json.dumps({"type": "assistant", "timestamp": when, "message": message | {"usage": usage}})
        )
    size = 0
    for n, chunk in enumerate(lines):
        text = "\n".join(chunk) + "\n"
        (folder / f"s{n}.jsonl").write_text(text)
        size += len(text)
    return size


def baseline(root: Path) -> float:
    """Seconds to read every transcript line and json.loads it: the least a scan could do."""
    started = time.perf_counter()
    for path in (root / ".claude" / "projects").rglob("*.jsonl"):
        with path.open("rb") as handle:
            for line in handle:
                json.loads(line)
    return time.perf_counter() - started


def timed(call: Any) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--responses", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        size = make_transcripts(root, args.responses, args.files)
        home, env = root / ".llm-router", {"HOME": str(root)}
        active = root / ".claude" / "projects" / "-bench" / "s0.jsonl"
        runs: dict[str, list[float]] = {
            "baseline": [],
            "first": [],
            "unchanged": [],
            "one_line": [],
            "read": [],
        }
        for r in range(args.repeat):
            runs["baseline"].append(baseline(root))
            estimate.forget(home)
            runs["first"].append(timed(lambda: estimate.refresh(home, env, time.time())))
            runs["unchanged"].append(timed(lambda: estimate.refresh(home, env, time.time())))
            line = {"type": "assistant", "timestamp": "2026-01-01T00:00:00Z"}
            line["message"] = {"id": f"msg_new{r}", "model": "claude-opus-4-5", "usage": {"input_tokens": 1}}
            with active.open("a") as handle:
                handle.write(json.dumps(line) + "\n")
            runs["one_line"].append(timed(lambda: estimate.refresh(home, env, time.time())))
            runs["read"].append(timed(lambda: estimate.read_summary(home)))
    medians = {k: statistics.median(v) for k, v in runs.items()}
    report = {
        "transcript_bytes": size,
        "responses": args.responses,
        "median_s": {k: round(v, 5) for k, v in medians.items()},
        "first_scan_vs_baseline": round(medians["first"] / medians["baseline"], 2),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"{size / 2**20:.0f} MiB of transcripts, {args.responses:,} responses, median of {args.repeat} runs"
    )
    print(f"  read + json.loads every line  {medians['baseline']:.3f} s (baseline)")
    print(f"  first scan                    {medians['first']:.3f} s ({report['first_scan_vs_baseline']}x)")
    print(f"  refresh, nothing new          {medians['unchanged'] * 1000:.1f} ms")
    print(f"  refresh after one new line    {medians['one_line'] * 1000:.1f} ms")
    print(f"  a decision's summary read     {medians['read'] * 1000:.2f} ms")


if __name__ == "__main__":
    main()
