"""The compiled classifier: regex signals, task votes, a logistic difficulty and override rules, all pure.

`Classifier.state()` is everything it holds as plain data (patterns by number), and `from_state` builds it
back without compiling anything: the compiled-policy cache keeps classifiers so. A classifier built so holds
only what `classify` runs (the generated function and its data, the index, the regexes' methods as numbers);
its signals, override rules and what only the code generator, explain or `state()` read stay marshal bytes
until first read, and each regex is built on its first search.
"""

from __future__ import annotations

import marshal
import math

from llm_router.classify._records import ConfidenceParams, LengthAdjust, Lexicon, Override, Signal
from llm_router.decision import COMPLEXITIES, Features

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import Any, Protocol

    class Numbered(Protocol):
        """Regexes by number (`compiled_cache.Patterns` builds each when first asked for it)."""

        def __getitem__(self, number: int, /) -> Any: ...


# A word of the lowercased window ("c++", "lock-free", "don't"); a possessive is the word itself. Its
# quantifiers are possessive (`*+`, `++`): what may follow a run of word characters opens with an apostrophe,
# which the run cannot hold, so giving characters back never lets more match: the same words, ~20% faster.
WORD_PATTERN = r"[a-z][a-z0-9_+#-]*+(?:'(?!s\b)[a-z0-9_+#-]++)*+"
NEEDS_WORKSPACE = 1  # the prompt refers to files, the repository, running tests or commands, or editing
NEEDS_TOOLS = 2  # answering it takes actions a text-only model cannot take (run, edit, look up live)
NEEDS = {"workspace": NEEDS_WORKSPACE, "tools": NEEDS_TOOLS}
# Phrases sharing an opening ("the ", a new line) that go on in at least this many ways after it are found by
# splitting the window at that opening once (`_codegen`), not by one substring test per way.
SPLIT_AT = 8


