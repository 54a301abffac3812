"""The compiled classifier's parts as plain records: a signal, an override rule, the learned lexicon, the
length adjustments and the confidence parameters."""

from __future__ import annotations

from llm_router.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping


class Signal(Record):
    """Words, phrases and/or a regex, with an effect on the difficulty logit and an optional task vote.

    Words are looked up in the set of the window's lowercased words (one dictionary probe per word of the
    prompt, however many signals there are); phrases are substrings of the lowercased window; `lead` phrases
    must open the prompt (after filler such as "ok", "please", "can you"); the regex is searched in the
    window as written. The count of distinct hits, capped at `max_count`, multiplies
    `weight`; below `min_count` the signal does not fire (so `min_count: 2, max_count: 1` is a gate of two
    hits with a flat weight). `requires` names earlier signals (by index) of which one must have fired for
    this one to fire: a cue that means something only in a context, e.g. "rename it everywhere" in a prompt
    about software; `unless` names earlier signals any of which keeps this one from firing. `needs` is what
    a fired signal says the prompt needs (NEEDS_WORKSPACE, NEEDS_TOOLS).
    """

    id: str
    words: frozenset[str] = frozenset()
    phrases: tuple[str, ...] = ()
    finditer: Callable[..., Iterator[object]] | None = None
    weight: float = 0.0
    task: str | None = None
    votes: float = 1.0
    max_count: int = 1
    min_count: int = 1  # fires only with at least this many hits
    lead: tuple[str, ...] = ()  # words or phrases that open the prompt, after the classifier's lead filler
    requires: tuple[int, ...] = ()  # fires only when one of these (earlier) signals fired
    unless: tuple[int, ...] = ()  # does not fire when one of these (earlier) signals fired
    needs: int = 0  # bits of NEEDS_WORKSPACE / NEEDS_TOOLS


class Override(Record):
    """A rule that, when its regex matches, sets some features outright (first match wins)."""

    id: str
    search: Callable[..., object]
    task: str | None = None
    complexity: str | None = None
    confidence: float | None = None
    difficulty: float | None = None


class Lexicon(Record):
    """Learned per-word weights on the difficulty logit, shipped as data and scaled by the policy."""

    words: Mapping[str, float]
    bigrams: Mapping[str, float]
    scale: float
    max_words: int = 400

    def score(self, tokens: list[str]) -> float:
        """Sum of the weights of the known words and bigrams (of the first `max_words`), times the scale."""
        tokens = tokens[: self.max_words]
        words, bigrams = self.words, self.bigrams
        total = 0.0
        for w in tokens:
            total += words.get(w, 0.0)
        if bigrams:
            for a, b in zip(tokens, tokens[1:], strict=False):
                total += bigrams.get(a + " " + b, 0.0)
        return self.scale * total


class LengthAdjust(Record):
    """`length.by_signal`: how the length term changes in a prompt where a signal fired."""

    weight: float | None = None  # the weight above the pivot, in place of `length.weight`
    min: float | None = None  # a higher lower clamp of the term: a short prompt of this kind is not trivial


class ConfidenceParams(Record):
    """How sure the classification is: a base, plus the task-vote margin, plus distance from a band edge."""

    base: float = 3.0
    per_vote: float = 1.5
    max_vote_gain: float = 3.0
    per_band_distance: float = 20.0
    max_band_gain: float = 4.0
