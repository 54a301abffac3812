"""Compile the policy's `classifier` section into a Classifier, reporting every problem as an Issue."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llm_router import fileio, paths
from llm_router.classify._analysis import fast
from llm_router.classify._classifier import NEEDS, WORD_PATTERN, Classifier
from llm_router.classify._patterns import Anchored, AnyOf, Prefiltered
from llm_router.classify._records import ConfidenceParams, LengthAdjust, Lexicon, Override, Signal
from llm_router.decision import COMPLEXITIES, TASKS
from llm_router.policy.problems import Issue

if TYPE_CHECKING:
    from llm_router.policy.patterns import UserPattern

ROOT = "/classifier"
_RE_DOCS = "see https://docs.python.org/3/library/re.html"
# CPU seconds that users' patterns may take per classification, in all and each (each is called once).
USER_PATTERNS_S = 0.25
USER_PATTERN_S = 0.05
_BANDS = COMPLEXITIES[1:]
_WORD = re.compile(WORD_PATTERN)
_ITEM_META = {"id", "description", "before", "after", "disabled"}


class _Checker:
    """Collects issues while reading typed values out of the section."""

    def __init__(self, trusted: Callable[[str], bool]) -> None:
        self.issues: list[Issue] = []
        self.trusted = trusted
        self.user_patterns: list[UserPattern] = []
        self.sources: list[tuple[str, str]] = []  # (path, sha256) of the files read (the lexicon)

    def issue(self, pointer: str, code: str, message: str, hint: str = "", offset: int = 0) -> None:
        self.issues.append(Issue(pointer, code, message, hint, offset))

    def mapping(self, value: Any, pointer: str) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.issue(pointer, "bad-type", "expected a mapping")
            return {}
        return value

    def number(
        self,
        m: Mapping[str, Any],
        key: str,
        pointer: str,
        default: float,
        low: float | None = None,
        high: float | None = None,
    ) -> float:
        value = m.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.issue(f"{pointer}/{key}", "bad-type", f"expected a number, got {value!r}")
            return default
        if (low is not None and value < low) or (high is not None and value > high):
            self.issue(f"{pointer}/{key}", "out-of-range", f"{value} is outside {low}..{high}")
            return default
        return float(value)

    def regex(
        self, value: Any, pointer: str
    ) -> re.Pattern[str] | Anchored | Prefiltered | UserPattern | None:
        """The compiled pattern: on `re` when it is one of ours (searched with one `match` when it can only
        match at the start), else a UserPattern under a time limit."""
        if not isinstance(value, str) or not value:
            self.issue(pointer, "bad-type", "expected a regular expression (a non-empty string)")
            return None
        if self.trusted(pointer):
            try:
                return fast(re.compile(value))
            except re.error as exc:
                self.issue(
                    pointer, "bad-regex", f"invalid regular expression: {exc.msg}", _RE_DOCS, exc.pos or 0
                )
                return None
        from llm_router.policy.patterns import PatternError, UserPattern, check  # only for users' patterns

        try:
            check(value)
        except PatternError as exc:
            self.issue(pointer, exc.code, exc.message, _RE_DOCS if exc.code == "bad-regex" else "", exc.pos)
            return None
        pattern = UserPattern(value)
        self.user_patterns.append(pattern)
        return pattern

    def task(self, value: Any, pointer: str) -> str | None:
        if value is None:
            return None
        if value not in TASKS:
            self.issue(pointer, "unknown-task", f"unknown task {value!r}", "one of " + ", ".join(TASKS))
            return None
        return str(value)

    def unknown_keys(self, m: Mapping[str, Any], allowed: set[str], pointer: str) -> None:
        for key in m:
            if key not in allowed:
                self.issue(
                    f"{pointer}/{key}",
                    "unknown-key",
                    f"unknown key {key!r}",
                    "known: " + ", ".join(sorted(allowed - _ITEM_META)),
                )


def compile_classifier(
    section: Mapping[str, Any], trusted: Callable[[str], bool] | None = None
) -> tuple[Classifier, list[Issue]]:
    """Compile the `classifier` section once (every regex, the lexicon file); problems become Issues.

    `trusted(pointer)` says whether the pattern at a JSON pointer is the built-in file's; those run on `re`.
    Every other pattern is a user's: checked for size, and run under a CPU-time limit (a pattern that runs
    out counts as not matching, and the features' contributions say `timeout:ID`).
    """
    ck = _Checker(trusted or (lambda _pointer: False))
    section = ck.mapping(section, ROOT)
    ck.unknown_keys(
        section,
        {
            "scan",
            "chars_per_token",
            "bias",
            "default_task",
            "task_bias",
            "length",
            "bands",
            "confidence",
            "lexicon",
            "lead_filler",
            "signals",
            "rules",
            "llm",  # the second stage: compiled by llm_router.llmclassify, outside this pure package
        },
        ROOT,
    )
    scan = ck.mapping(section.get("scan"), f"{ROOT}/scan")
    length = ck.mapping(section.get("length"), f"{ROOT}/length")
    conf = ck.mapping(section.get("confidence"), f"{ROOT}/confidence")
    task_bias = _per_task(ck, section.get("task_bias"), f"{ROOT}/task_bias")
    signals = tuple(_signals(ck, section.get("signals")))
    length_by_task = _per_task(ck, length.get("by_task"), f"{ROOT}/length/by_task")
    classifier = Classifier(
        signals=signals,
        overrides=tuple(_rules(ck, section.get("rules"))),
        bias=ck.number(section, "bias", ROOT, 0.0),
        task_bias=task_bias,
        default_task=ck.task(section.get("default_task", "chat"), f"{ROOT}/default_task") or "chat",
        length_weight=ck.number(length, "weight", f"{ROOT}/length", 0.0),
        length_pivot=ck.number(length, "pivot", f"{ROOT}/length", 50.0, 1.0),
        length_min=ck.number(length, "min", f"{ROOT}/length", -2.0),
        length_max=ck.number(length, "max", f"{ROOT}/length", 2.0),
        length_by_task=length_by_task,
        length_by_signal=_length_by_signal(ck, length.get("by_signal"), signals),
        chars_per_token=ck.number(section, "chars_per_token", ROOT, 4.0, 0.5, 100.0),
        head=int(ck.number(scan, "head", f"{ROOT}/scan", 3000, 0, 1_000_000)),
        tail=int(ck.number(scan, "tail", f"{ROOT}/scan", 1000, 0, 1_000_000)),
        bands=_bands(ck, section.get("bands")),
        confidence=ConfidenceParams(
            **{
                k: ck.number(conf, k, f"{ROOT}/confidence", getattr(ConfidenceParams(), k))
                for k in ConfidenceParams._fields
            }
        ),
        lexicon=_lexicon(ck, section.get("lexicon")),
        lead_filler=tuple(_strings(ck, section.get("lead_filler"), f"{ROOT}/lead_filler")),
    )
    ck.unknown_keys(scan, {"head", "tail"}, f"{ROOT}/scan")
    ck.unknown_keys(length, {"weight", "pivot", "min", "max", "by_task", "by_signal"}, f"{ROOT}/length")
    ck.unknown_keys(conf, set(ConfidenceParams._fields), f"{ROOT}/confidence")
    for pattern in ck.user_patterns:
        pattern.timeout = min(USER_PATTERN_S, USER_PATTERNS_S / len(ck.user_patterns))
    classifier.sources = tuple(ck.sources)
    return classifier, ck.issues


def _per_task(ck: _Checker, value: Any, pointer: str) -> dict[str, float]:
    """A mapping of task name to number (task_bias, length.by_task); unknown tasks are issues."""
    out: dict[str, float] = {}
    section = ck.mapping(value, pointer)
    for task in section:
        if ck.task(task, f"{pointer}/{task}") is not None:
            out[task] = ck.number(section, task, pointer, 0.0)
    return out


def _length_by_signal(ck: _Checker, value: Any, signals: tuple[Signal, ...]) -> dict[str, LengthAdjust]:
    """`length.by_signal`: signal id -> {weight above the pivot, min of the term} when that signal fired."""
    pointer = f"{ROOT}/length/by_signal"
    known = {s.id for s in signals}
    out: dict[str, LengthAdjust] = {}
    section = ck.mapping(value, pointer)
    for sid, item in section.items():
        at = f"{pointer}/{sid}"
        if sid not in known:
            ck.issue(at, "unknown-signal", f"no signal has the id {sid!r}")
            continue
        m = ck.mapping(item, at)
        ck.unknown_keys(m, {"weight", "min"}, at)
        out[sid] = LengthAdjust(
            ck.number(m, "weight", at, 0.0) if "weight" in m else None,
            ck.number(m, "min", at, 0.0) if "min" in m else None,
        )
    return out


def _items(ck: _Checker, value: Any, pointer: str) -> list[tuple[str, Mapping[str, Any]]]:
    if value is None:
        return []
    if not isinstance(value, list):
        ck.issue(pointer, "bad-type", "expected a list of items with an `id`")
        return []
    seen: set[str] = set()
    out = []
    for i, item in enumerate(value):
        at = f"{pointer}/{i}"
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            ck.issue(at, "bad-type", "expected a mapping with a string `id`")
            continue
        if item["id"] in seen:
            ck.issue(f"{at}/id", "duplicate-id", f"id {item['id']!r} is used twice")
        seen.add(item["id"])
        if not item.get("disabled"):
            out.append((at, item))
    return out


_SIGNAL_KEYS = {"words", "phrases", "lead", "match", "weight", "task", "votes", "max_count", "min_count"}


def _signals(ck: _Checker, value: Any) -> list[Signal]:
    out: list[Signal] = []
    index: dict[str, int] = {}  # id -> position of the signals compiled so far, for `requires`
    for at, item in _items(ck, value, f"{ROOT}/signals"):
        ck.unknown_keys(item, _ITEM_META | _SIGNAL_KEYS | {"requires", "unless", "needs"}, at)
        words = _strings(ck, item.get("words"), f"{at}/words")
        phrases = _strings(ck, item.get("phrases"), f"{at}/phrases")
        lead = _strings(ck, item.get("lead"), f"{at}/lead")
        for j, word in enumerate(words):
            if not _WORD.fullmatch(word):
                ck.issue(
                    f"{at}/words/{j}",
                    "not-a-word",
                    f"{word!r} is not one word",
                    "put it under `phrases`, which match substrings",
                )
        finditer = _finditer(ck, item["match"], f"{at}/match") if "match" in item else None
        if not (words or phrases or lead or "match" in item):
            ck.issue(at, "no-matcher", "a signal needs `words`, `phrases`, `lead` or `match`")
        task = ck.task(item.get("task"), f"{at}/task")
        weight = ck.number(item, "weight", at, 0.0, -20.0, 20.0)
        votes = ck.number(item, "votes", at, 1.0, 0.0, 100.0)
        max_count = int(ck.number(item, "max_count", at, 1, 1, 1000))
        min_count = int(ck.number(item, "min_count", at, 1, 1, 1000))
        requires = _earlier(ck, item.get("requires"), f"{at}/requires", index)
        unless = _earlier(ck, item.get("unless"), f"{at}/unless", index)
        needs = 0
        for j, need in enumerate(_strings(ck, item.get("needs"), f"{at}/needs")):
            if need not in NEEDS:
                ck.issue(
                    f"{at}/needs/{j}", "unknown-need", f"unknown need {need!r}", "one of " + ", ".join(NEEDS)
                )
            needs |= NEEDS.get(need, 0)
        index[item["id"]] = len(out)
        out.append(
            Signal(
                item["id"],
                frozenset(words),
                tuple(phrases),
                finditer,
                weight,
                task,
                votes,
                max_count,
                min_count,
                tuple(lead),
                requires,
                unless,
                needs,
            )
        )
    return out


def _finditer(ck: _Checker, value: Any, pointer: str) -> Callable[[str], Iterator[object]] | None:
    """A signal's `match`: one regex, or a list of them searched in turn (each keeps its literal prefix)."""
    if not isinstance(value, list):
        pattern = ck.regex(value, pointer)
        return pattern.finditer if pattern is not None else None
    if not value:
        ck.issue(pointer, "bad-type", "expected a regular expression or a non-empty list of them")
        return None
    patterns = [ck.regex(v, f"{pointer}/{j}") for j, v in enumerate(value)]
    found = tuple(p for p in patterns if p is not None)
    return AnyOf(found).finditer if len(found) == len(patterns) else None


