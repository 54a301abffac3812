"""`llm-router route`: decide how a prompt would be routed, without running it."""

from __future__ import annotations

import codecs
import json
import select
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import click

from llm_router import jsonio
from llm_router.cli.common import CONFIG_OPTION, emit_json, emit_json_line
from llm_router.decision import HOSTS, NEUTRAL, Decision, Request


@click.command()
@click.argument("prompt", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
@click.option(
    "--host", type=click.Choice(HOSTS), default="cli", show_default=True, help="Decide as this host."
)
@CONFIG_OPTION
@click.option(
    "--batch",
    type=click.File("r", encoding="utf-8"),
    help='JSON lines {"prompt": ...} from FILE or - (stdin); one decision per line out.',
)
@click.option(
    "--trace",
    is_flag=True,
    help="In JSON, trace every rule considered (default: the rules that matched or failed).",
)
def route(
    prompt: str | None, as_json: bool, host: str, config: Path | None, batch: IO[str] | None, trace: bool
) -> None:
    """Decide how PROMPT would be routed: action, tier, chain, the deciding rule and why.

    PROMPT may be `-` (or left out with stdin not a terminal) to read it from stdin; an empty one is a usage
    error (exit 2). Nothing is sent to any model, except the second-stage classifier's when the policy
    enables `classifier.llm`. With --batch, decisions are printed as JSON lines; a line that is not a JSON
    object with a string "prompt" gives {"error": ..., "line": N} and exit code 1 at the end. A decision's
    JSON traces the rules that matched (the deciding one last) and any whose condition failed; --trace lists
    every rule considered, as `policy explain` does.
    """
    from llm_router import router
    from llm_router.cli.prompt import read_prompt

    if prompt is not None and batch is not None:
        raise click.UsageError("give either a PROMPT or --batch FILE, not both")
    settings = router.Settings(config=config)
    if batch is not None:
        sys.exit(_route_batch(batch, settings, host, trace))
    prompt = read_prompt(prompt, ", or --batch FILE")
    decision = router.decide(Request(prompt=prompt, host=host), settings=settings)
    if as_json:
        emit_json(decision.to_dict(full_trace=trace))
    else:
        click.echo(render(decision))


def _route_batch(lines: IO[str], settings: object, default_host: str, trace: bool = False) -> int:
    """Decide every line; the policy, the live state and what `router.decide` settles per call (a
    `router.Decider`) are made once for the whole batch."""
    from llm_router import router

    assert isinstance(settings, router.Settings)
    cp = router.load(settings)
    now = time.time()
    decide = router.Decider(cp, settings, now, router.live_state(cp, settings, now))
    stdout = sys.stdout
    scan, write, new = _scan, stdout.write, tuple.__new__
    failed = number = 0
    # Decisions go out in writes of _CHUNK lines, and all of them whenever the input has nothing more: a
    # write per line costs the writer and a reader at the other end of a pipe far more (each wakes the
    # reader), and a program feeding lines one at a time gets each answer before it sends the next.
    pending: list[str] = []

    def flush() -> None:
        if pending:
            pending.append("")
            write("\n".join(pending))
            pending.clear()

    def before_wait() -> None:  # the input has no more now: what was decided goes out before waiting
        flush()
        stdout.flush()

    try:
        for block in _blocks(lines, before_wait):
            for line in block:
                number += 1
                try:  # json.loads(line), without its checks, for a line that is one JSON value
                    item, end = scan(line, 0)
                    if end != len(line) and line[end:].strip(" \t\n\r"):
                        item = json.loads(line)  # raises json's own error
                except (StopIteration, ValueError, RecursionError):
                    if not line.strip():
                        continue
                    try:
                        item = json.loads(line)
                    except ValueError as exc:
                        failed += 1
                        flush()
                        emit_json_line({"error": f"not JSON: {exc}", "line": number})
                        continue
                if type(item) is not dict or type(prompt := item.get("prompt")) is not str:
                    if not isinstance(item, dict) or not isinstance(item.get("prompt"), str):
                        failed += 1
                        flush()
                        emit_json_line({"error": 'expected an object with a string "prompt"', "line": number})
                        continue
                    prompt = item["prompt"]
                host = item.get("host")
                if type(host) is not str or host not in _HOSTS:  # as `str(host) if host in HOSTS`
                    host = default_host
                session = item.get("session", "")
                request = new(
                    Request,
                    (
                        prompt,
                        host,
                        "route",
                        session if type(session) is str else str(session),
                        "",
                        "",
                        NEUTRAL,
                    ),
                )
                pending.append(decide(request).to_json(full_trace=trace))
                if len(pending) >= _CHUNK:
                    flush()
    finally:  # what was decided before an error goes out
        flush()
    return 1 if failed else 0


_scan = jsonio.scanner()
_CHUNK = 256  # decisions per write at most


def _blocks(lines: IO[str], before_wait: Callable[[], None]) -> Iterator[list[str]]:
    """The lines of `lines` (each with its newline, as iterating over it gives them: `\\r\\n` and `\\r`
    read as `\\n`), in the groups that arrived together: one read of what is there, up to 1 MiB.
    `before_wait` is called before a read that may have to wait for more input (what was decided goes out
    then, and not between reads that find input there already)."""
    buffer = getattr(lines, "buffer", None)
    raw = getattr(buffer, "raw", None)  # under the buffer, nothing of which has been read yet
    read = getattr(raw, "read", None) or getattr(buffer, "read1", None)
    if read is None:  # a text stream with no bytes under it (a StringIO): one line at a time
        for line in lines:
            yield [line]
        return
    fd = _fileno(raw)
    decoder = codecs.getincrementaldecoder(getattr(lines, "encoding", None) or "utf-8")(
        getattr(lines, "errors", None) or "strict"
    )
    rest = ""
    while True:
        if not _ready(fd):
            before_wait()
        data = read(1 << 20)
        if data is None:  # a non-blocking descriptor with nothing there yet
            _ready(fd, timeout=None)
            continue
        text = rest + decoder.decode(data, final=not data)
        if not data:
            if text:
                yield [text.replace("\r\n", "\n").replace("\r", "\n")]
            return
        held = ""
        if text.endswith("\r"):  # the \n of a \r\n may come with the next read
            text, held = text[:-1], "\r"
        parts = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        rest = parts.pop() + held
        if parts:
            yield [part + "\n" for part in parts]


def _fileno(stream: object) -> int | None:
    try:
        return int(stream.fileno())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return None


def _ready(fd: int | None, timeout: float | None = 0) -> bool:
    """Whether a read of `fd` would find input (or its end) without waiting; False when unknown."""
    if fd is None:
        return False
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    except (OSError, ValueError):  # not a descriptor select takes (Windows pipes): assume it would wait
        return False


_HOSTS = frozenset(HOSTS)


def render(d: Decision) -> str:
    """A decision as a few lines for a person."""
    head = d.action if d.action != "route" else f"route -> {d.tier}"
    lines = [f"{head}   (rule {d.rule} at {d.rule_location or '-'})"]
    if d.chain:
        marks = [f"{m} {'ok' if m in d.usable else 'x'}" for m in d.chain]
        lines.append("chain:  " + ", ".join(marks))
        if not d.usable:
            lines.append("usable: none now; " + "; ".join(sorted(set(d.unusable.values()))))
    lines.append(
        f"task: {d.task}   complexity: {d.complexity}   difficulty: {d.difficulty:.2f}   "
        f"confidence: {d.confidence:.1f}/10 (threshold {d.threshold:g})   tokens: {d.tokens}"
    )
    needs = [name for name, need in (("workspace", d.needs_workspace), ("tools", d.needs_tools)) if need]
    lines.append(f"needs: {', '.join(needs) or 'nothing beyond the prompt'}")
    lines.append(f"profile: {d.profile}   policy: {d.policy}   enforce: {d.enforce}   mode: {d.mode}")
    if d.reason:
        lines.append(f"reason: {d.reason}")
    if d.message:
        lines.append(f"message: {d.message}")
    return "\n".join(lines)
