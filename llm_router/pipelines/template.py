"""The prompt templates of pipeline steps: `{name}` placeholders filled from a flat table of strings.

Deliberately small and safe: a placeholder is a dotted name (`{topic}`, `{steps.plan.output}`), looked up as
a whole key in a dict of strings; nothing is evaluated, no attribute or index is followed, and a filled-in
value is never scanned again. `{{` and `}}` are literal braces; any other brace (a JSON example in a prompt)
is left as it is. Every value, and the prompt as a whole, is cut to a stated size.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

NAME = r"[a-z][a-z0-9_]*(?:\.[a-z0-9][a-z0-9_-]*)*"
_TOKEN = re.compile(r"\{\{|\}\}|\{(" + NAME + r")\}")


class Part(NamedTuple):
    """Literal text, or a placeholder (`name` set) at `offset` in the template."""

    text: str
    name: str | None = None
    offset: int = 0


class Template(NamedTuple):
    source: str
    parts: tuple[Part, ...]

    @property
    def names(self) -> list[Part]:
        """The placeholders, in order (with their offsets, for located errors)."""
        return [p for p in self.parts if p.name is not None]

    def render(self, values: Mapping[str, str], value_limit: int, total_limit: int) -> str:
        """The template filled from `values` (each cut to `value_limit` characters), cut to `total_limit`.
        A name missing from `values` is a KeyError (the loader checks names before anything runs).

        Text stops being put together once past `total_limit` (the rest is only measured, for the note of how
        much was cut): thousands of placeholders of a large value never fill more than the limit."""
        out: list[str] = []
        built = full = 0  # characters put together; characters the whole prompt would have
        for part in self.parts:
            text = part.text if part.name is None else values[part.name]
            length = len(text) if part.name is None else _cut_length(text, value_limit)
            if built <= total_limit:
                piece = text if part.name is None else cut(text, value_limit)
                out.append(piece[: total_limit + 1 - built])
                built += len(out[-1])
            full += length
        joined = "".join(out)
        if full <= total_limit:
            return joined
        return f"{joined[:total_limit]}\n[... {full - total_limit:,} more characters cut]"


def compile_template(source: str) -> Template:
    """Split `source` into literal text and placeholders."""
    parts: list[Part] = []
    last = 0
    for m in _TOKEN.finditer(source):
        if m.start() > last:
            parts.append(Part(source[last : m.start()]))
        token = m.group(0)
        if token in ("{{", "}}"):
            parts.append(Part(token[0]))
        else:
            parts.append(Part("", m.group(1), m.start()))
        last = m.end()
    if last < len(source):
        parts.append(Part(source[last:]))
    return Template(source, tuple(parts))


def cut(text: str, limit: int) -> str:
    """`text`, or its first `limit` characters and a note of how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n[... {len(text) - limit:,} more characters cut]"


def _cut_length(text: str, limit: int) -> int:
    """len(cut(text, limit)), without making the cut text."""
    if len(text) <= limit:
        return len(text)
    return limit + len(f"\n[... {len(text) - limit:,} more characters cut]")