def _earlier(ck: _Checker, value: Any, pointer: str, index: Mapping[str, int]) -> tuple[int, ...]:
    """Positions of the signals a signal's `requires` or `unless` names: ids of signals listed before it."""
    ids = [value] if isinstance(value, str) else value
    if ids is None:
        return ()
    if not isinstance(ids, list) or not all(isinstance(v, str) for v in ids):
        ck.issue(pointer, "bad-type", "expected a signal id or a list of them")
        return ()
    out = []
    for j, name in enumerate(ids):
        if name not in index:
            ck.issue(
                f"{pointer}/{j}" if isinstance(value, list) else pointer,
                "unknown-signal",
                f"{name!r} is not a signal listed before this one",
                "only signals above this one can be named (signals are evaluated in order)",
            )
            continue
        out.append(index[name])
    return tuple(out)


def _strings(ck: _Checker, value: Any, pointer: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        ck.issue(pointer, "bad-type", "expected a list of non-empty strings")
        return []
    return [v.lower() for v in value]


def _rules(ck: _Checker, value: Any) -> list[Override]:
    out = []
    for at, item in _items(ck, value, f"{ROOT}/rules"):
        ck.unknown_keys(item, _ITEM_META | {"match", "set"}, at)
        pattern = ck.regex(item.get("match"), f"{at}/match")
        effect = ck.mapping(item.get("set"), f"{at}/set")
        if not effect:
            ck.issue(
                f"{at}/set",
                "empty-set",
                "a rule must set at least one of task, complexity, confidence, difficulty",
            )
        ck.unknown_keys(effect, {"task", "complexity", "confidence", "difficulty"}, f"{at}/set")
        complexity = effect.get("complexity")
        if complexity is not None and complexity not in COMPLEXITIES:
            ck.issue(
                f"{at}/set/complexity",
                "unknown-complexity",
                f"unknown complexity {complexity!r}",
                "one of " + ", ".join(COMPLEXITIES),
            )
            complexity = None
        confidence = (
            ck.number(effect, "confidence", f"{at}/set", 5.0, 0.0, 10.0) if "confidence" in effect else None
        )
        difficulty = (
            ck.number(effect, "difficulty", f"{at}/set", 0.5, 0.0, 1.0) if "difficulty" in effect else None
        )
        task = ck.task(effect.get("task"), f"{at}/set/task")
        if pattern is not None:
            out.append(Override(item["id"], pattern.search, task, complexity, confidence, difficulty))
    return out


def _bands(ck: _Checker, value: Any) -> tuple[float, float, float]:
    pointer = f"{ROOT}/bands"
    m = ck.mapping(value, pointer)
    ck.unknown_keys(m, set(_BANDS), pointer)
    defaults = (0.35, 0.6, 0.82)
    cuts = tuple(ck.number(m, name, pointer, d, 0.0, 1.0) for name, d in zip(_BANDS, defaults, strict=True))
    if not cuts[0] <= cuts[1] <= cuts[2]:
        ck.issue(
            pointer,
            "bad-bands",
            f"band cutoffs must rise: {', '.join(map(str, cuts))}",
            "moderate <= complex <= deep_reasoning",
        )
        return defaults
    return cuts[0], cuts[1], cuts[2]


def _lexicon(ck: _Checker, value: Any) -> Lexicon | None:
    pointer = f"{ROOT}/lexicon"
    m = ck.mapping(value, pointer)
    ck.unknown_keys(m, {"file", "weight", "enabled"}, pointer)
    weight = ck.number(m, "weight", pointer, 1.0, -100.0, 100.0)
    if not m or m.get("enabled", True) is False or weight == 0:
        return None
    ref = m.get("file")
    if not isinstance(ref, str):
        ck.issue(f"{pointer}/file", "bad-type", "expected a file name", "builtin:NAME or an absolute path")
        return None
    path = Path(ref[len("builtin:") :]) if ref.startswith("builtin:") else Path(ref).expanduser()
    if ref.startswith("builtin:"):
        path = paths.policies_dir() / (path.name if path.suffix else f"{path.name}.json")
    elif not path.is_absolute():
        ck.issue(
            f"{pointer}/file", "relative-path", f"{ref!r} is relative", "use builtin:NAME or an absolute path"
        )
        return None
    try:
        data, sha = _read_lexicon(str(path))
        ck.sources.append((str(path), sha))
        return Lexicon(
            words=data.get("words", {}),
            bigrams=data.get("bigrams", {}),
            scale=weight * float(data.get("scale", 1.0)),
            max_words=int(data.get("max_words", 400)),
        )
    except fileio.RefusedFile as exc:
        hint = f"a lexicon is a regular JSON file of at most {fileio.LEXICON_LIMIT:,} bytes"
        ck.issue(f"{pointer}/file", "bad-lexicon", f"cannot read {path}: it {exc.reason}", hint)
        return None
    except (OSError, ValueError, TypeError, AttributeError, re.error) as exc:
        ck.issue(f"{pointer}/file", "bad-lexicon", f"cannot read {path}: {exc}")
        return None


_lexicons: dict[str, dict[str, Any]] = {}  # sha256 -> parsed lexicon, in this process


def _read_lexicon(path: str) -> tuple[dict[str, Any], str]:
    """The lexicon file's data and the sha256 of its bytes (parsed once per content in a process)."""
    raw = fileio.read_bounded(path, limit=fileio.LEXICON_LIMIT, what="lexicon")
    sha = hashlib.sha256(raw).hexdigest()
    data = _lexicons.get(sha)
    if data is None:
        data = json.loads(raw)
        if not isinstance(data, dict) or not isinstance(data.get("words", {}), dict):
            raise ValueError("expected an object with a `words` mapping")
        if len(_lexicons) >= 8:
            _lexicons.clear()
        _lexicons[sha] = data
    return data, sha
