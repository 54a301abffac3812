"""The classifier's per-prompt work as one Python function written for its policy: the signals' walk unrolled
in their order (requires/unless as local booleans, weights, caps and votes as constants, each regex's search
bound in, each regex behind the exact tests that can rule it out), then the task, length, difficulty and
confidence arithmetic and the override rules, as `Classifier` ran them in a loop over its data.

The source is generated when a policy is compiled and only its code object is kept (in the compiled-policy
cache too); a process that loads it runs no compiler. No text of the policy's (an id, a phrase, a pattern, a
number) is ever written into the source: the source names values by their position in `consts` (plain data,
kept with the code) or in `runtime(classifier)` (callables rebuilt at load, in an order that depends only on
the classifier's plan: `_runtime`, which is all a process that loads the code imports).
"""

from __future__ import annotations

from llm_router.classify import _codegen_scan as _scan
from llm_router.classify import _plan
from llm_router.classify._patterns import Anchored, Prefiltered
from llm_router.classify._runtime import FIXED

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import CodeType
    from typing import Any

    from llm_router.classify._classifier import Classifier

_ASCII_NOT_WORD = "".join(chr(x) for x in range(128) if not (chr(x).isalnum() or chr(x) == "_"))


class _Writer:
    """The generated lines and the constants they name."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.consts: list[Any] = []
        self.indexes: dict[tuple[type, str], int] = {}

    def k(self, value: Any) -> str:
        """The name of a constant (one per distinct value of a type)."""
        key = (type(value), repr(value))  # repr: 0.0 and -0.0 are two constants
        found = self.indexes.get(key)
        if found is None:
            found = self.indexes[key] = len(self.consts)
            self.consts.append(value)
        return f"k{found}"

    def __call__(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)


def generate(
    clf: Classifier, gates: Sequence[Sequence[Sequence[tuple[Any, ...]]] | None]
) -> tuple[CodeType, tuple[Any, ...]]:
    """The code object defining `make(*runtime, *consts)`, which returns `classify(prompt) -> Features`,
    and `consts`. `gates[i][j]` are the tests (`_analysis.gates`) ruling out part j of signal i."""
    e = _Writer()
    r = {name: f"r{n}" for n, name in enumerate(FIXED)}
    signals = clf.signals
    plan = clf._plan
    referenced: set[int] = set()
    for step in plan:
        referenced.update(j for j in (*(step[2] or ()), *(step[3] or ())) if 0 <= j < len(signals))
    by_id: dict[str, list[int]] = {}
    for i, s in enumerate(signals):
        by_id.setdefault(s.id, []).append(i)
    for sid in clf.length_by_signal:
        referenced.update(by_id.get(sid, ()))
    b = 2
    # what classify does before the walk: the window, its words and phrases, the lead phrases
    _scan.words_and_phrases(e, b, clf, r)
    # the signals, in order
    e(b, "fired = []")
    e(b, f"contributions = [{e.k(('bias', clf.bias))}]")
    e(b, f"logit = {e.k(clf.bias)}")
    e(b, "votes = {}")
    e(b, "needs = 0")
    e(b, "hd = ch = None")
    e(b, "asc = text.isascii()")
    if referenced:
        e(b, " = ".join(f"f{j}" for j in sorted(referenced)) + " = False")
    nr = len(FIXED)
    i = 0
    while i < len(plan):
        # a run of signals that require the same earlier ones: that test once for the run
        requires = plan[i][2]
        end = i + 1
        while end < len(plan) and requires is not None and plan[end][2] == requires:
            end += 1
        depth = b
        if end - i >= 3 and max(requires) < i:  # type: ignore[arg-type]
            e(b, "if " + _any([f"f{j}" if j in referenced else "False" for j in sorted(requires)]) + ":")  # type: ignore[arg-type]
            e(b + 1, "pass")
            depth = b + 1
        else:
            end = i + 1
        for k in range(i, end):
            step = plan[k] if depth == b else (*plan[k][:2], None, *plan[k][3:])
            nr = _signal(
                e,
                depth,
                step,
                signals[k],
                referenced,
                gates[k] if k < len(gates) else None,
                r,
                nr,
                clf._folded,
                clf._tails,
            )
        i = end
    _after(e, b, clf, by_id, r, nr)
    names = [*(f"r{n}" for n in range(nr + len(clf.overrides))), *(f"k{n}" for n in range(len(e.consts)))]
    source = "\n".join(
        ["def make(" + ", ".join(names) + "):", "    def classify(prompt):", *e.lines, "    return classify"]
    )
    return compile(source, "<classifier>", "exec"), tuple(e.consts)


def _any(names: Sequence[str]) -> str:
    return "(" + " or ".join(names) + ")"


_SLOTS = (
    5  # runtime callables per part: search, finditer, the lowered window's search and finditer, the rest's
)


def _signal(
    e: _Writer,
    b: int,
    step: tuple[Any, ...],
    signal: Any,
    referenced: set[int],
    gates: Sequence[Sequence[tuple[Any, ...]]] | None,
    r: dict[str, str],
    nr: int,
    folded: Sequence[Sequence[Any] | None],
    tails: Sequence[Sequence[Any] | None],
) -> int:
    """One signal's step; returns the number of the next runtime callable."""
    (i, sid, requires, unless, finditer, parts, enough, min_count, max_count, weight, task, votes, bits) = (
        step
    )
    counted = bool(signal.words or signal.phrases or signal.lead)
    searched = finditer is not None
    if parts is None and searched:
        own = f"r{nr}"
        nr += 1
    elif parts is not None:
        nr0, nr = nr, nr + _SLOTS * len(parts)
    else:
        nr += 1  # a signal without a regex holds None there
    if not counted and not searched:
        return nr
    e(b, f"# signal {int(i)}")
    depth = b
    tests = []
    if requires is not None:
        tests.append(_any([f"f{j}" if j in referenced else "False" for j in sorted(requires)]))
    if unless is not None:
        tests.append("not " + _any([f"f{j}" if j in referenced else "False" for j in sorted(unless)]))
    threshold = max(int(min_count), 1)
    if not searched:  # words, phrases and leads only: one test of the count
        n = f"counts[{int(i)}]"
        tests.append(n if threshold == 1 else f"{n} >= {threshold}")
        e(depth, "if " + " and ".join(tests) + ":")
        _fire(e, depth + 1, i, sid, referenced, bits, weight, max_count, task, votes, n)
        return nr
    if tests:
        e(depth, "if " + " and ".join(tests) + ":")
        depth += 1
    e(depth, f"n = counts[{int(i)}]" if counted else "n = 0")
    enough = int(enough)
    if parts is None and searched:
        e(depth, f"if n < {enough}:")
        e(depth + 1, "try:")
        e(depth + 2, f"for _ in {own}(text):")
        e(depth + 3, "n += 1")
        e(depth + 3, f"if n >= {enough}:")
        e(depth + 4, "break")
        e(depth + 1, "except TimeoutError:")
        e(depth + 2, f"contributions.append({e.k((f'timeout:{sid}', 0.0))})")
    elif parts is not None:
        d = depth
        folds = folded[i] if i < len(folded) else None
        rests = tails[i] if i < len(tails) else None
        for j, (digit, literals, _search, each) in enumerate(parts):
            if counted or j:  # else n is 0 here
                e(d, f"if n < {enough}:")
                d += 1
            part_gates = gates[j] if gates is not None and j < len(gates) else ()
            at = nr0 + _SLOTS * j
            search, finditer = f"r{at}(text)", f"r{at + 1}(text)"
            if folds is not None and j < len(folds) and folds[j] is not None:  # `(?i)`: on the lowered window
                search = f"(r{at + 2}(lowered) if asc else {search})"
                finditer = f"(r{at + 3}(lowered) if asc else {finditer})"
            rest = f"r{at + 4}" if rests is not None and j < len(rests) and rests[j] is not None else None
            _part(e, d, digit, literals, each, part_gates, search, finditer, enough, r, rest)
    e(depth, "if n:" if threshold == 1 else f"if n >= {threshold}:")
    _fire(e, depth + 1, i, sid, referenced, bits, weight, max_count, task, votes, "n")
    return nr


