"""Read Claude Code's transcripts (`<claude dir>/projects/**/*.jsonl`) for usage: bounded, incremental, local.

Only what counts against a subscription is taken from each line: the time, the model and the `message.usage`
token fields of an assistant response, and the time of each prompt the user typed. Nothing else of a
transcript (no text, no tool output) is kept, and no credential file is opened. The shape, as Claude Code
writes it (one JSON object a line; see tests/fixtures/claude-transcripts):

    {"type": "user", "uuid": "...", "timestamp": "2026-05-26T07:27:40.079Z", "isSidechain": false,
     "message": {"role": "user", "content": "the prompt"}}
    {"type": "assistant", "uuid": "...", "requestId": "req_...", "timestamp": "...",
     "message": {"id": "msg_...", "model": "claude-opus-4-5-20251101", "stop_reason": "end_turn",
                 "usage": {"input_tokens": 3, "output_tokens": 14, "cache_creation_input_tokens": 1033,
                           "cache_read_input_tokens": 28193}}}

Tool results come back as `type: user` lines whose content holds `tool_result` blocks: they are not prompts.
A streamed response may be written several times under one `message.id` with growing usage; the caller
keeps the largest figures per id. Subagents' files (`<session>/subagents/agent-*.jsonl`) are read too.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, NamedTuple

from llm_router import jsonio

MAX_FILES = 5000  # transcript files looked at per scan (the most recently modified first)
MAX_DEPTH = 4  # projects/<project>/<session>/subagents/<file>.jsonl
READ_BUDGET = 64 << 20  # bytes read per scan, over all files; the rest waits for the next scan
FILE_TAIL = 32 << 20  # of a file seen for the first time, only its last 32 MiB are read
MAX_LINE = 4 << 20  # a longer line (a huge tool result) is skipped unread; keep it under a decision's budget
CHUNK = 1 << 20
# Claude Code's lines nest a few levels deep; a run of this many brackets is no transcript line, and is
# skipped without parsing (json.loads would spend its recursion limit on it, then raise RecursionError).
_ABSURD_NESTING = re.compile(rb"[\[{](?:\s*[\[{]){63}")

TOKEN_FIELDS = (
    ("input", "input_tokens"),
    ("output", "output_tokens"),
    ("cache_creation", "cache_creation_input_tokens"),
    ("cache_read", "cache_read_input_tokens"),
)


class Entry(NamedTuple):
    """One response (with its usage) or one prompt, as much of a transcript line as is kept."""

    key: str  # message.id of a response, uuid of a prompt: the same entry in two files counts once
    time: float  # epoch seconds
    kind: str  # response | prompt
    model: str = ""  # a response's model
    tokens: tuple[int, int, int, int] = (0, 0, 0, 0)  # input, output, cache_creation, cache_read


def roots(env: Mapping[str, str]) -> list[str]:
    """The `projects` folders of Claude Code's data: `$CLAUDE_CONFIG_DIR` (a comma-separated list) when set,
    else `~/.claude` and `~/.config/claude` (where Claude Code keeps them), those that exist."""
    explicit = (env.get("CLAUDE_CONFIG_DIR") or "").strip()
    home = env.get("HOME") or os.path.expanduser("~")
    bases = (
        [os.path.expanduser(p.strip()) for p in explicit.split(",") if p.strip()]
        if explicit
        else [os.path.join(home, ".claude"), os.path.join(home, ".config", "claude")]
    )
    return [p for p in (os.path.join(b, "projects") for b in bases) if os.path.isdir(p)]


def transcript_files(folders: list[str], since: float) -> list[tuple[str, os.stat_result]]:
    """`*.jsonl` regular files under `folders` modified since `since`, newest first, at most MAX_FILES.
    Symbolic links are not followed, and the walk goes MAX_DEPTH folders deep at most."""
    found: list[tuple[str, os.stat_result]] = []

    def walk(folder: str, depth: int) -> None:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if depth < MAX_DEPTH:
                        walk(entry.path, depth + 1)
                elif entry.name.endswith(".jsonl") and entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                    if stat.S_ISREG(st.st_mode) and st.st_mtime >= since:
                        found.append((entry.path, st))
            except OSError:
                continue

    for folder in folders:
        walk(folder, 1)
    found.sort(key=lambda item: item[1].st_mtime, reverse=True)
    return found[:MAX_FILES]


def parse_time(text: Any) -> float | None:
    """Epoch seconds of an ISO 8601 timestamp such as `2026-05-26T07:27:40.079Z`; None if it is not one."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:  # Claude Code writes UTC with a Z; a bare time is taken as UTC too
        return moment.replace(tzinfo=_UTC).timestamp()
    return moment.timestamp()


