"""What a `when:` expression may spend while it runs, and the operators and functions that spend it.

A compiled expression calls these in place of Python's `+`, `*`, slicing, str methods and the registered
functions (expr.py rewrites the tree so). Each evaluation has an allowance of units (one per character read
or built, more per list element built) and of CPU seconds spent in user regexes; a rule gets at most
RULE_UNITS and RULE_REGEX_S, a decision at most DECISION_UNITS and DECISION_REGEX_S over all its rules. A rule
that runs out raises ExprBudgetError: it counts as not matching, and the trace says why.

Everything here is checked inside the functions a compiled code object calls, never by re-reading the
source, so code objects can be cached as they are.
"""

from __future__ import annotations

import time
from _thread import _local  # threading.local without importing threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = [
    "DECISION_REGEX_S",
    "DECISION_UNITS",
    "MATCH_SCAN",
    "MAX_REPEAT",
    "RULE_REGEX_S",
    "RULE_UNITS",
    "ExprBudgetError",
    "ExprRuntimeError",
    "Meter",
    "REGISTRY",
    "GLOBALS",
]

RULE_UNITS = 32_000_000  # ~32 MB built or read by one rule: a 1 MB prompt can be lowered, split, compared
DECISION_UNITS = 128_000_000
RULE_REGEX_S = 0.1  # CPU seconds in matches() per rule
DECISION_REGEX_S = 0.5
MAX_REPEAT = 100_000  # longest str/list that one `*` may build
MATCH_SCAN = 20_000  # characters of text that matches() looks at
ITEM_UNITS = 8  # a list or tuple element: one reference
NEW_STR_UNITS = 56  # a new str object in a list (split, words, lines) besides its characters


class ExprRuntimeError(Exception):
    """Evaluating a valid expression failed (a missing key, a type mismatch, a division by zero, ...)."""


class ExprBudgetError(ExprRuntimeError):
    """Evaluating an expression ran out of its allowance of work, memory or regex time."""


class Meter:
    """An allowance shared by the evaluations it is passed to (one decision's rules)."""

    __slots__ = ("units", "regex_s", "_units", "_regex_s")

    def __init__(self, units: int = DECISION_UNITS, regex_s: float = DECISION_REGEX_S):
        self.units = units
        self.regex_s = regex_s
        self._units, self._regex_s = 0, 0.0

    def enter(self) -> None:
        """Start one rule's evaluation on this thread: its share, or what is left if less (as `run` does)."""
        units, regex_s = self.units, self.regex_s
        if units >= RULE_UNITS:  # min(RULE_UNITS, units), without calling min (three times a decision)
            units = RULE_UNITS
        if regex_s >= RULE_REGEX_S:
            regex_s = RULE_REGEX_S
        self._units = _left.units = units
        self._regex_s = _left.regex_s = regex_s

    def leave(self) -> None:
        """End the rule's evaluation: what it spent is taken from this allowance."""
        self.units -= self._units - _left.units
        self.regex_s -= self._regex_s - _left.regex_s

    def __repr__(self) -> str:
        return f"Meter(units={self.units}, regex_s={self.regex_s:.3f})"


class _Allowance(_local):
    """What the evaluation running on this thread may still spend (set by `run`)."""

    units = RULE_UNITS
    regex_s = RULE_REGEX_S


_left = _Allowance()


def run(code: Any, env: dict[str, Any], ns: Any, meter: Meter | None) -> Any:
    """eval(code) with this rule's allowance: the rule's share, or what `meter` has left if less; what the
    rule spends is taken from `meter`."""
    units = RULE_UNITS if meter is None else min(RULE_UNITS, meter.units)
    regex_s = RULE_REGEX_S if meter is None else min(RULE_REGEX_S, meter.regex_s)
    left = _left
    left.units, left.regex_s = units, regex_s
    try:
        return eval(code, env, ns)  # noqa: S307 - a tree whitelisted by expr._Checker
    finally:
        if meter is not None:
            meter.units -= units - left.units
            meter.regex_s -= regex_s - left.regex_s


