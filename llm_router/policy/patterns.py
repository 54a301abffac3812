"""User-written regular expressions (`matches()` in rules, `match` in the classifier): checked when a policy
is compiled, run under a CPU-time limit, and searched for nested quantifiers that backtrack catastrophically.

Python's `re` cannot be interrupted once a search starts, so user patterns run on the `regex` module, whose
`timeout=` bounds the CPU time of one call (an iteration counts as one call). It costs 10-25 ms to import, so
it is imported on first use: a policy without user patterns never pays for it. The built-in classifier's own
patterns stay on `re`; a test keeps them free of nested quantifiers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

__all__ = [
    "MAX_PATTERN_CHARS",
    "MAX_PATTERN_UNITS",
    "PatternError",
    "UserPattern",
    "check",
    "compile_user",
    "nested_quantifiers",
]

MAX_PATTERN_CHARS = 2000  # characters of one user pattern
# What the regex module builds when it compiles a pattern grows with fixed repeat counts multiplied through
# their nesting: `(((a{100}){100}){100}){10}` takes 8 s and 3 GB to compile. Each atom counts once per
# repetition of everything around it; 50,000 compiles in well under 0.1 s.
MAX_PATTERN_UNITS = 50_000
LARGE_REPEAT = 10  # an outer quantifier that may repeat more often than this can backtrack catastrophically


class PatternError(Exception):
    """A user pattern that cannot be used: `code` is bad-regex or too-large, `pos` its 0-based position."""

    def __init__(self, code: str, message: str, pos: int = 0):
        super().__init__(message)
        self.code = code
        self.message = message
        self.pos = pos


def check(pattern: str, ignorecase: bool = False) -> None:
    """Raise PatternError unless `pattern` is a valid regex of a size the regex module compiles quickly."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise PatternError("too-large", f"a pattern longer than {MAX_PATTERN_CHARS} characters", 0)
    flags = re.IGNORECASE if ignorecase else 0
    try:
        re.compile(pattern, flags)
        from re import _parser  # type: ignore[attr-defined]  # `re.compile`'s own parser, loaded with `re`

        parsed = _parser.parse(pattern, flags)
    except re.error as exc:
        raise PatternError("bad-regex", f"invalid regular expression: {exc.msg}", exc.pos or 0) from None
    except RecursionError:
        raise PatternError("too-large", "a pattern nested too deeply", 0) from None
    units = _units(parsed)
    if units > MAX_PATTERN_UNITS:
        raise PatternError(
            "too-large",
            f"a pattern whose repeat counts multiply to {units:,} (at most {MAX_PATTERN_UNITS:,})",
            0,
        )


def _units(node: Any) -> int:
    """The size of a parsed pattern once fixed repeat counts are expanded, as the regex module does."""
    total = 0
    for op, av in node:
        if str(op) in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, body = av
            total += max(int(low), 1) * _units(body)
        else:
            total += 1 + sum(_units(child) for child in _subpatterns(av))
    return total


def _subpatterns(av: Any) -> Iterator[Any]:
    from re import _parser  # type: ignore[attr-defined]

    if isinstance(av, _parser.SubPattern):
        yield av
    elif isinstance(av, tuple | list):
        for item in av:
            yield from _subpatterns(item)


class UserPattern:
    """A user pattern with the interface the classifier uses (`search`, `finditer`), each call bounded by
    `timeout` seconds of CPU time; over it, the regex module raises TimeoutError."""

    __slots__ = ("pattern", "flags", "timeout", "_compiled")

    def __init__(self, pattern: str, ignorecase: bool = False, timeout: float = 0.05):
        self.pattern = pattern
        self.flags = re.IGNORECASE if ignorecase else 0
        self.timeout = timeout
        self._compiled: Any = None

    def _get(self) -> Any:
        if self._compiled is None:
            self._compiled = compile_user(self.pattern, bool(self.flags))
        return self._compiled

    def search(self, text: str) -> Any:
        """The first match in text, or None."""
        return self._get().search(text, timeout=self.timeout)

    def finditer(self, text: str) -> Iterator[Any]:
        """The matches in text, one by one; the whole iteration shares one timeout."""
        return self._get().finditer(text, timeout=self.timeout)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"UserPattern({self.pattern!r}, timeout={self.timeout})"