def entry_of(line: bytes) -> Entry | None:
    """The Entry a transcript line holds, or None (other kinds of line, tool results, broken JSON)."""
    # Cheap tests first: most lines are neither a prompt nor a response with usage.
    if b'"usage"' not in line and b'"user"' not in line:
        return None
    if _ABSURD_NESTING.search(line):
        return None
    try:
        data = jsonio.loads(line)
    except ValueError:  # broken (not UTF-8 or not JSON), or nested deeper than the parser goes
        return None
    if not isinstance(data, dict):
        return None
    message = data.get("message")
    if not isinstance(message, dict):
        return None
    when = parse_time(data.get("timestamp"))
    if when is None:
        return None
    kind = data.get("type")
    if kind == "assistant":
        usage, model = message.get("usage"), message.get("model")
        if not isinstance(usage, dict) or not isinstance(model, str) or model == "<synthetic>":
            return None
        key = message.get("id") or data.get("uuid")
        if not isinstance(key, str):
            return None
        tokens = tuple(_count(usage.get(field)) for _, field in TOKEN_FIELDS)
        return Entry(key, when, "response", model[:100], tokens)  # type: ignore[arg-type]
    if kind == "user" and _is_prompt(data, message):
        key = data.get("uuid")
        return Entry(key, when, "prompt") if isinstance(key, str) else None
    return None


def _is_prompt(data: Mapping[str, Any], message: Mapping[str, Any]) -> bool:
    """A line the user typed: not a tool result, not a subagent's task, not Claude Code's own meta lines."""
    if data.get("isSidechain") or data.get("isMeta") or data.get("isCompactSummary"):
        return False
    content = message.get("content")
    if isinstance(content, str):
        return bool(content.strip())
    if isinstance(content, list):
        kinds = {block.get("type") for block in content if isinstance(block, dict)}
        return "tool_result" not in kinds and bool(kinds & {"text", "image"})
    return False


def _count(value: Any) -> int:
    return value if isinstance(value, int) and 0 <= value < 1 << 40 else 0


class FileState(NamedTuple):
    """How far one transcript has been read."""

    ino: int
    size: int
    offset: int  # the byte after the last complete line read, or how far an overlong line was skipped
    mid_line: int = 0  # 1: offset is inside a line (skipped, or the tail's cut): skip to its end first

    def to_list(self) -> list[int]:
        return [self.ino, self.size, self.offset, self.mid_line]

    @classmethod
    def of(cls, kept: Any) -> FileState | None:
        """The state kept as `to_list` wrote it, or None when it is not that (read the file afresh)."""
        if isinstance(kept, list) and len(kept) in (3, 4) and all(type(v) is int and v >= 0 for v in kept):
            return cls(kept[0], kept[1], kept[2], 1 if kept[3:] and kept[3] else 0)
        return None


def read_new(
    path: str, st: os.stat_result, before: FileState | None, budget: int
) -> tuple[list[Entry], FileState, int, bool]:
    """The entries of `path` past what `before` read (from the start when the file was replaced or cut
    short, from its last FILE_TAIL bytes when it is new), reading at most `budget` bytes. Returns the
    entries, the new state, the bytes read, and whether the budget stopped the read before the end. Only
    complete lines are taken; a partial last line waits for its end."""
    if before is not None and before.ino == st.st_ino and before.offset <= st.st_size:
        start, skip_partial = before.offset, bool(before.mid_line)
    else:
        start = max(0, st.st_size - FILE_TAIL)
        skip_partial = start > 0
    limit = min(budget, st.st_size - start)
    if limit <= 0:
        return [], FileState(st.st_ino, st.st_size, start, int(skip_partial)), 0, False
    entries: list[Entry] = []
    offset = start
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return [], before or FileState(st.st_ino, st.st_size, start), 0, False
    try:
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return [], FileState(st.st_ino, st.st_size, st.st_size), 0, False
            handle.seek(start)
            for line, end in _lines(handle, start, limit):
                offset = end
                if line is None:  # the read ended inside an overlong line, skipped as far as `end`
                    skip_partial = True
                    continue
                if skip_partial:
                    skip_partial = False
                    continue
                entry = entry_of(line) if line else None
                if entry is not None:
                    entries.append(entry)
    except OSError:  # the file failed part-way: keep what was read, try the rest on the next scan
        return entries, FileState(st.st_ino, st.st_size, offset, int(skip_partial)), limit, False
    after = FileState(st.st_ino, st.st_size, offset, int(skip_partial))
    return entries, after, limit, limit < st.st_size - start


def _lines(handle: Any, start: int, limit: int) -> Iterator[tuple[bytes | None, int]]:
    """Complete lines (without their newline) and the offset just after each, reading at most `limit`
    bytes; a line longer than MAX_LINE comes back empty (skipped unread as far as possible). When the read
    ends inside such a line, a last (None, offset) says how far it was skipped, so that the next read goes on
    from there instead of reading it again (a line longer than the budget would stop the scan for good)."""
    position, pending, read, dropping = start, b"", 0, False
    while read < limit:
        chunk = handle.read(min(CHUNK, limit - read))
        if not chunk:
            break
        read += len(chunk)
        buffer = pending + chunk if pending else chunk
        at = 0
        while True:
            cut = buffer.find(b"\n", at)
            if cut < 0:
                break
            line = buffer[at:cut]
            position += cut + 1 - at
            at = cut + 1
            yield (b"" if dropping or len(line) > MAX_LINE else line), position
            dropping = False
        pending = buffer[at:]
        if len(pending) > MAX_LINE:  # the rest of this line is skipped: keep nothing of it
            position += len(pending)
            pending, dropping = b"", True
    if dropping:
        yield None, position


_UTC = datetime.fromisoformat("2000-01-01T00:00:00+00:00").tzinfo
