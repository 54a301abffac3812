"""Claude subscription use per hour and model, and the windows a plan's limits apply to: the current
5-hour window and the last seven days. Pure: entries and times in, figures out.

A 5-hour window opens at the first message after the previous window closed, counted from the start of that
message's hour (as Claude's own windows and ccusage's blocks are), and closes five hours later. Windows start
and end on the hour, so hourly figures place every message in its window exactly; the week counts the hours
that overlap its last seven days.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from llm_router.subscription.transcripts import TOKEN_FIELDS, Entry

WINDOW_S = 5 * 3600
WEEK_S = 7 * 86400
KEEP_S = WEEK_S + 3600  # what the scan state keeps: a week and an hour
FIELDS = (*(name for name, _ in TOKEN_FIELDS), "messages")  # a bucket's figures, in this order
UNKNOWN = "unknown"  # the model of a prompt whose session has not answered yet


def empty_usage() -> dict[str, Any]:
    """The scan state with nothing counted: hour -> model -> figures, entries by key, prompts waiting."""
    return {"hours": {}, "seen": {}, "waiting": {}}


def add(usage: dict[str, Any], source: str, entries: Iterable[Entry]) -> None:
    """Count `entries` of one transcript file into `usage`.

    A response already counted (the same message.id, from a streamed rewrite or another file) adds only what
    its figures grew by. A prompt counts for the model that answers it: the next response of its file.
    """
    hours: dict[str, dict[str, list[int]]] = usage["hours"]
    seen: dict[str, list[Any]] = usage["seen"]
    waiting: list[list[Any]] = usage["waiting"].setdefault(source, [])
    for e in entries:
        hour = str(int(e.time // 3600) * 3600)
        if e.kind == "response":
            before = seen.get(e.key)
            if before is None:
                seen[e.key] = [int(hour), *e.tokens]
                delta = list(e.tokens)
            else:
                hour = str(before[0])
                delta = [max(0, new - old) for new, old in zip(e.tokens, before[1:], strict=True)]
                before[1:] = [max(new, old) for new, old in zip(e.tokens, before[1:], strict=True)]
            if any(delta):
                _bump(hours, hour, e.model, delta + [0])
            for prompt_hour, _key in waiting:
                _bump(hours, str(prompt_hour), e.model, [0, 0, 0, 0, 1])
            waiting.clear()
        elif e.key not in seen:
            seen[e.key] = [int(hour)]
            waiting.append([int(hour), e.key])


def _bump(hours: dict[str, dict[str, list[int]]], hour: str, model: str, delta: list[int]) -> None:
    row = hours.setdefault(hour, {}).setdefault(model, [0] * len(FIELDS))
    for i, value in enumerate(delta):
        row[i] += value


def prune(usage: dict[str, Any], now: float, live_sources: Iterable[str]) -> None:
    """Forget what is older than KEEP_S, and the waiting prompts of files no longer there."""
    cutoff = now - KEEP_S
    usage["hours"] = {h: v for h, v in usage["hours"].items() if int(h) >= cutoff}
    if "seen" in usage:  # loaded only when there was something new to count
        usage["seen"] = {k: v for k, v in usage["seen"].items() if v[0] >= cutoff}
    live = set(live_sources)
    usage["waiting"] = {
        src: [w for w in rows if w[0] >= cutoff] for src, rows in usage["waiting"].items() if src in live
    }


def _with_waiting(usage: Mapping[str, Any]) -> dict[int, dict[str, list[int]]]:
    """Hourly figures keyed by int, with prompts not answered yet counted under UNKNOWN."""
    out = {int(h): {model: list(v) for model, v in row.items()} for h, row in usage["hours"].items()}
    for rows in usage["waiting"].values():
        for hour, _key in rows:
            row = out.setdefault(int(hour), {}).setdefault(UNKNOWN, [0] * len(FIELDS))
            row[-1] += 1
    return out


def current_window(active_hours: Iterable[int], now: float) -> tuple[float, float] | None:
    """(start, end) of the 5-hour window `now` falls in, from the hours that saw use; None when none is
    open."""
    start = end = None
    for hour in sorted(active_hours):
        if hour > now:
            break
        if end is None or hour >= end:
            start = hour - hour % 3600
            end = start + WINDOW_S
    if start is None or end is None or now >= end:
        return None
    return float(start), float(end)


def summary(usage: Mapping[str, Any], now: float) -> dict[str, Any]:
    """The figures per model of the current 5-hour window and of the last seven days."""
    buckets = _with_waiting(usage)
    window = current_window((h for h, row in buckets.items() if _active(row)), now)
    five: dict[str, list[int]] = {}
    week: dict[str, list[int]] = {}
    for hour, row in buckets.items():
        for model, figures in row.items():
            if now - WEEK_S < hour + 3600 and hour <= now:
                _sum_into(week, model, figures)
            if window is not None and window[0] <= hour < window[1]:
                _sum_into(five, model, figures)
    return {
        "five_hour": {
            "start": window[0] if window else None,
            "end": window[1] if window else None,
            "models": {m: dict(zip(FIELDS, v, strict=True)) for m, v in sorted(five.items())},
        },
        "week": {
            "since": now - WEEK_S,
            "models": {m: dict(zip(FIELDS, v, strict=True)) for m, v in sorted(week.items())},
        },
    }


def _active(row: Mapping[str, list[int]]) -> bool:
    return any(any(v) for v in row.values())


def _sum_into(into: dict[str, list[int]], model: str, figures: list[int]) -> None:
    row = into.setdefault(model, [0] * len(FIELDS))
    for i, value in enumerate(figures):
        row[i] += value


def used(window: Mapping[str, Any], unit: str, token_kinds: Iterable[str], model: str | None) -> float:
    """What a window's figures count against a limit: tokens of `token_kinds`, or messages; only models
    whose id contains `model` when it is given."""
    kinds = ["messages"] if unit == "messages" else list(token_kinds)
    total = 0
    for name, figures in (window.get("models") or {}).items():
        if model and model not in name:
            continue
        total += sum(int(figures.get(k, 0)) for k in kinds)
    return float(total)
