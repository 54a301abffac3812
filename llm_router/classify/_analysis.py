"""What a built-in pattern's structure allows, read from `re`'s own parse when a policy is compiled: whether
it can match only at the start, which literals every match holds, whether every match needs a digit; and the
fastest search wrapper (`_patterns`) with the same results. Never on the hook path: the compiled-policy cache
keeps what it found."""

from __future__ import annotations

import re
from typing import Any

from llm_router.classify._patterns import Anchored, Prefiltered

_c: Any = re._constants  # type: ignore[attr-defined]  # what re's parser names its operations with
_REPEATS = (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None))  # greedy, lazy, possessive


def fast(compiled: re.Pattern[str]) -> re.Pattern[str] | Anchored | Prefiltered:
    """A built-in pattern as it is searched fastest with the same results: with one match at the start
    when it can match nowhere else, else not at all in a text without any literal every match holds."""
    if anchored(compiled):
        return Anchored(compiled)
    literals = required_literals(compiled)
    return Prefiltered(compiled, literals) if literals else compiled


_parsed: dict[tuple[str, int], Any] = {}


def _parse(compiled: re.Pattern[str]) -> Any:
    """`re`'s parse of a pattern, once per pattern in a process (each analysis below reads it; none changes
    it)."""
    from re import _parser  # type: ignore[attr-defined]

    key = (compiled.pattern, compiled.flags)
    found = _parsed.get(key)
    if found is None:
        if len(_parsed) >= 1024:
            _parsed.clear()
        found = _parsed[key] = _parser.parse(compiled.pattern, compiled.flags)
    return found


MAX_LITERALS = 16  # a prefilter of more alternatives than this costs about what the search does


def required_literals(compiled: re.Pattern[str]) -> tuple[str, ...] | None:
    """Strings one of which every match of the pattern contains (None when there are none to be sure of):
    for a sequence the longest run of literal characters, or an alternation's, whichever is surest; for an
    alternation, one such set per alternative. Case-insensitive patterns get none."""
    from re import _constants as c  # type: ignore[attr-defined]

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
        if op in _REPEATS and av[0] >= 1:
            return sequence(av[2])
        return None

    try:
        parsed = _parse(compiled)
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
        if op in _REPEATS:
            return av[0] >= 1 and sequence(av[2])
        return False

    try:
        return sequence(_parse(compiled).data)
    except Exception:  # noqa: BLE001 - re's internals differ in this Python: search it always
        return False


def anchored(compiled: re.Pattern[str]) -> bool:
    """Whether a pattern can match only at the start of the text: every top-level alternative opens with
    `\\A`, or with `^` outside MULTILINE (inline flags and groups around the anchor are looked through)."""
    from re import _constants as c  # type: ignore[attr-defined]

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
        parsed = _parse(compiled)
        return opens(parsed.data, bool(parsed.state.flags & c.SRE_FLAG_MULTILINE))
    except Exception:  # noqa: BLE001 - re's internals differ in this Python: search it as it is
        return False


def gates(compiled: re.Pattern[str]) -> tuple[tuple[Any, ...], ...]:
    """Tests on the text, each cheaper than a search, that every text the pattern matches passes, read from
    `re`'s parse (all but `atoms` for a pattern that can match only at the start):

    - `("always",)`: the pattern is `\\A` (or `^`) alone, which matches every text;
    - `("len", low, high)`: it is `(?s)\\A.{low,high}\\Z`, which matches exactly the texts of that length;
    - `("first", skip, chars)`: the first character of a match (after the non-word characters the pattern
      opens with, when `skip`) is one of `chars`, all ASCII word characters;
    - `("literals", strings)`: every match holds one of these strings;
    - `("atoms", digit, chars)`: for a pattern that can match anywhere, every match holds one of `chars`, or
      a digit (what `\\d` finds) when `digit`;
    - `("upper",)`: every match holds an ASCII capital letter, so the text is not its own lowercase.

    `always` and `len` stand for the search itself; the others only rule texts out."""
    from re import _constants as c  # type: ignore[attr-defined]

    if compiled.flags & (re.ASCII | re.LOCALE):
        return ()
    try:
        parsed = _parse(compiled)
    except Exception:  # noqa: BLE001 - re's internals differ in this Python: search it as it is
        return ()
    if not anchored(compiled):
        found = None if parsed.state.flags & c.SRE_FLAG_IGNORECASE else _atoms(parsed.data, c)
        if found and found <= _UPPER:
            return (("upper",),)
        if found is None or len(found) > MAX_ATOMS:
            return ()
        return (("atoms", _DIGIT in found, "".join(sorted(found - {_DIGIT}))),)
    items = list(parsed.data)
    start = (c.AT, c.AT_BEGINNING_STRING)
    multiline = parsed.state.flags & c.SRE_FLAG_MULTILINE
    if items and items[0][0] is c.AT and items[0][1] is c.AT_BEGINNING and not multiline:
        items[0] = start
    if items == [start]:
        return (("always",),)
    dotall = bool(parsed.state.flags & c.SRE_FLAG_DOTALL)
    if (
        dotall
        and len(items) == 3
        and items[0] == start
        and items[2] == (c.AT, c.AT_END_STRING)
        and items[1][0] in (c.MAX_REPEAT, c.MIN_REPEAT)
        and list(items[1][1][2]) == [(c.ANY, None)]
    ):
        low, high = items[1][1][0], items[1][1][1]
        return (("len", int(low), None if high == c.MAXREPEAT else int(high)),)
    out: list[tuple[Any, ...]] = []
    if items and items[0] == start and not parsed.state.flags & c.SRE_FLAG_IGNORECASE:
        rest = items[1:]
        alternatives = rest[0][1][1] if len(rest) == 1 and rest[0][0] is c.BRANCH else [rest]
        openings = [_opening(list(alternative), c) for alternative in alternatives]
        known = [o for o in openings if o is not None]
        if len(known) == len(openings) and len({o[0] for o in known}) == 1:
            chars = frozenset().union(*(o[1] for o in known))
            if chars and all(ch.isascii() and (ch.isalnum() or ch == "_") for ch in chars):
                out.append(("first", known[0][0], "".join(sorted(chars))))
    literals = required_literals(compiled)
    if literals and min(map(len, literals)) >= 3:  # shorter ones are in nearly every text
        out.append(("literals", literals))
    return tuple(out)


