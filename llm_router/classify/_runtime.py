"""What a process that runs a classifier's generated function (`_codegen`) needs: the callables that function
is given, in the order the generator numbers them, and the function built from its code object and constants.
Loaded by every hook process; it compiles nothing."""

from __future__ import annotations

from llm_router.classify._patterns import Anchored, Prefiltered

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from types import CodeType
    from typing import Any

    from llm_router.classify._classifier import Classifier

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
    import math

    from llm_router.decision import Features

    lexicon = clf.lexicon
    out: list[Any] = [
        Features,
        tuple.__new__,
        math.exp,
        math.log,
        math.ceil,
        clf._digit,
        clf._skip,
        clf._words,
        clf._words.__self__.match,  # type: ignore[attr-defined]
        clf._index,
        clf._apply,
        None if lexicon is None else lexicon.score,
    ]
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


def load(code: CodeType, consts: Sequence[Any], clf: Classifier) -> Callable[[str], Any]:
    """The per-prompt function of `clf` from its generated code and constants."""
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # noqa: S102 - our own generated code: it only defines `make`
    return namespace["make"](*runtime(clf), *consts)  # type: ignore[no-any-return]
