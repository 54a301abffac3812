"""The built-in patterns' search wrappers, kept by the compiled classifier and by its cache: a list of
regexes searched in turn (`AnyOf`), a pattern that can only match at the start (`Anchored`), and one searched
only in a text holding one of its required literals (`Prefiltered`). They import nothing: the hook loads
them on every prompt; the analysis that picks them (`_analysis`) runs only when a policy is compiled."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any


class AnyOf:
    """Several regexes searched one after another as one signal's `match` (a list in the YAML).

    Python's regex engine scans quickly for a pattern whose every alternative starts with a literal, and tries
    every position of the window for one that does not; a list keeps each pattern on the fast path.
    """

    __slots__ = ("patterns",)

    def __init__(self, patterns: tuple[Any, ...]) -> None:
        self.patterns = patterns  # re patterns (or Anchored/Prefiltered), or policy.patterns.UserPattern

    def finditer(self, text: str) -> Iterator[Any]:
        """The matches of each pattern in turn (not in the order of their positions)."""
        for pattern in self.patterns:
            yield from pattern.finditer(text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AnyOf) and self.patterns == other.patterns

    def __hash__(self) -> int:
        return hash(self.patterns)

    def __repr__(self) -> str:
        return f"AnyOf({self.patterns!r})"


class _Wrapped:
    """A compiled `re` pattern searched in a way of its own; its `pattern` and `flags` are the pattern's."""

    __slots__ = ("compiled",)

    def __init__(self, compiled: Any) -> None:
        self.compiled = compiled

    @property
    def pattern(self) -> str:
        return str(self.compiled.pattern)

    @property
    def flags(self) -> int:
        return int(self.compiled.flags)


class Anchored(_Wrapped):
    """A built-in regex that can match only at the start of the text (each alternative opens with `\\A`, or
    with `^` without MULTILINE): one `match` at position 0 gives what a search gives, where a search would
    try every position of the window in turn."""

    __slots__ = ()

    def search(self, text: str) -> Any:
        """The match at the start of text, or None (what `search` would find)."""
        return self.compiled.match(text)

    def finditer(self, text: str) -> Iterator[Any]:
        """The one match there can be (what `finditer` would give)."""
        found = self.compiled.match(text)
        return iter(() if found is None else (found,))

    def __repr__(self) -> str:
        return f"Anchored({self.compiled!r})"


class Prefiltered(_Wrapped):
    """A built-in regex that can match only where one of `literals` occurs: when none of them is in the
    text it is not searched at all (what the search would have found is nothing)."""

    __slots__ = ("literals",)

    def __init__(self, compiled: Any, literals: tuple[str, ...]) -> None:
        super().__init__(compiled)
        self.literals = literals

    def _possible(self, text: str) -> bool:
        for literal in self.literals:  # noqa: SIM110 - a loop, not any() over a generator: called per prompt
            if literal in text:
                return True
        return False

    def search(self, text: str) -> Any:
        """The first match in text, or None (what `search` would find)."""
        return self.compiled.search(text) if self._possible(text) else None

    def finditer(self, text: str) -> Iterator[Any]:
        """The matches in text (what `finditer` would give)."""
        return self.compiled.finditer(text) if self._possible(text) else iter(())

    def __repr__(self) -> str:
        return f"Prefiltered({self.compiled!r}, {self.literals!r})"