@lru_cache(maxsize=256)
def compile_user(pattern: str, ignorecase: bool = False) -> Any:
    """The pattern compiled by the regex module (re-compatible syntax); PatternError when it is invalid or
    too large."""
    check(pattern, ignorecase)
    import regex  # not on the hook path unless a policy uses a user pattern

    flags = regex.VERSION0 | (regex.IGNORECASE if ignorecase else 0)
    try:
        return regex.compile(pattern, flags)
    except regex.error as exc:
        raise PatternError(
            "bad-regex", f"invalid regular expression: {exc}", getattr(exc, "pos", 0) or 0
        ) from None


# --- nested quantifiers ------------------------------------------------------------------------------------

_CLASS_ESCAPES = set("wWdDsSbBAZ")
# What an atom (or an alternative) starts with: the set of characters it can start with, or _ANY when that
# is any character or unknown (a class, a dot, an optional atom, ...); None for an empty alternative.
_ANY: frozenset[str] = frozenset({"<any>"})
First = frozenset[str]


def nested_quantifiers(pattern: str) -> list[tuple[int, str]]:
    """(position, explanation) for each group that repeats without bound (or more than 10 times) and holds
    a variable-length repetition nothing delimits, like `(a+)+` and `(\\w+\\s?)*`, or alternatives that can
    start alike, like `(a|aa)*`. These make a backtracking engine take exponential time on a near-miss.

    A heuristic over the pattern's text, for warnings. Not reported: possessive quantifiers and atomic
    groups, which do not backtrack, and repetitions that a following character they cannot match delimits,
    like `(?:[\\w.-]+/)*` or `(?:,\\d+)*`. `pattern` must be a valid regex.
    """
    return _Scanner(pattern).run()


def _can_match(repeated: str, first: First) -> bool:
    """Whether the repeated atom (as regex text) can match a character `first` allows; yes when unsure."""
    if first is _ANY:
        return True
    try:
        return any(re.fullmatch(repeated, c, re.IGNORECASE | re.DOTALL) is not None for c in first)
    except re.error:
        return True


class _Group:
    __slots__ = ("start", "atomic", "tangled", "pending", "firsts", "current")

    def __init__(self, start: int, atomic: bool):
        self.start = start
        self.atomic = atomic
        self.tangled = False  # two repetitions, or a repetition and an alternative, nothing delimits
        self.pending: str | None = None  # the last variable repetition (as regex) no delimiter followed yet
        self.firsts: list[First | None] = []  # how each finished alternative starts (None: empty)
        self.current: First | None = None  # how the alternative being read starts

    def end_alternative(self) -> None:
        self.firsts.append(self.current)
        self.current = None


