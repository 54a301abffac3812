"""The prompt a command works on: its argument, or stdin when the argument is `-` or left out."""

from __future__ import annotations

import sys

import click

MAX_PROMPT_BYTES = 16 << 20  # a prompt read from stdin; a larger one is refused, not read on


def read_prompt(prompt: str | None, alternatives: str = "") -> str:
    """`prompt`, or stdin when it is `-` or None and stdin is not a terminal. An empty (or blank) prompt is a
    usage error (exit 2); `alternatives` names other ways the command can be used, for that message."""
    how = f"give a PROMPT, or `-` to read it from stdin{alternatives}"
    if prompt is None or prompt == "-":
        stdin = sys.stdin
        if stdin is None or stdin.isatty():
            raise click.UsageError(how)
        prompt = stdin.read(MAX_PROMPT_BYTES + 1)
        if len(prompt) > MAX_PROMPT_BYTES:
            raise click.UsageError(f"the prompt on stdin is longer than {MAX_PROMPT_BYTES >> 20} MB")
    if not prompt.strip():
        raise click.UsageError(
            f"the prompt is empty: give a PROMPT, or `-` to read it from stdin{alternatives}"
        )
    return prompt