def _fire(
    e: _Writer,
    d: int,
    i: int,
    sid: str,
    referenced: set[int],
    bits: int,
    weight: float,
    max_count: int,
    task: str | None,
    votes: float,
    n: str,
) -> None:
    """What a signal that fired with `n` hits adds: its id, needs, effect on the logit and task vote."""
    if i in referenced:
        e(d, f"f{int(i)} = True")
    e(d, f"fired.append({e.k(sid)})")
    if bits:
        e(d, f"needs |= {int(bits)}")
    if weight:
        if max_count == 1:
            effect = weight * 1
            e(d, f"logit += {e.k(effect)}")
            e(d, f"contributions.append({e.k((f'signal:{sid}', effect))})")
        else:
            e(d, f"effect = {e.k(weight)} * min({n}, {int(max_count)})")
            e(d, "logit += effect")
            e(d, f"contributions.append(({e.k(f'signal:{sid}')}, effect))")
    if task is not None:
        e(d, f"votes[{e.k(task)}] = votes.get({e.k(task)}, 0.0) + {e.k(votes)}")


def _part(
    e: _Writer,
    d: int,
    digit: bool,
    literals: Sequence[str] | None,
    each: Any,
    gates: Sequence[tuple[Any, ...]],
    search: str,
    finditer: str,
    enough: int,
    r: dict[str, str],
    rest: str | None = None,
) -> None:
    """One regex of a signal: searched unless a test rules it out (`n` counts its hits). `search` and
    `finditer` are the expressions that search the window; `rest` names the search of the pattern's
    literal-led rest (`_analysis.literal_rest`), which finds something in every text the pattern matches."""
    tests, exact = _tests(e, d, digit, literals, gates, r, anchored=each is None)
    if rest is not None and not exact:
        tests.append(f"{rest}(text) is not None")
    if tests:
        e(d, "if " + " and ".join(tests) + ":")
        d += 1
    if exact:
        e(d, "n += 1")
    elif each is None or enough == 1:
        e(d, f"if {search} is not None:")
        e(d + 1, "n += 1")
    else:
        e(d, f"if n + 1 >= {enough}:")
        e(d + 1, f"if {search} is not None:")
        e(d + 2, "n += 1")
        e(d, "else:")
        e(d + 1, f"for _ in {finditer}:")
        e(d + 2, "n += 1")
        e(d + 2, f"if n >= {enough}:")
        e(d + 3, "break")


