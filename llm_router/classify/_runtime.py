"""What a process that runs a classifier's generated function (`_codegen`) needs: the callables that function
is given, in the order the generator numbers them, and the function built from its code object and constants.
Loaded by every hook process; it compiles nothing.

A classifier kept in the compiled-policy cache keeps those callables as `bindings`: each the number of a regex
and the name of its method. A loaded classifier gets them through `bound`, where each regex is built the first
time the generated function calls it, and the call then goes to the regex's method itself: a hook, which
classifies one prompt, builds only the regexes that prompt is searched with.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from types import CodeType
    from typing import Any

    from llm_router.classify._classifier import Classifier, Numbered

FIXED = (
    "Features",
    "new",
    "exp",
    "log",
    "ceil",
    "digit",
    "skip",
    "words",
    "wmatch",
    "index",
    "apply",
    "lexicon",
)


def runtime(clf: Classifier) -> list[Any]:
    """The callables the generated function uses, in the order the generator numbers them: the fixed ones,
    then per signal of the plan its parts' (search, finditer, the lowered window's search and finditer, the
    literal-led rest's search) or its own finditer, then each override's
    search."""
    from llm_router.classify._patterns import Anchored, Prefiltered

    out = _fixed(clf)
    searched = [clf._digit, clf._skip, clf._words, clf._words.__self__.match]  # type: ignore[attr-defined]
    for n, method in zip(_SEARCHED, searched, strict=True):
        out[n] = method
    for step in clf._plan:
        parts = step[5]
        if parts is None:
            out.append(step[4])
        else:
            folds = clf._folded[step[0]] if step[0] < len(clf._folded) else None
            tails = clf._tails[step[0]] if step[0] < len(clf._tails) else None
            for j, part in enumerate(parts):
                fold = folds[j] if folds is not None and j < len(folds) else None
                rest = tails[j] if tails is not None and j < len(tails) else None
                if fold is None:
                    out.extend((part[2], part[3], None, None))
                elif part[3] is None:
                    out.extend((part[2], part[3], fold.match, None))
                else:
                    out.extend((part[2], part[3], fold.search, fold.finditer))
                out.append(None if rest is None else rest.search)
    for rule in clf.overrides:  # a built-in one's own search: the generated code tests what it ruled out
        owner = getattr(rule.search, "__self__", None)
        out.append(
            owner.compiled.match
            if isinstance(owner, Anchored)
            else owner.compiled.search
            if isinstance(owner, Prefiltered)
            else rule.search
        )
    return out


# the fixed ones that are a regex's method (in `runtime`, the classifier's; in `bound`, built when first used)
_SEARCHED = tuple(FIXED.index(name) for name in ("digit", "skip", "words", "wmatch"))


def _fixed(clf: Classifier) -> list[Any]:
    """The fixed callables (`FIXED`), those that are a regex's method as None."""
    import math

    from llm_router.decision import Features

    lexicon = clf.lexicon
    return [
        Features,
        tuple.__new__,
        math.exp,
        math.log,
        math.ceil,
        None,
        None,
        None,
        None,
        clf._index,
        clf._apply,
        None if lexicon is None else lexicon.score,
    ]


def bindings(clf: Classifier, pattern: Callable[[Any], int]) -> tuple[tuple[int, str] | None, ...]:
    """`runtime(clf)` as plain data: per callable that is a regex's method, (the regex's number that
    `pattern(regex)` gives, the method's name); None for the others (a fixed one, or None)."""
    out: list[tuple[int, str] | None] = []
    for n, found in enumerate(runtime(clf)):
        if found is None or (n < len(FIXED) and n not in _SEARCHED):
            out.append(None)
        else:
            out.append((pattern(found.__self__), found.__name__))
    return tuple(out)


class _Bound:
    """A regex's method that the generated function calls through one of its cells: the first call builds
    the regex (`patterns[number]`), puts its method in the cell in its place and returns what it returns."""

    __slots__ = ("cell", "method", "number", "patterns")

    def __init__(self, patterns: Numbered, number: int, method: str) -> None:
        self.patterns = patterns
        self.number = number
        self.method = method
        self.cell: Any = None

    def __call__(self, *args: Any) -> Any:
        found = getattr(self.patterns[self.number], self.method)
        if self.cell is not None:
            self.cell.cell_contents = found
        return found(*args)


def bound(
    code: CodeType,
    consts: Sequence[Any],
    clf: Classifier,
    binds: Sequence[tuple[int, str] | None],
    patterns: Numbered,
) -> Callable[[str], Any]:
    """The per-prompt function of `clf` from its generated code and constants, its regexes' methods from
    `binds` (`bindings`) and `patterns`, each regex built on its first call."""
    values = _fixed(clf)
    values += [None] * (len(binds) - len(values))
    pending = []
    for n, b in enumerate(binds):
        if b is not None:
            values[n] = found = _Bound(patterns, b[0], b[1])
            pending.append((f"r{n}", found))
    classify = _make(code, values, consts)
    cells = dict(zip(classify.__code__.co_freevars, classify.__closure__ or (), strict=True))
    for name, found in pending:
        found.cell = cells.get(name)  # none: the function never calls it
    return classify  # type: ignore[no-any-return]


def load(code: CodeType, consts: Sequence[Any], clf: Classifier) -> Callable[[str], Any]:
    """The per-prompt function of `clf` from its generated code and constants."""
    return _make(code, runtime(clf), consts)


def _make(code: CodeType, values: Sequence[Any], consts: Sequence[Any]) -> Callable[[str], Any]:
    """`make(*values, *consts)` of the generated code: the per-prompt function."""
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # noqa: S102 - our own generated code: it only defines `make`
    return namespace["make"](*values, *consts)  # type: ignore[no-any-return]