def _opening(items: list[Any], c: Any) -> tuple[bool, frozenset[str]] | None:
    """(whether the sequence opens with a repetition of `\\W`, the characters its first match of a word
    character can be after that), or None when those are not known or it can match the empty string."""
    skip = False
    repeats = _REPEATS
    if (
        items
        and items[0][0] in repeats
        and list(items[0][1][2]) == [(c.IN, [(c.CATEGORY, c.CATEGORY_NOT_WORD)])]
    ):
        skip, items = True, items[1:]
    found = _first(items, c)
    if found is None or found[1]:
        return None
    return skip, found[0]


def _first(items: Any, c: Any) -> tuple[frozenset[str], bool] | None:
    """(the characters a match of this sequence can start with, whether it can match the empty string), or
    None when that is not a small known set. Zero-width items (`\\b`, lookarounds) consume nothing."""
    chars: set[str] = set()
    for op, av in items:
        one = _first_item(op, av, c)
        if one is None:
            return None
        chars |= one[0]
        if not one[1]:
            return frozenset(chars), False
    return frozenset(chars), True


def _first_item(op: Any, av: Any, c: Any) -> tuple[frozenset[str], bool] | None:
    if op is c.LITERAL:
        return frozenset(chr(av)), False
    if op is c.IN:
        chars: set[str] = set()
        for member, value in av:
            if member is c.LITERAL:
                chars.add(chr(value))
            elif member is c.RANGE and value[1] - value[0] < 64:
                chars.update(chr(x) for x in range(value[0], value[1] + 1))
            else:
                return None
        return frozenset(chars), False
    if op is c.BRANCH:
        alternatives = [_first(branch, c) for branch in av[1]]
        if any(a is None for a in alternatives):
            return None
        return frozenset().union(*(a[0] for a in alternatives)), any(a[1] for a in alternatives)  # type: ignore[index]
    if op is c.SUBPATTERN:
        return None if av[1] & c.SRE_FLAG_IGNORECASE else _first(av[3], c)
    if op is c.ATOMIC_GROUP:
        return _first(av, c)
    if op in _REPEATS:
        inner = _first(av[2], c)
        return None if inner is None else (inner[0], inner[1] or av[0] == 0)
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
        return frozenset(), True
    return None


MAX_ATOMS = 8  # more `in` tests than this cost about what the search does
_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGIT = ""  # the atom "a digit": a text holds it when `\d` finds something in it


def _atoms(items: Any, c: Any) -> frozenset[str] | None:
    """Characters (and `_DIGIT`) one of which every match of this sequence holds: the smallest such set of
    any of its items (None when no item requires one)."""
    found = [a for a in (_atoms_item(op, av, c) for op, av in items) if a is not None]
    return min(found, key=len, default=None)


def _atoms_item(op: Any, av: Any, c: Any) -> frozenset[str] | None:
    if op is c.LITERAL:
        return frozenset([_DIGIT if chr(av) in "0123456789" else chr(av)])
    if op is c.IN:
        out: set[str] = set()
        for member, value in av:
            if member is c.LITERAL:
                out.add(_DIGIT if chr(value) in "0123456789" else chr(value))
            elif member is c.RANGE and value[1] - value[0] < 64:
                out.update(
                    _DIGIT if chr(x) in "0123456789" else chr(x) for x in range(value[0], value[1] + 1)
                )
            elif member is c.CATEGORY and value is c.CATEGORY_DIGIT:
                out.add(_DIGIT)
            else:
                return None
        return frozenset(out) or None
    if op is c.BRANCH:
        alternatives = [_atoms(branch, c) for branch in av[1]]
        if any(a is None for a in alternatives):
            return None
        return frozenset().union(*alternatives)  # type: ignore[arg-type]
    if op is c.SUBPATTERN:
        return None if av[1] & c.SRE_FLAG_IGNORECASE else _atoms(av[3], c)
    if op is c.ATOMIC_GROUP:
        return _atoms(av, c)
    if op is c.ASSERT:  # a positive lookahead or lookbehind: what it needs is in the text
        return _atoms(av[1], c)
    if op in _REPEATS and av[0] >= 1:
        return _atoms(av[2], c)
    return None