def _has_digit(e: _Writer, d: int, r: dict[str, str]) -> None:
    """Set `hd`, whether the window holds a digit, once: an ASCII text by the ten digits, others by `\\d`."""
    e(d, "if hd is None:")
    ascii_digits = _any([f"{e.k(x)} in text" for x in "0123456789"])
    e(d + 1, f"hd = {ascii_digits} if asc else {r['digit']}(text) is not None")


def _tests(
    e: _Writer,
    d: int,
    digit: bool,
    literals: Sequence[str] | None,
    gates: Sequence[tuple[Any, ...]],
    r: dict[str, str],
    anchored: bool,
) -> tuple[list[str], bool]:
    """The tests a text must pass for a pattern to match in it (`gates` only for one that can match only at
    the start), and whether passing them is matching (`always`, `len`). Writes what computes their inputs
    once per prompt: whether the window holds a digit (`hd`), its first word character (`ch`)."""
    kinds = {g[0]: g for g in gates if anchored or g[0] in ("atoms", "upper")}
    tests = ["text != lowered"] if "upper" in kinds else []
    if "atoms" in kinds and not literals and not digit:
        _, atom_digit, chars = kinds["atoms"]
        if atom_digit:
            _has_digit(e, d, r)
        tests.append(_any([*(["hd"] if atom_digit else []), *(f"{e.k(x)} in text" for x in chars)]))
    if digit:
        _has_digit(e, d, r)
        tests.insert(0, "hd")
    if literals:
        tests.append(_any([f"{e.k(lit)} in text" for lit in literals]))
    if "len" in kinds:
        _, low, high = kinds["len"]
        tests.append(f"{int(low)} <= len(text)" + ("" if high is None else f" <= {int(high)}"))
        return tests, True
    if "always" in kinds:
        return tests, True
    if "literals" in kinds:
        tests.append(_any([f"{e.k(lit)} in text" for lit in kinds["literals"][1]]))
    if "first" in kinds:
        _, skip, chars = kinds["first"]
        if skip:
            # the first character after the leading non-word ones: past the ASCII ones by lstrip, and by
            # `\\W*` when what stops lstrip is not ASCII (it may be a non-word character too)
            e(d, "if ch is None:")
            e(d + 1, f"ch = text.lstrip({e.k(_ASCII_NOT_WORD)})[:1]")
            e(d + 1, "if not ch.isascii():")
            e(d + 2, f"ch = {r['skip']}(text).end()")
            e(d + 2, "ch = text[ch : ch + 1]")
            tests.append(f"ch in {e.k(frozenset(chars))}")
        else:
            tests.append(f"text[:1] in {e.k(frozenset(chars))}")
    return tests, False


