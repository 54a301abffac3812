"""What a built-in pattern's structure allows, read from `re`'s own parse when a policy is compiled: whether
it can match only at the start, which literals every match holds, whether every match needs a digit; and the
fastest search wrapper (`_patterns`) with the same results. Never on the hook path: the compiled-policy cache
keeps what it found."""

from __future__ import annotations

import re
from typing import Any

from llm_router.classify._patterns import Anchored, Prefiltered


def fast(compiled: re.Pattern[str]) -> re.Pattern[str] | Anchored | Prefiltered:
    """A built-in pattern as it is searched fastest with the same results: with one match at the start
    when it can match nowhere else, else not at all in a text without any literal every match holds."""
    if anchored(compiled):
        return Anchored(compiled)
    literals = required_literals(compiled)
    return Prefiltered(compiled, literals) if literals else compiled


MAX_LITERALS = 16  # a prefilter of more alternatives than this costs about what the search does


def required_literals(compiled: re.Pattern[str]) -> tuple[str, ...] | None:
    """Strings one of which every match of the pattern contains (None when there are none to be sure of):
    for a sequence the longest run of literal characters, or an alternation's, whichever is surest; for an
    alternation, one such set per alternative. Case-insensitive patterns get none."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    def best(sets: list[frozenset[str]]) -> frozenset[str] | None:
        # Surest first: literals of three characters or more (short ones occur inside common words), then
        # the fewest of them, then the longest.
        usable = [x for x in sets if x and len(x) <= MAX_LITERALS]
        return max(usable, key=lambda x: (min(map(len, x)) >= 3, -len(x), min(map(len, x))), default=None)

    def sequence(items: Any) -> frozenset[str] | None:
        found: list[frozenset[str]] = []
        run: list[str] = []
        for op, av in items:
            if op is c.LITERAL:
                run.append(chr(av))
                continue
            if run:
                found.append(frozenset(["".join(run)]))
                run = []
            one = item(op, av)
            if one is not None:
                found.append(one)
        if run:
            found.append(frozenset(["".join(run)]))
        return best(found)

    def item(op: Any, av: Any) -> frozenset[str] | None:
        if op is c.BRANCH:
            alternatives = [sequence(branch) for branch in av[1]]
            if any(a is None for a in alternatives):
                return None
            return frozenset().union(*alternatives)  # type: ignore[arg-type]
        if op is c.SUBPATTERN:
            return None if (av[1] | av[2]) & c.SRE_FLAG_IGNORECASE else sequence(av[3])
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)) and av[0] >= 1:
            return sequence(av[2])
        return None

    try:
        parsed = _parser.parse(compiled.pattern, compiled.flags)
        if parsed.state.flags & c.SRE_FLAG_IGNORECASE:
            return None
        found = sequence(parsed.data)
    except Exception:  # noqa: BLE001 - re's internals differ in this Python: search it as it is
        return None
    if not found:
        return None
    # A literal that holds another is implied by it: keep the shorter, shortest first.
    kept = [x for x in found if not any(y != x and y in x for y in found)]
    return tuple(sorted(kept, key=lambda x: (len(x), x)))


def needs_digit(compiled: re.Pattern[str]) -> bool:
    """Whether a text must hold a digit (what `\\d` finds) for the pattern to match in it: some item of
    every alternative is a digit, a class of digits only, a repetition of at least one of those, or a
    lookaround that needs one."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    def sequence(items: Any) -> bool:
        return any(item(op, av) for op, av in items)

    def digit_set(members: Any) -> bool:
        for op, av in members:
            if op is c.LITERAL and chr(av) in "0123456789":
                continue
            if op is c.RANGE and ord("0") <= av[0] <= av[1] <= ord("9"):
                continue
            if op is c.CATEGORY and av is c.CATEGORY_DIGIT:
                continue
            return False
        return bool(members)

    def item(op: Any, av: Any) -> bool:
        if op is c.LITERAL:
            return chr(av) in "0123456789"
        if op is c.IN:
            return digit_set(av)
        if op is c.BRANCH:
            return all(sequence(branch) for branch in av[1])
        if op is c.SUBPATTERN:
            return sequence(av[3])
        if op is c.ATOMIC_GROUP:
            return sequence(av)
        if op is c.ASSERT:  # a positive lookahead or lookbehind: what it needs is in the text
            return sequence(av[1])
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
            return av[0] >= 1 and sequence(av[2])
        return False

    try:
        return sequence(_parser.parse(compiled.pattern, compiled.flags).data)
    except Exception:  # noqa: BLE001 - re's internals differ in this Python: search it always
        return False


def anchored(compiled: re.Pattern[str]) -> bool:
    """Whether a pattern can match only at the start of the text: every top-level alternative opens with
    `\\A`, or with `^` outside MULTILINE (inline flags and groups around the anchor are looked through)."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    def opens(items: Any, multiline: bool) -> bool:
        if not items:
            return False
        op, av = items[0]
        if op is c.AT:
            return av is c.AT_BEGINNING_STRING or (av is c.AT_BEGINNING and not multiline)
        if op is c.BRANCH:
            return all(opens(branch, multiline) for branch in av[1])
        if op is c.SUBPATTERN:
            group_multiline = (multiline or bool(av[1] & c.SRE_FLAG_MULTILINE)) and not av[
                2
            ] & c.SRE_FLAG_MULTILINE
            return opens(av[3], group_multiline)
        return False

    try:
        parsed = _parser.parse(compiled.pattern, compiled.flags)
        return opens(parsed.data, bool(parsed.state.flags & c.SRE_FLAG_MULTILINE))
    except Exception:  # noqa: BLE001 - re's internals differ in this Python: search it as it is
        return False
