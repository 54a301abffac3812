"""The first part of the classifier's generated function (`_codegen`): the scan window, its words, the
phrases of the word index and those that open with no word, and the lead phrases after the lead filler, each
phrase counted for its signals before the signals' walk."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from llm_router.classify._classifier import Classifier
    from llm_router.classify._codegen import _Writer


def words_and_phrases(e: _Writer, b: int, clf: Classifier, r: dict[str, str]) -> None:
    """Write, at depth `b`, what sets `text`, `lowered`, `tokens`, `words` and `counts` (each signal's phrase
    and word hits) for the walk."""
    from llm_router.classify._classifier import SPLIT_AT

    head, tail = int(clf.head), int(clf.tail)
    e(b, f"if len(prompt) <= {head + tail}:")
    e(b + 1, "text = prompt")
    e(b, "else:")
    e(b + 1, f"text = prompt[:{head}] + {e.k(chr(10))} + prompt[len(prompt) - {tail}:]")
    e(b, "lowered = text.lower()")
    e(b, f"tokens = {r['ceil']}(len(prompt) / {e.k(clf.chars_per_token)})")  # math.ceil of a float: an int
    e(b, f"counts = [0] * {len(clf.signals)}")
    e(b, f"words = {r['words']}(lowered)")
    e(b, f"index = {r['index']}")
    e(b, "hits = index.keys() & words")
    e(b, "for word in hits:")
    e(b + 1, "ids, groups = index[word]")
    e(b + 1, "for i in ids:")
    e(b + 2, "counts[i] += 1")
    d = b + 1
    e(d, "for opening, pairs in groups:")
    e(d + 1, "if opening in lowered:")
    e(d + 2, "for i, phrase in pairs:")
    e(d + 3, "if phrase in lowered:")
    e(d + 4, "counts[i] += 1")
    if clf._keyed:  # the phrases of a word that goes on in many ways after a space, by what follows "word "
        e(b, f"for word in {e.k(clf._keyed)}.keys() & hits:")
        e(b + 1, f"key, by_next = {e.k(clf._keyed)}[word]")
        _split(e, b + 1, "key", "by_next")
    for char, pairs in clf._loose_by_char:  # phrases that open with no word, by their first character
        by_next: dict[str, list[tuple[int, str]]] = {}
        for i, phrase in pairs:
            if phrase != char:
                by_next.setdefault(phrase[1], []).append((i, phrase))
        if len(by_next) >= SPLIT_AT:
            e(b, f"key = {e.k(char)}")
            own = [int(i) for i, phrase in pairs if phrase == char]
            _split(e, b, "key", e.k({c: tuple(v) for c, v in by_next.items()}), own)
            continue
        e(b, f"if {e.k(char)} in lowered:")
        for i, phrase in pairs:
            if phrase == char:
                e(b + 1, f"counts[{int(i)}] += 1")
            else:
                e(b + 1, f"if {e.k(phrase)} in lowered:")
                e(b + 2, f"counts[{int(i)}] += 1")
    if clf._lead_index:
        _leads(e, b, clf, r)


def _leads(e: _Writer, b: int, clf: Classifier, r: dict[str, str]) -> None:
    """Count the signals one of whose `lead` phrases opens the prompt, after the lead filler."""
    from llm_router.classify._classifier import _NOT_WORD

    e(b, f"opening = lowered[:300].lstrip({e.k(_NOT_WORD)})")
    if clf._fillers:
        e(b, "for _ in (0, 1, 2, 3):")
        e(b + 1, f"for filler in {e.k(clf._fillers)}.get(opening[:1], ()):")
        e(b + 2, "if opening.startswith(filler) and not opening[len(filler) : len(filler) + 1].isalnum():")
        e(b + 3, f"opening = opening[len(filler) :].lstrip({e.k(_NOT_WORD)})")
        e(b + 3, "break")
        e(b + 1, "else:")
        e(b + 2, "break")
    e(b, f"first = {r['wmatch']}(opening, 0, 40)")
    e(b, "if first is not None:")
    e(b + 1, f"for i, phrase in {e.k(clf._lead_index)}.get(first.group(), ()):")
    e(b + 2, "if opening.startswith(phrase) and not opening[len(phrase) : len(phrase) + 1].isalnum():")
    e(b + 3, "counts[i] += 1")


def _split(e: _Writer, d: int, key: str, by_next: str, own: Sequence[int] = ()) -> None:
    """Count the phrases `key` + c + ... (`by_next`: c -> (signal, phrase) pairs) that are in the window, each
    tested only when c follows `key` somewhere in it; `own` are the signals of a phrase that is `key` alone.

    Exact: `key` cannot overlap itself (a space or one character after characters that are not it), so
    `lowered.split(key)` cuts at every occurrence, and what follows one is the next part's first character,
    or `key` again when that part is empty (the last part, empty, is followed by nothing: testing one more
    character's phrases only costs their tests). A phrase `key` + c + ... is in the window only if c follows
    an occurrence; each c found is visited once, so each phrase is tested once, by `phrase in lowered`."""
    e(d, f"parts = lowered.split({key})")
    e(d, "if len(parts) > 1:")
    for i in own:
        e(d + 1, f"counts[{int(i)}] += 1")
    e(d + 1, "del parts[0]")
    e(d + 1, "found = next(zip(*parts), None)  # the parts' first characters, unless one is empty")
    e(d + 1, "if found is None:")
    e(d + 2, f"found = {{part[:1] or {key}[0] for part in parts}}")
    e(d + 1, f"for c in {by_next}.keys() & found:")
    e(d + 2, f"for i, phrase in {by_next}[c]:")
    e(d + 3, "if phrase in lowered:")
    e(d + 4, "counts[i] += 1")