def _after(
    e: _Writer, b: int, clf: Classifier, by_id: dict[str, list[int]], r: dict[str, str], nr: int
) -> None:
    """The task, the length term, the difficulty, its band and confidence, the override rules."""
    e(b, "if not votes:")
    e(b + 1, f"task = {e.k(clf.default_task)}")
    e(b + 1, "margin = 0.0")
    e(b, "elif len(votes) == 1:")
    e(b + 1, "for task, margin in votes.items():")
    e(b + 2, "margin = margin - 0.0")
    e(b, "else:")
    # the first task voted of those with the most votes (what a stable sort by votes puts first)
    e(b + 1, "task = max(votes, key=votes.__getitem__)")
    e(b + 1, "ranked = sorted(votes.values(), reverse=True)")
    e(b + 1, "margin = ranked[0] - ranked[1]")
    if clf.task_bias:
        e(b, f"effect = {e.k(dict(clf.task_bias))}.get(task, 0.0)")
        e(b, "if effect:")
        e(b + 1, "logit += effect")
        e(b + 1, f"contributions.append(({e.k('task:')} + task, effect))")
    # length_term: clamp(ln(tokens / pivot), min, max), `by_signal` raising min
    e(b, f"low = {e.k(clf.length_min)}")
    for sid, adjust in clf.length_by_signal.items():
        if adjust.min is not None and by_id.get(sid):
            e(b, f"if {e.k(adjust.min)} > low and {_any([f'f{j}' for j in by_id[sid]])}:")
            e(b + 1, f"low = {e.k(adjust.min)}")
    # min(a, b) is `b if b < a else a` and max(a, b) is `b if b > a else a`, as the builtins decide them
    e(b, f"term = {r['log']}((tokens if tokens > 1 else 1) / {e.k(clf.length_pivot)})")
    e(b, "term = low if low > term else term")
    e(b, f"term = {e.k(clf.length_max)} if {e.k(clf.length_max)} < term else term")
    # length_override: above the pivot, the smallest of the task's and the fired signals' weights
    e(b, f"weight = {e.k(clf.length_weight)}")
    weights = [(sid, a.weight) for sid, a in clf.length_by_signal.items() if a.weight is not None]
    if clf.length_by_task or weights:
        # the smallest of the task's weight and the fired signals' (min of a list, folded from its left)
        e(b, "if term > 0:")
        e(b + 1, "found = None")
        if clf.length_by_task:
            e(b + 1, f"if task in {e.k(dict(clf.length_by_task))}:")
            e(b + 2, f"found = {e.k(dict(clf.length_by_task))}[task]")
        for sid, weight in weights:
            if by_id.get(sid):
                e(b + 1, f"if {_any([f'f{j}' for j in by_id[sid]])}:")
                e(b + 2, f"found = {e.k(weight)} if found is None else min(found, {e.k(weight)})")
        e(b + 1, "if found is not None:")
        e(b + 2, "weight = found")
    e(b, "if weight:")
    e(b + 1, "effect = weight * term")
    e(b + 1, "logit += effect")
    e(b + 1, f"contributions.append(({e.k('length')}, effect))")
    if clf.lexicon is not None:
        e(b, f"effect = {r['lexicon']}(words)")
        e(b, "if effect:")
        e(b + 1, "logit += effect")
        e(b + 1, f"contributions.append(({e.k('lexicon')}, effect))")
    e(b, "if logit >= 0:")
    e(b + 1, f"difficulty = 1.0 / (1.0 + {r['exp']}(-logit))")
    e(b, "else:")
    e(b + 1, f"x = {r['exp']}(logit)")
    e(b + 1, "difficulty = x / (1.0 + x)")
    bands = [e.k(cut) for cut in clf.bands]
    from llm_router.decision import COMPLEXITIES

    above = " + ".join(["0", *(f"(difficulty >= {k})" for k in bands)])
    e(b, f"complexity = {e.k(COMPLEXITIES)}[{above}]")
    distances = [f"abs(difficulty - {k})" for k in bands]
    nearest = (
        distances[0] if len(distances) == 1 else f"min({', '.join(distances)})" if distances else "min(())"
    )
    e(b, f"distance = {nearest}")
    c = clf.confidence
    e(b, f"x = {e.k(c.per_vote)} * margin")
    e(b, f"value = {e.k(c.base)} + ({e.k(c.max_vote_gain)} if {e.k(c.max_vote_gain)} < x else x)")
    e(b, f"x = {e.k(c.per_band_distance)} * distance")
    e(b, f"value = value + ({e.k(c.max_band_gain)} if {e.k(c.max_band_gain)} < x else x)")
    e(b, "value = 0.0 if 0.0 > value else value")
    e(b, "confidence = round(10.0 if 10.0 < value else value, 2)")
    from llm_router.classify._analysis import gates

    for n, rule in enumerate(clf.overrides):
        owner = getattr(rule.search, "__self__", None)
        literals = owner.literals if isinstance(owner, Prefiltered) else None
        if isinstance(owner, Anchored):
            tests, exact = _tests(e, b, False, None, gates(owner.compiled), r, anchored=True)
        elif owner is not None and (_plan._is_re(owner) or isinstance(owner, Prefiltered)):
            tests, exact = _tests(
                e, b, False, literals, gates(getattr(owner, "compiled", owner)), r, anchored=False
            )
        else:  # a user's pattern: searched as it is, under its time limit
            tests, exact = [], False
        e(b, "found = None")
        if tests:
            e(b, "if " + " and ".join(tests) + ":")
        d = b + 1 if tests else b
        if exact:
            e(d, "found = True")
        else:
            e(d, "try:")
            e(d + 1, f"found = r{nr + n}(text)")
            e(d, "except TimeoutError:")
            e(d + 1, f"contributions.append({e.k((f'timeout:{rule.id}', 0.0))})")
        e(b, "if found is not None:")
        e(
            b + 1,
            f"task, complexity, difficulty, confidence, logit = {r['apply']}({int(n)}, fired, contributions,"
            " task, complexity, difficulty, confidence, logit)",
        )
        e(b, "else:")
        b += 1
    e(b, "pass")
    b = 2
    e(
        b,
        f"return {r['new']}({r['Features']}, (tokens, task, complexity, difficulty, confidence, tuple(fired),"
        " tuple(contributions), bool(needs & 1), bool(needs & 2)))",
    )