def folded(compiled: re.Pattern[str]) -> re.Pattern[str] | None:
    """For a pattern written `(?i)R`: R compiled without IGNORECASE, which finds in `text.lower()` exactly
    what the pattern finds in `text` when the text is ASCII (None for any other pattern).

    It holds when R's every character is ASCII and none is an uppercase letter, and R has no backreference
    and no group that changes case-insensitivity: then each of its tests of one ASCII character c under
    IGNORECASE (a literal, a class, a category, a word boundary) passes exactly when the same test without it
    passes for c.lower(), at the same positions (lowercasing ASCII keeps the length), so both searches take
    the same steps."""
    from re import _constants as c  # type: ignore[attr-defined]

    if not compiled.pattern.startswith("(?i)") or compiled.flags & (re.ASCII | re.LOCALE):
        return None
    try:
        plain = re.compile(compiled.pattern[4:], compiled.flags & ~re.IGNORECASE)
        if plain.flags & re.IGNORECASE or str(_parse(plain).data) != str(_parse(compiled).data):
            return None
        ok = _foldable(_parse(compiled).data, c)
    except Exception:  # noqa: BLE001 - re's internals differ in this Python: search it as it is
        return None
    return plain if ok else None


def _foldable(items: Any, c: Any) -> bool:
    def char(code: int) -> bool:
        return code < 128 and not ord("A") <= code <= ord("Z")

    for op, av in items:
        if op in (c.LITERAL, c.NOT_LITERAL):
            ok = char(av)
        elif op is c.IN:
            ok = all(
                (member is c.LITERAL and char(value))
                or (
                    member is c.RANGE
                    and value[1] < 128
                    and not (value[0] <= ord("Z") and value[1] >= ord("A"))
                )
                or member in (c.CATEGORY, c.NEGATE)
                for member, value in av
            )
        elif op in (c.ANY, c.AT):
            ok = True
        elif op is c.BRANCH:
            ok = all(_foldable(branch, c) for branch in av[1])
        elif op is c.SUBPATTERN:
            ok = not av[1] and not av[2] and _foldable(av[3], c)
        elif op in _REPEATS:
            ok = _foldable(av[2], c)
        elif op is c.ATOMIC_GROUP:
            ok = _foldable(av, c)
        elif op in (c.ASSERT, c.ASSERT_NOT):
            ok = _foldable(av[1], c)
        else:
            ok = False
        if not ok:
            return False
    return True


def literal_rest(compiled: re.Pattern[str]) -> re.Pattern[str] | None:
    """For a pattern that can match anywhere and does not open with a literal (so `re` tries it at every
    position of the text): the rest of it from its first top-level literal on, compiled alone, which `re`
    scans for quickly by that literal. None when there is no such rest, or it cannot be had exactly.

    Every match of the pattern holds a match of the rest, so a text where the rest is not found holds no
    match: a match of the pattern is a run of its top-level items matching consecutive spans, and the
    items from the literal on match the span that ends it by themselves (each item's test reads only the
    text and the position, lookbehinds and word boundaries included, the same text in both; atomic groups
    and possessive repetitions commit to the same first match in both). A rest that refers to a group
    (a backreference, a conditional) gets none, as does a case-insensitive pattern. The rest is cut from
    the pattern's own text and kept only when `re` parses it to exactly the items it stands for (the
    first top-level literal for which that holds: a later one's rest is a part of an earlier one's)."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    if compiled.flags & (re.ASCII | re.LOCALE | re.IGNORECASE) or anchored(compiled):
        return None
    try:
        items = list(_parse(compiled).data)
        if not items or items[0][0] is c.LITERAL:
            return None
        source = compiled.pattern
        flags = compiled.flags & ~re.UNICODE
        for k in (n for n, (op, _) in enumerate(items) if op is c.LITERAL):
            # the first literal whose rest can be cut from the text (re's parse may have moved a literal out
            # of a group: "(?:this|the)" is parsed as "th(?:is|e)")
            wanted = str(items[k:])
            if "GROUPREF" in wanted:
                return None
            char = chr(items[k][1])
            for at in range(1, len(source)):
                if source[at] not in (char, "\\"):
                    continue
                try:
                    if str(_parser.parse(source[at:], flags).data) == wanted:
                        rest = re.compile(source[at:], flags)
                        return rest if not rest.flags & re.IGNORECASE else None
                except re.error:
                    continue
    except Exception:  # noqa: BLE001 - re's internals differ in this Python: no gate
        return None
    return None
