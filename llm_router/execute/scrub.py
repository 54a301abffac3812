"""Masking API keys in text before it is printed or stored."""

from __future__ import annotations

import re
from collections.abc import Iterable

_PATTERNS = re.compile(
    r"(sk-[A-Za-z0-9_\-]{8,}|AIza[0-9A-Za-z_\-]{20,}|xai-[A-Za-z0-9]{8,}|gsk_[A-Za-z0-9]{8,}|hf_[A-Za-z0-9]{8,}"
    r"|(?i:bearer)\s+[A-Za-z0-9_\-\.]{8,})"
)


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with each known secret and anything shaped like an API key replaced by `***`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _PATTERNS.sub("***", text)