class _Scanner:
    def __init__(self, pattern: str):
        self.p = pattern
        self.i = 0
        self.found: list[tuple[int, str]] = []
        self.stack = [_Group(-1, False)]  # the pattern itself, as a group that never repeats

    def run(self) -> list[tuple[int, str]]:
        p = self.p
        while self.i < len(p):
            c, start = p[self.i], self.i
            if c == "\\":
                first = self.escape()
                self.atom(first, p[start : self.i])
            elif c == "[":
                self.char_class()
                self.atom(_ANY, p[start : self.i])
            elif c == "(":
                self.open_group()
            elif c == ")" and len(self.stack) > 1:
                self.close_group()
            elif c == "|":
                top = self.stack[-1]
                if top.pending is not None:  # `(a+|b)`: where the repetition ends is up to the engine
                    top.tangled, top.pending = True, None
                top.end_alternative()
                self.i += 1
            else:
                self.i += 1
                self.atom(_ANY if c in ".^$" else frozenset(c.lower()), "." if c == "." else re.escape(c))
        return self.found

    def escape(self) -> First:
        p, i = self.p, self.i
        kind = p[i + 1 : i + 2]
        width = {"x": 4, "u": 6, "U": 10}.get(kind, 2)
        if kind == "N" and p[i + 2 : i + 3] == "{":
            width = p.find("}", i) + 1 - i
        self.i = i + max(width, 2)
        if kind.isalnum():
            return _ANY  # a class (\w), a reference (\1), a code (\x41): not worth decoding here
        return frozenset(kind.lower())  # an escaped punctuation character is that character

    def char_class(self) -> None:
        p, i = self.p, self.i + 1
        if p[i : i + 1] == "^":
            i += 1
        if p[i : i + 1] == "]":
            i += 1
        while i < len(p) and p[i] != "]":
            i += 2 if p[i] == "\\" else 1
        self.i = i + 1

    def open_group(self) -> None:
        p, i = self.p, self.i
        atomic = False
        j = i + 1
        if p.startswith("(?#", i):  # a comment
            self.i = p.find(")", i) + 1 or len(p)
            return
        if p.startswith("(?", i):
            j = i + 2
            if p.startswith(("<=", "<!"), j):  # lookarounds and atomic groups do not backtrack
                atomic, j = True, j + 2
            elif p.startswith(("=", "!", ">"), j):
                atomic, j = True, j + 1
            elif p.startswith(("P<", "<"), j):
                j = p.find(">", j) + 1
            elif p.startswith("(", j):  # a conditional (?(1)...)
                j = p.find(")", j) + 1
            else:  # inline flags: (?i) alone, or (?i:...)
                while j < len(p) and p[j] not in ":)":
                    j += 1
                if p[j : j + 1] == ")":
                    self.i = j + 1
                    return
                j += 1
        self.i = j
        self.stack.append(_Group(i, atomic))

    def close_group(self) -> None:
        group = self.stack.pop()
        body = self.p[group.start : self.i + 1]
        group.end_alternative()
        self.i += 1
        low, high, possessive = self.quantifier()
        loops = (high is None or high > LARGE_REPEAT) and not possessive and not group.atomic
        tail = group.pending
        if tail is not None and loops and not self.delimited_by_loop(tail, group.firsts):
            group.tangled = True  # `(a+)+`: the next round can take over what this one's `a+` took
        if loops and group.tangled:
            why = "a repeated group holds a repetition nothing delimits, like (a+)+ or (\\w+\\s?)*"
            self.found.append((group.start, why))
        elif loops and _overlapping(group.firsts):
            why = "a repeated group holds alternatives that can match alike, like (a|aa)*"
            self.found.append((group.start, why))
        parent = self.stack[-1]
        if group.atomic:
            tangled, tail = False, None
        else:
            tangled = group.tangled and not loops  # a reported group is not reported again around it
        first = _ANY if low == 0 else _union(group.firsts)
        variable = (high is None or high > 1) and high != low and not possessive
        self.follow(parent, first, low, body if variable else tail, tangled)

    def atom(self, first: First, regex: str) -> None:
        low, high, possessive = self.quantifier()
        variable = (high is None or high > 1) and high != low and not possessive
        self.follow(self.stack[-1], first, low, regex if variable else None, False)

    def follow(self, top: _Group, first: First, low: int, repeated: str | None, tangled: bool) -> None:
        """Account for an atom (or a group) read in `top`: its first character, whether it is mandatory,
        the variable repetition it ends with (as regex), whether it is tangled inside."""
        if top.current is None:
            top.current = _ANY if low == 0 else first
        if top.pending is not None and low >= 1 and not _can_match(top.pending, first):
            top.pending = None  # `[\w.-]+/`: the `/` ends the repetition
        top.tangled = top.tangled or tangled
        if repeated is not None:
            if top.pending is not None:
                top.tangled = True  # `\w+\s*\w+`: two repetitions share what lies between them
            top.pending = repeated

    def delimited_by_loop(self, tail: str, firsts: list[First | None]) -> bool:
        """Whether the next round of a group starts with a character its last repetition cannot match."""
        return all(f is not None and not _can_match(tail, f) for f in firsts)

    def quantifier(self) -> tuple[int, int | None, bool]:
        """The quantifier at the current position, consumed: (fewest, most or None, possessive); (1, 1,
        False) when there is none."""
        p, i = self.p, self.i
        c = p[i : i + 1]
        if c in ("*", "+", "?"):
            low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[c]
            i += 1
        else:
            m = _BRACES.match(p, i)
            if m is None or not (m.group(1) or m.group(3)):
                return 1, 1, False
            low = int(m.group(1) or 0)
            high = int(m.group(3)) if m.group(3) else (None if m.group(2) else low)
            i = m.end()
        possessive = p[i : i + 1] == "+"
        if p[i : i + 1] in ("?", "+"):
            i += 1
        self.i = i
        return low, high, possessive


_BRACES = re.compile(r"\{(\d*)(,?)(\d*)\}")


def _union(firsts: list[First | None]) -> First:
    """How a group starts: any start of its alternatives (any character when one may be empty)."""
    chars: set[str] = set()
    for first in firsts:
        if first is None or first is _ANY:
            return _ANY
        chars |= first
    return frozenset(chars)


def _overlapping(firsts: list[First | None]) -> bool:
    """Whether two alternatives may start with the same character (an unknown start may)."""
    if len(firsts) < 2:
        return False
    seen: set[str] = set()
    for first in firsts:
        if first is None or first is _ANY or not seen.isdisjoint(first):
            return True
        seen |= first
    return False