def _charge(units: int, what: str) -> None:
    left = _left.units - units
    if left < 0:
        raise ExprBudgetError(f"{what} needs {units:,} units of work, {max(_left.units, 0):,} are left")
    _left.units = left


def _size(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list | tuple | set | frozenset):
        return ITEM_UNITS * len(value)
    return 0


# --- operators -------------------------------------------------------------------------------------------


def add(a: Any, b: Any) -> Any:
    """a + b; a string, list or tuple built this way is paid for."""
    if isinstance(a, str | list | tuple) and isinstance(b, str | list | tuple):
        _charge(_size(a) + _size(b), "+")
    return a + b


def mul(a: Any, b: Any) -> Any:
    """a * b; repeating a string or list builds at most MAX_REPEAT items, and they are paid for."""
    for seq, n in ((a, b), (b, a)):
        if isinstance(seq, str | bytes | list | tuple) and isinstance(n, int):
            if len(seq) * n > MAX_REPEAT:
                raise ExprBudgetError(f"repetition would build more than {MAX_REPEAT:,} items")
            _charge(max(_size(seq) * n, 0), "*")
    return a * b


def mod(a: Any, b: Any) -> Any:
    """a % b for numbers only (%-formatting could build any string)."""
    if isinstance(a, str | bytes):
        raise TypeError("%-formatting of strings is not allowed")
    return a % b


def slice_of(value: Any, lower: Any, upper: Any, step: Any) -> Any:
    """value[lower:upper:step]; the copy is paid for."""
    if isinstance(value, str | list | tuple):
        count = len(range(*slice(lower, upper, step).indices(len(value))))
        _charge(count if isinstance(value, str) else ITEM_UNITS * count, "a slice")
    return value[lower:upper:step]


# method -> does it read the whole receiver (and build a copy of it)?
_SCANS = {
    "lower": True,
    "upper": True,
    "strip": True,
    "lstrip": True,
    "rstrip": True,
    "split": True,
    "count": True,
    "find": True,
    "startswith": False,
    "endswith": False,
}


def method(obj: Any, name: str, *args: Any) -> Any:
    """obj.name(*args) for the whitelisted str methods; reading and copying the receiver is paid for."""
    if _SCANS[name]:
        _charge(_size(obj), f".{name}()")
    result = getattr(obj, name)(*args)
    if name == "split":
        _charge(NEW_STR_UNITS * len(result) + ITEM_UNITS * len(result), ".split()")
    return result


# --- the registered functions ------------------------------------------------------------------------------


def matches(text: str, pattern: str) -> bool:
    """True when the regex finds a match in the first 20,000 characters of text (case-insensitive)."""
    try:
        compiled = _user_regex(pattern)
    except Exception as exc:  # noqa: BLE001 - a PatternError (patterns.py is imported on first use only)
        if getattr(exc, "code", "") == "too-large":
            raise ExprBudgetError(f"matches(): {exc}") from None
        raise ValueError(str(exc)) from None
    allowance = _left.regex_s
    if allowance < 0.001:
        raise ExprBudgetError("matches(): no regex time left for this rule or decision")
    start = time.perf_counter()  # 0.1 µs to read, where CPU time costs 2 µs
    try:
        found = compiled.search(text[:MATCH_SCAN], timeout=allowance) is not None
    except TimeoutError:
        _left.regex_s = 0.0  # all of it, as the regex module counts CPU time
        raise ExprBudgetError(
            f"matches(): the pattern {pattern[:60]!r} ran out of {allowance:.2f} s of CPU time"
        ) from None
    _left.regex_s = allowance - (time.perf_counter() - start)  # elapsed time: at least the CPU time
    return found


def _user_regex(pattern: str) -> Any:
    """The pattern compiled by patterns.compile_user (imported, with the regex module, on first use)."""
    from llm_router.policy.patterns import compile_user

    return compile_user(pattern, ignorecase=True)


def contains(text: str, *subs: str) -> bool:
    """True when text contains any of subs, ignoring case."""
    _charge(_size(text) * (1 + len(subs)), "contains()")
    folded = text.lower()
    return any(s.lower() in folded for s in subs)


