"""Report windows and report times: `since` as people write it, and times written as ISO 8601."""

from __future__ import annotations

import re
from datetime import datetime

from llm_router.store.state import period_start

SINCE_FORMS = "30m, 24h, 7d, 2w, today, week, month, all, or a date like 2026-05-01"


def parse_since(text: str | None, now: float) -> float | None:
    """Epoch seconds a report starts at: `30m`, `24h`, `7d`, `2w` back from `now`; the start of `today`
    (or `day`), this `week` or this `month` (local time); an ISO date or time (local); None for `all` or
    nothing. A ValueError names the accepted forms."""
    if text is None or not text.strip():
        return None
    text = text.strip().lower()
    if text == "all":
        return None
    if m := re.fullmatch(r"(\d+(?:\.\d+)?)\s*([mhdw])", text):
        unit = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}[m.group(2)]
        return now - float(m.group(1)) * unit
    if text in ("today", "day", "week", "month"):
        return period_start("day" if text == "today" else text, now)
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise ValueError(f"{text!r} is not a time: use {SINCE_FORMS}") from None


def iso_time(epoch: float | None) -> str | None:
    """Epoch seconds as local ISO 8601 with its UTC offset (`2026-05-01T09:30:00+02:00`); None stays None."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")