class Classifier:
    """Turns a prompt into Features; compiled once from the policy's `classifier` section.

    A plain slotted class (not a dataclass): it is built in every hook process, where import time counts.
    """

    __slots__ = (
        "sources",
        "_code",
        "_consts",
        "_details",
        "_digit",
        "_digit_gates",
        "_folded",
        "_gates",
        "_tails",
        "_run",
        "_skip",
        "_fillers",
        "_index",
        "_keyed",
        "_lead_index",
        "_loose_by_char",
        "_plan",
        "_loose_phrases",
        "_words",
        "bands",
        "bias",
        "chars_per_token",
        "confidence",
        "default_task",
        "head",
        "length_by_signal",
        "length_by_task",
        "length_max",
        "length_min",
        "length_pivot",
        "lead_filler",
        "length_weight",
        "lexicon",
        "overrides",
        "signals",
        "tail",
        "task_bias",
        "word_pattern",
    )

    _details: tuple[Mapping[str, bytes], Numbered]  # set by `from_state` only: what `__getattr__` reads

    def __init__(
        self,
        signals: tuple[Signal, ...] = (),
        overrides: tuple[Override, ...] = (),
        bias: float = 0.0,
        task_bias: Mapping[str, float] | None = None,
        default_task: str = "chat",
        length_weight: float = 0.0,
        length_pivot: float = 50.0,
        length_min: float = -2.0,
        length_max: float = 2.0,
        length_by_task: Mapping[str, float] | None = None,
        length_by_signal: Mapping[str, LengthAdjust] | None = None,
        chars_per_token: float = 4.0,
        head: int = 3000,
        tail: int = 1000,
        bands: tuple[float, float, float] = (0.35, 0.6, 0.82),  # moderate, complex, deep_reasoning
        confidence: ConfidenceParams | None = None,
        lexicon: Lexicon | None = None,
        word_pattern: str = WORD_PATTERN,
        lead_filler: tuple[str, ...] = (),
    ) -> None:
        self.signals = signals
        self.overrides = overrides
        self.bias = bias
        self.task_bias: Mapping[str, float] = task_bias or {}
        self.default_task = default_task
        self.length_weight = length_weight
        self.length_pivot = length_pivot
        self.length_min = length_min
        self.length_max = length_max
        self.length_by_task: Mapping[str, float] = length_by_task or {}
        self.length_by_signal: Mapping[str, LengthAdjust] = length_by_signal or {}
        self.chars_per_token = chars_per_token
        self.head = head
        self.tail = tail
        self.bands = bands
        self.confidence = confidence or ConfidenceParams()
        self.lexicon = lexicon
        self.word_pattern = word_pattern
        # longest first, so that "can you please" is skipped whole before "can you"
        self.lead_filler = tuple(sorted(lead_filler, key=len, reverse=True))
        lead_index: dict[str, list[tuple[int, str]]] = {}
        # word -> (signals listing it, (signal, phrase) pairs whose phrase starts with it); phrases that do
        # not start with a word are checked on every prompt.
        import re

        words = re.compile(word_pattern)
        index: dict[str, tuple[tuple[int, ...], tuple[tuple[int, str], ...]]] = {}
        loose: list[tuple[int, str]] = []
        for i, sig in enumerate(signals):
            for phrase in sig.lead:
                first = words.match(phrase)
                lead_index.setdefault(first.group() if first else phrase, []).append((i, phrase))
            for word in sig.words:
                ids, phrases = index.get(word, ((), ()))
                index[word] = ((*ids, i), phrases)
            for phrase in sig.phrases:
                first = words.match(phrase)
                if first is None:
                    loose.append((i, phrase))
                    continue
                ids, phrases = index.get(first.group(), ((), ()))
                index[first.group()] = (ids, (*phrases, (i, phrase)))
        # A word that opens phrases going on in many ways after a space ("the method", "the bug", ... "the
        # workflow") has those phrases found by the characters that follow "the " in the window (one split)
        # instead of one test per opening (`_keyed`, read by the code generator only).
        keyed: dict[str, tuple[str, dict[str, tuple[tuple[int, str], ...]]]] = {}
        for word, (ids, pairs) in list(index.items()):
            key = word + " "
            by_next: dict[str, list[tuple[int, str]]] = {}
            for i, phrase in pairs:
                if len(phrase) > len(key) and phrase.startswith(key):
                    by_next.setdefault(phrase[len(key)], []).append((i, phrase))
            if len(by_next) >= SPLIT_AT and " " not in word:  # "word " then cannot overlap itself
                keyed[word] = (key, {char: tuple(v) for char, v in by_next.items()})
                rest = tuple(p for p in pairs if not (len(p[1]) > len(key) and p[1].startswith(key)))
                index[word] = (ids, rest)
        self._keyed = keyed
        # A word's other phrases in groups by their opening (the word and the next two characters): a phrase
        # is in the window only if its opening is, so one test rules out a whole group ("what's", "what'd").
        self._index: Mapping[
            str, tuple[tuple[int, ...], tuple[tuple[str, tuple[tuple[int, str], ...]], ...]]
        ] = {word: (ids, _grouped(word, pairs)) for word, (ids, pairs) in index.items()}
        self._loose_phrases: tuple[tuple[int, str], ...] = tuple(loose)
        self._lead_index: Mapping[str, tuple[tuple[int, str], ...]] = {
            k: tuple(v) for k, v in lead_index.items()
        }
        self._words: Callable[[str], list[str]] = words.findall
        self.sources: tuple[tuple[str, str], ...] = ()  # (path, sha256) of the files it was built from
        # Per built-in regex signal, per pattern of it: whether a match needs a digit in the text (one `\d`
        # search per prompt then rules out every such pattern of a prompt without digits).
        from llm_router.classify import _plan
        from llm_router.classify._analysis import folded, gates, literal_rest, needs_digit

        digits: list[tuple[bool, ...] | None] = []
        tests: list[tuple[Any, ...] | None] = []  # per pattern of it: what rules it out cheaply (`gates`)
        folds: list[tuple[Any, ...] | None] = []  # per pattern of it: a `(?i)` one as searched lowercased
        tails: list[tuple[Any, ...] | None] = []  # per pattern of it: its literal-led rest, searched first
        for sig in signals:
            found = _plan.members(sig.finditer)
            digits.append(None if found is None else tuple(needs_digit(_plan.inner(p)) for p in found))
            tests.append(None if found is None else tuple(gates(_plan.inner(p)) for p in found))
            folds.append(None if found is None else tuple(folded(_plan.inner(p)) for p in found))
            tails.append(None if found is None else tuple(literal_rest(_plan.inner(p)) for p in found))
        self._folded: tuple[tuple[Any, ...] | None, ...] = tuple(folds)
        self._tails: tuple[tuple[Any, ...] | None, ...] = tuple(tails)
        self._digit_gates: tuple[tuple[bool, ...] | None, ...] = tuple(digits)
        self._gates: tuple[tuple[Any, ...] | None, ...] = tuple(tests)
        self._digit: Callable[[str], object] = re.compile(r"\d").search
        self._skip: Callable[[str], Any] = re.compile(r"\W*").match  # where the first word character is
        self._code: Any = None
        self._details = ({}, ())  # it holds every part itself (`from_state` leaves some in its state)
        self._derive()

    def _derive(self) -> None:
        """What `classify` runs, derived from the signals: the function generated for them (`_codegen`),
        compiled only when this classifier has no code object yet (one from the cache runs as it is)."""
        from llm_router.classify import _plan, _runtime

        self._plan = _plan.plan(self.signals, self._digit_gates)
        self._loose_by_char = _plan.by_first_char(self._loose_phrases)
        self._fillers = _plan.fillers_by_char(self.lead_filler)
        if self._code is None:
            from llm_router.classify import _codegen

            self._code, self._consts = _codegen.generate(self, self._gates)
        self._run: Callable[[str], Features] = _runtime.load(self._code, self._consts, self)

    _PLAIN = (
        "bands",
        "bias",
        "chars_per_token",
        "default_task",
        "head",
        "lead_filler",
        "length_max",
        "length_min",
        "length_pivot",
        "length_weight",
        "sources",
        "tail",
        "word_pattern",
        "_index",
        "_code",
        "_consts",
    )

    def state(self, pattern: Callable[[Any], int]) -> dict[str, Any]:
        """Everything this classifier holds as plain data (marshal can write it): each regex as the number
        `pattern(compiled)` gives it, where `compiled` is the object whose `finditer` or `search` it uses;
        what `classify` does not read (`_DETAILS`) as marshal bytes, each read when first used."""
        from llm_router.classify import _runtime

        canonical: dict[
            Any, Any
        ] = {}  # one object per distinct index entry: marshal writes the others as links
        details: dict[str, Any] = {
            "signals": tuple(
                (*s[:3], None if s.finditer is None else pattern(s.finditer.__self__), *s[4:])  # type: ignore[attr-defined]
                for s in self.signals
            ),
            "overrides": tuple(
                (o.id, pattern(o.search.__self__), *o[2:])  # type: ignore[attr-defined]
                for o in self.overrides
            ),
            "_loose_phrases": self._loose_phrases,
            "_lead_index": self._lead_index,  # these three: the generated code holds them as constants
            "_loose_by_char": self._loose_by_char,
            "_fillers": self._fillers,
            "_digit_gates": self._digit_gates,
            "_words": pattern(self._words.__self__),  # type: ignore[attr-defined]
            "_digit": pattern(self._digit.__self__),  # type: ignore[attr-defined]
            "_skip": pattern(self._skip.__self__),  # type: ignore[attr-defined]
            "_folded": tuple(
                None if f is None else tuple(None if p is None else pattern(p) for p in f)
                for f in self._folded
            ),
            "_tails": tuple(
                None if f is None else tuple(None if p is None else pattern(p) for p in f)
                for f in self._tails
            ),
        }
        return {
            **{name: getattr(self, name) for name in self._PLAIN},
            "_index": {word: canonical.setdefault(hits, hits) for word, hits in self._index.items()},
            "task_bias": dict(self.task_bias),
            "length_by_task": dict(self.length_by_task),
            "length_by_signal": {k: tuple(v) for k, v in self.length_by_signal.items()},
            "confidence": tuple(self.confidence),
            "lexicon": None if self.lexicon is None else tuple(self.lexicon),
            "bindings": _runtime.bindings(self, pattern),
            "details": {name: marshal.dumps(value) for name, value in details.items()},
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], patterns: Numbered) -> Classifier:
        """The classifier whose `state()` gave `state`, with `patterns[n]` for the regex numbered n (asked
        for when the regex is first used: `patterns` may build it then)."""
        from llm_router.classify import _runtime

        self = cls.__new__(cls)
        for name in cls._PLAIN:
            setattr(self, name, state[name])
        self.task_bias = state["task_bias"]
        self.length_by_task = state["length_by_task"]
        self.length_by_signal = {k: LengthAdjust(*v) for k, v in state["length_by_signal"].items()}
        self.confidence = ConfidenceParams(*state["confidence"])
        self.lexicon = None if state["lexicon"] is None else Lexicon(*state["lexicon"])
        self._gates = ()  # only the code generator reads them, and the code comes with the state
        self._details = (state["details"], patterns)
        self._run = _runtime.bound(self._code, self._consts, self, state["bindings"], patterns)
        return self

    def __getattr__(self, name: str) -> Any:
        """A part that a classifier built by `from_state` reads from its state when it is first asked for
        (`_DETAILS`), and its plan (`_plan`: only the code generator reads it then)."""
        if name == "_plan":
            from llm_router.classify import _plan

            value: Any = _plan.plan(self.signals, self._digit_gates)
        elif name in _DETAILS:
            details, patterns = self._details
            value = _detail(name, marshal.loads(details[name]), patterns)
        else:
            raise AttributeError(name)
        setattr(self, name, value)
        return value

    def window(self, prompt: str) -> str:
        """The part of the prompt that is scanned: all of it, or its head and tail when it is long."""
        if len(prompt) <= self.head + self.tail:
            return prompt
        return prompt[: self.head] + "\n" + prompt[len(prompt) - self.tail :]

    def classify(self, prompt: str) -> Features:
        """Features of one prompt; the cost is bounded by the scan window, not by the prompt's length.

        What it does is written out for this classifier's signals as one function (`_codegen`): the window's
        words and phrases counted per signal, the lead phrases after the lead filler, then the signals in
        their order (a regex searched only when its signal can still fire and a cheap exact test does not
        rule it out), the task vote, the length term, the logistic difficulty, its band and confidence, and
        the first override rule that matches."""
        return self._run(prompt)

    def _apply(
        self,
        n: int,
        fired: list[str],
        contributions: list[tuple[str, float]],
        task: str,
        complexity: str,
        difficulty: float,
        confidence: float,
        logit: float,
    ) -> tuple[str, str, float, float, float]:
        """The features after override rule `n` matched: (task, complexity, difficulty, confidence, logit)."""
        rule = self.overrides[n]
        fired.append(rule.id)
        before = difficulty
        task = rule.task or task
        if rule.difficulty is not None:
            difficulty = rule.difficulty
        if rule.complexity is not None:
            complexity = rule.complexity
            difficulty = self._into_band(difficulty, complexity)
        elif rule.difficulty is not None:
            complexity = self.band(difficulty)
        if difficulty != before:
            new_logit = _logit(difficulty)
            contributions.append((f"rule:{rule.id}", new_logit - logit))
            logit = new_logit
        if rule.confidence is not None:
            confidence = rule.confidence
        return task, complexity, difficulty, confidence, logit

    def length_term(self, tokens: int, fired: Sequence[str] = ()) -> float:
        """clamp(ln(tokens / pivot), min, max): the length term before its weight; `length.by_signal` may
        raise `min` for a prompt whose signals `fired`."""
        x = math.log(max(tokens, 1) / self.length_pivot)
        low = self.length_min
        if fired:
            for sid, adjust in self.length_by_signal.items():
                if adjust.min is not None and adjust.min > low and sid in fired:
                    low = adjust.min
        return min(max(x, low), self.length_max)

    def length_override(self, task: str, fired: Sequence[str], term: float) -> float | None:
        """The weight that replaces `length.weight` for a prompt of this task whose signals `fired`, if any:
        the smallest of its `length.by_task` and of the `length.by_signal` weights of the fired signals.

        It applies above the pivot only: a long text to extract from, or a long paste in a prompt about
        software, does not make the prompt as hard as its length says; a short prompt stays simple.
        """
        if term <= 0:
            return None
        found = [self.length_by_task[task]] if task in self.length_by_task else []
        if self.length_by_signal:
            found += [
                a.weight for sid, a in self.length_by_signal.items() if a.weight is not None and sid in fired
            ]
        return min(found) if found else None

    def logit(self, features: Features) -> float:
        """The difficulty logit behind these features (the sum of their contributions)."""
        return math.fsum(effect for _, effect in features.contributions)

    def band(self, difficulty: float) -> str:
        """The complexity whose band holds this difficulty."""
        level = 0
        for cutoff in self.bands:
            if difficulty >= cutoff:
                level += 1
        return COMPLEXITIES[level]

    def _into_band(self, difficulty: float, complexity: str) -> float:
        edges = (0.0, *self.bands, 1.0)
        level = COMPLEXITIES.index(complexity)
        low, high = edges[level], edges[level + 1]
        if low <= difficulty < high:
            return difficulty
        return (low + high) / 2


