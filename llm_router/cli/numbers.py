"""How the CLI writes numbers for people: dollars with enough digits to tell small amounts apart, counts
with their noun in the right number."""

from __future__ import annotations

import math

_MAX_DECIMALS = 10


def usd(amount: float) -> str:
    """Dollars: cents from $1 up, three significant digits below (`$0.0123`, `$0.0000041`), `$0` for 0."""
    if amount == 0:
        return "$0"
    sign = "-" if amount < 0 else ""
    a = abs(amount)
    if a >= 1:
        return f"{sign}${a:,.2f}"
    decimals = min(_MAX_DECIMALS, 2 - math.floor(math.log10(a)))
    text = f"{a:.{decimals}f}".rstrip("0")
    if len(text.partition(".")[2]) < 2:
        text = f"{a:.2f}"
    return f"{sign}${text}" if float(text) else f"{sign}<${10**-_MAX_DECIMALS:.{_MAX_DECIMALS}f}"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """`1 call`, `2 calls`, `1,234 tokens`."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
