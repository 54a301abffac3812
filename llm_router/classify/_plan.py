"""Each signal of a classifier as one flat tuple that the per-prompt loop reads without attribute look-ups,
its regexes split into parts it can search directly (and skip when the prompt cannot hold a match)."""

from __future__ import annotations

from llm_router.classify._patterns import Anchored, AnyOf, Prefiltered

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

# A part: (needs a digit, literals one of which a match holds or None, search or match, finditer or None).
# finditer None: the part can match only once (anchored at the start), so a hit counts one.
Part = tuple  # tuple[bool, tuple[str, ...] | None, Callable, Callable | None]


def members(finditer: Any) -> tuple[Any, ...] | None:
    """The patterns a signal's `finditer` searches in turn, or None when it is not one this module knows
    (a user's pattern, run under its time limit, or a callable put there by hand)."""
    if finditer is None or getattr(finditer, "__name__", "") != "finditer":
        return None
    owner = getattr(finditer, "__self__", None)
    found = owner.patterns if isinstance(owner, AnyOf) else (owner,)
    for pattern in found:
        if not (isinstance(pattern, Anchored | Prefiltered) or _is_re(pattern)):
            return None
    return tuple(found)


def _is_re(pattern: Any) -> bool:
    kind = type(pattern)
    return kind.__name__ == "Pattern" and kind.__module__ == "re"


def inner(pattern: Any) -> Any:
    """The `re` pattern a member searches (an Anchored's or a Prefiltered's, or itself)."""
    return getattr(pattern, "compiled", pattern)


def parts(found: Sequence[Any], digits: Sequence[bool]) -> tuple[Part, ...]:
    """The members of one signal as parts the loop searches without going through their `finditer`."""
    out: list[Part] = []
    for pattern, digit in zip(found, digits, strict=True):
        if isinstance(pattern, Anchored):
            out.append((digit, None, pattern.compiled.match, None))
        elif isinstance(pattern, Prefiltered):
            out.append((digit, pattern.literals, pattern.compiled.search, pattern.compiled.finditer))
        else:
            out.append((digit, None, pattern.search, pattern.finditer))
    return tuple(out)


def plan(
    signals: Sequence[Any], digit_gates: Sequence[tuple[bool, ...] | None]
) -> tuple[tuple[Any, ...], ...]:
    """(index, id, requires, unless, finditer, parts, enough, min_count, max_count, weight, task, votes,
    needs) of every signal: requires/unless as frozensets (None when empty), parts None for a signal whose
    regex goes through its own `finditer` (a user's), `enough` the hits that fire it and reach its cap."""
    out = []
    for i, s in enumerate(signals):
        found = members(s.finditer)
        gates = digit_gates[i] if i < len(digit_gates) else None
        split = None
        if found is not None and gates is not None and len(gates) == len(found):
            split = parts(found, gates)
        out.append(
            (
                i,
                s.id,
                frozenset(s.requires) or None,
                frozenset(s.unless) or None,
                s.finditer,
                split,
                max(s.max_count, s.min_count),
                s.min_count,
                s.max_count,
                s.weight,
                s.task,
                s.votes,
                s.needs,
            )
        )
    return tuple(out)


def by_first_char(phrases: Sequence[tuple[int, str]]) -> tuple[tuple[str, tuple[tuple[int, str], ...]], ...]:
    """(first character, the (signal, phrase) pairs whose phrase opens with it): a phrase can be in a text
    only when its first character is."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for i, phrase in phrases:
        groups.setdefault(phrase[:1], []).append((i, phrase))
    return tuple((char, tuple(pairs)) for char, pairs in groups.items())


def fillers_by_char(fillers: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The lead fillers by their first character, each group in the fillers' order (longest first)."""
    groups: dict[str, list[str]] = {}
    for filler in fillers:
        groups.setdefault(filler[:1], []).append(filler)
    return {char: tuple(group) for char, group in groups.items()}