def startswith(text: str, prefix: str) -> bool:
    """True when text starts with prefix, ignoring case and leading whitespace; only the opening of the text
    is read (and paid for), however long it is."""
    if not isinstance(text, str) or not isinstance(prefix, str):
        return text.lstrip().lower().startswith(prefix.lower())  # type: ignore[no-any-return]  # its error
    found, read = _opening(text, prefix)
    _charge(2 * read, "startswith()")
    return found


def starts_with(text: str, prefix: str, read: list[int] | None = None) -> bool:
    """`text.lstrip().lower().startswith(prefix.lower())`, reading only the opening of `text`: its leading
    whitespace and a few characters more than `prefix` (lowering a character depends on its neighbours only
    for a capital sigma, which makes it read on to the end). `read` gets the number of characters read."""
    found, count = _opening(text, prefix)
    if read is not None:
        read[0] = count
    return found


def _opening(text: str, prefix: str) -> tuple[bool, int]:
    """`starts_with`: whether it does, and how many characters of `text` were read."""
    want = prefix.lower()
    start, end = 0, len(text)
    while start < end and text[start].isspace():  # the leading whitespace, a block at a time
        block = text[start : start + 256]
        stripped = block.lstrip()
        start += len(block) - len(stripped)
        if stripped:
            break
    window = text[start : start + len(want) + 16]
    if "\u03a3" in window:
        window = text[start:]
    return window.lower().startswith(want), start + len(window)


def lower(text: str) -> str:
    """Text in lower case."""
    _charge(_size(text), "lower()")
    return text.lower()


def words(text: str) -> int:
    """The number of whitespace-separated words in text."""
    _charge(_size(text), "words()")
    count = len(text.split())
    _charge((NEW_STR_UNITS + ITEM_UNITS) * count, "words()")
    return count


def lines(text: str) -> int:
    """The number of lines in text (0 for empty text)."""
    _charge(_size(text), "lines()")
    count = len(text.splitlines())
    _charge((NEW_STR_UNITS + ITEM_UNITS) * count, "lines()")
    return count


def _round(number: float, ndigits: int | None = None) -> float:
    # round(5, -10**9) would compute 10**10**9; keep ndigits small.
    if ndigits is not None and not -20 <= ndigits <= 20:
        raise ValueError("round() ndigits must be between -20 and 20")
    return round(number, ndigits)


def _reading(fn: Callable[..., Any]) -> Callable[..., Any]:
    """fn, paying for iterating over its argument when it is given one sequence."""

    def metered(*args: Any) -> Any:
        if len(args) == 1:
            _charge(_size(args[0]), f"{fn.__name__}()")
        return fn(*args)

    metered.__name__ = fn.__name__
    metered.__doc__ = fn.__doc__
    return metered


# name -> (function, fewest positional arguments, most or None for no limit)
REGISTRY: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    "matches": (matches, 2, 2),
    "contains": (contains, 2, None),
    "startswith": (startswith, 2, 2),
    "lower": (lower, 1, 1),
    "len": (len, 1, 1),
    "min": (_reading(min), 1, None),
    "max": (_reading(max), 1, None),
    "abs": (abs, 1, 1),
    "round": (_round, 1, 2),
    "any": (_reading(any), 1, 1),
    "all": (_reading(all), 1, 1),
    "words": (words, 1, 1),
    "lines": (lines, 1, 1),
}
# Functions that cost nothing worth metering: an expression calling only these needs no allowance.
FREE = frozenset({"len", "abs", "round"})

# What compiled expressions run with as globals: no builtins, the metered operators and functions under
# names an expression cannot write (they start with underscores), and the error a rule's failure is.
GLOBALS: dict[str, Any] = {
    "__builtins__": {},
    "__add": add,
    "__mul": mul,
    "__mod": mod,
    "__slice": slice_of,
    "__method": method,
    "__error": Exception,
    **{f"__fn_{name}": entry[0] for name, entry in REGISTRY.items()},
}