def _grouped(
    word: str, pairs: Sequence[tuple[int, str]]
) -> tuple[tuple[str, tuple[tuple[int, str], ...]], ...]:
    """The (signal, phrase) pairs of phrases opening with `word`, grouped by their first len(word) + 2
    characters (in their order within a group; a group of one is keyed by its phrase)."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for i, phrase in pairs:
        groups.setdefault(phrase[: len(word) + 2], []).append((i, phrase))
    return tuple((v[0][1] if len(v) == 1 else k, tuple(v)) for k, v in groups.items())


# What a classifier built by `from_state` reads from its state's details when first asked for; of those, the
# ones that are a regex's method, and which method.
_DETAILS = frozenset(
    ("signals", "overrides", "_loose_phrases", "_digit_gates", "_words", "_digit", "_skip")
    + ("_folded", "_tails", "_lead_index", "_loose_by_char", "_fillers")
)
_METHODS = {"_words": "findall", "_digit": "search", "_skip": "match"}


def _detail(name: str, value: Any, patterns: Numbered) -> Any:
    """The attribute `name` of a classifier from its plain data in `state()["details"]`."""
    if name == "signals":
        return tuple(
            Signal._make((*s[:3], None if s[3] is None else patterns[s[3]].finditer, *s[4:])) for s in value
        )
    if name == "overrides":  # each rule's regex built on its first search (a firing rule reads the rest)
        from llm_router.classify._runtime import _Bound

        return tuple(Override(o[0], _Bound(patterns, o[1], "search"), *o[2:]) for o in value)
    if name in ("_folded", "_tails"):
        return tuple(
            None if f is None else tuple(None if n is None else patterns[n] for n in f) for f in value
        )
    if name in _METHODS:
        return getattr(patterns[value], _METHODS[name])
    return value


_NOT_WORD = " \t\n\r\f\v.,;:!?-–—*#>\"'`([{/"  # what may come before the first word of a prompt


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))
