"""The on-disk cache of compiled policies, so that a process that decides (a hook, above all) neither parses
YAML nor compiles expressions and regexes: it reads one file and builds the CompiledPolicy from it.

An entry is `<home>/cache/compiled-<inputs digest>.<interpreter tag>.bin`: a header (marshal data: the
format, the interpreter and code stamp, the inputs' key, the files, the payload's length), then the payload
(marshal data, unmarshalled in place only when the header holds): the rules' conditions as one code object
(`exprcheck.fuse`), each rule's fields, the classifier's data with every built-in regex as the `_sre` program
`re.compile` would make (each built on its first search) and its per-prompt function as a code object
(`classify/_codegen.py`), and the merged document (unmarshalled only when read). It is used only when all of
these hold, and rebuilt otherwise:

- it was written by this cache format, for these inputs (the policy's layers: `sources.roots`), by this
  interpreter (its bytecode magic number and `_sre` version) and this llm-router (its version and the
  sources of the modules that compile policies);
- every file it was built from (policy layers, their `extends`, a lexicon) still has the same content
  (blake2b), and every optional layer that was absent still is. A file whose inode, size, mode and
  modification and change times are those it had is not read again: its content cannot have changed
  without its change time changing, which no program can set;
- the entry is a regular file of this user that nobody else can write, under `fileio.CACHE_LIMIT`.

Loading costs about as much for a thousand rules as for ten: each rule's fields stay marshal bytes until the
rule is first used (`RuleTable`), deciding uses only the rules that matched, and the conditions of all the
rules are one code object. Standard library C modules only.
"""

from __future__ import annotations

import _sre
import marshal
import os
import sys
import time
from _blake2 import blake2b  # hashlib without loading OpenSSL
from _frozen_importlib_external import MAGIC_NUMBER  # importlib.util.MAGIC_NUMBER, loaded at start-up

from llm_router import __version__, fileio

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any

    from llm_router.policy.compiled import CompiledPolicy
    from llm_router.policy.sources import Root

__all__ = ["FORMAT", "Patterns", "entry_path", "key_of", "numbering", "read", "write"]

FORMAT = 6
RACY_NS = 2_000_000_000  # a file changed less than this long before it was cached is checked by content
_FOLDER = "cache"
_TAG = sys.implementation.cache_tag or sys.implementation.name
# The modules whose code decides what a compiled policy holds: an edited one (a checkout, an in-place
# reinstall of the same version) makes every entry stale.
_COMPILERS = (
    "policy/compile.py",
    "policy/compiled.py",
    "policy/compiled_cache.py",
    "policy/expr.py",
    "policy/exprcheck.py",
    "policy/meter.py",
    "policy/namespace.py",
    "classify/_analysis.py",
    "classify/_classifier.py",
    "classify/_codegen.py",
    "classify/_codegen_scan.py",
    "classify/_compile.py",
    "classify/_patterns.py",
    "classify/_plan.py",
    "classify/_records.py",
    "classify/_runtime.py",
    "llmclassify/spec.py",
)
_stamp: tuple[Any, ...] | None = None


def _code_stamp() -> tuple[Any, ...]:
    """This interpreter and this llm-router, as far as compiled policies depend on them."""
    global _stamp
    if _stamp is None:
        package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        files = []
        for name in _COMPILERS:
            try:
                st = os.stat(os.path.join(package, name))
            except OSError:  # installed without sources: the version says it all
                continue
            files.append((name, st.st_mtime_ns, st.st_size))
        _stamp = (_TAG, MAGIC_NUMBER, _sre.MAGIC, __version__, tuple(files))
    return _stamp


def key_of(roots: Iterable[Root], builtins: str) -> str:
    """The text that names one set of policy inputs."""
    return repr((FORMAT, builtins, [tuple(r) for r in roots]))


def entry_path(home: str, key: str) -> str:
    """Where the entry for these inputs lives, for this interpreter."""
    digest = blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    return os.path.join(home, _FOLDER, f"compiled-{digest}.{_TAG}.bin")


def _digest(data: bytes) -> bytes:
    return blake2b(data, digest_size=16).digest()


def _signature(path: str) -> tuple[int, ...] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_dev, st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _settled(path: str, signature: tuple[int, ...] | None) -> bool:
    """Whether a file's signature can stand for its content: it did not change while it was read, and its
    last change is older than the file system's timestamp granularity could hide (a write in the same tick
    as the one read keeps the times): otherwise its content is checked each time."""
    return signature is not None and _signature(path) == signature and time.time_ns() - signature[5] > RACY_NS


def unchanged(files: Sequence[tuple[str, bytes | None, int, tuple[int, ...] | None]]) -> bool:
    """Whether every file still has the content it had (and every absent one is still absent)."""
    return _check(files) is not None


def _check(files: Sequence[tuple[str, bytes | None, int, tuple[int, ...] | None]]) -> tuple[Any, ...] | None:
    """`files` with the signatures that can now stand for their content, or None when one changed."""
    checked = []
    for path, digest, limit, signature in files:
        if digest is None:
            if os.path.exists(path):
                return None
        elif signature is None or _signature(path) != signature:
            before = _signature(path)
            try:
                if _digest(fileio.read_bounded(path, limit=limit, what="policy file")) != digest:
                    return None
            except OSError:
                return None
            signature = before if _settled(path, before) else None
        checked.append((path, digest, limit, signature))
    return tuple(checked)


def read(home: str, key: str) -> tuple[CompiledPolicy, tuple[Any, ...]] | None:
    """The cached policy for these inputs and the files it depends on, or None when there is no usable
    entry (missing, stale, foreign, not private, corrupt)."""
    try:
        raw = fileio.read_private(entry_path(home, key), limit=fileio.CACHE_LIMIT, what="cache")
        entry = marshal.loads(raw)  # the header: the payload after it is not copied
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not (isinstance(entry, tuple) and len(entry) == 5 and entry[0] == FORMAT and type(entry[4]) is int):
        return None
    files = _check(entry[3]) if entry[1] == _code_stamp() and entry[2] == key else None
    if files is None:
        return None
    try:
        if len(raw) - entry[4] != len(marshal.dumps(entry)):  # the payload is what follows the header
            return None
        payload = memoryview(raw)[len(raw) - entry[4] :]
        cp = _policy(_unpack(payload))
    except Exception:  # noqa: BLE001 - an entry of the wrong shape is a cache miss, whatever it breaks
        return None
    if files != entry[3]:  # a file checked by its content now has a signature that stands for it
        _store(home, key, (*entry[:3], files), payload)
    return cp, files


def write(
    home: str, key: str, cp: CompiledPolicy, files: Iterable[tuple[str, str | None, int]]
) -> tuple[Any, ...]:
    """Store `cp`, compiled from `files` ((path, sha256 of what was compiled or None for an absent file,
    read limit)); returns the files as the entry checks them. Nothing is stored when a file changed since it
    was compiled, or when the policy holds what marshal cannot write (a YAML date, say): no cache, then."""
    import hashlib

    checked: list[tuple[str, bytes | None, int, tuple[int, ...] | None]] = []
    for path, sha, limit in files:
        if sha is None:
            if os.path.exists(path):
                return ()
            checked.append((path, None, limit, None))
            continue
        before = _signature(path)
        try:
            data = fileio.read_bounded(path, limit=limit, what="policy file")
        except OSError:
            return ()
        if hashlib.sha256(data).hexdigest() != sha:
            return ()  # changed while it was compiled: the next process compiles it again
        checked.append((path, _digest(data), limit, before if _settled(path, before) else None))
    try:
        payload = _pack(_state(cp))
    except ValueError:
        return ()
    _store(home, key, (FORMAT, _code_stamp(), key, tuple(checked)), payload)
    return tuple(checked)


def _store(home: str, key: str, header: tuple[Any, ...], payload: bytes | memoryview) -> None:
    """Write the entry: the header (`header` and the payload's length) as marshal data, then the payload."""
    target = entry_path(home, key)
    try:
        fileio.private_dir(os.path.dirname(target))
        fileio.write_private(target, marshal.dumps((*header, len(payload))) + payload)
    except OSError:  # a home we cannot write to just means no cache
        pass


# --- CompiledPolicy <-> plain data ------------------------------------------------------------------------


def numbering() -> tuple[list[bytes], Callable[[Any], int]]:
    """(the table of regex specs, `pattern(compiled)`): the number of a classifier regex in the table, its
    spec (marshal bytes, the wrapped patterns by their own numbers) added when it is first numbered."""
    specs: list[bytes] = []
    numbers: dict[int, int] = {}

    def pattern(compiled: Any) -> int:
        number = numbers.get(id(compiled))
        if number is None:
            number = numbers[id(compiled)] = len(specs)
            specs.append(b"")
            specs[number] = marshal.dumps(_pattern_spec(compiled, pattern))
        return number

    return specs, pattern


def _state(cp: CompiledPolicy) -> dict[str, Any]:
    """`cp` as plain data marshal can write."""
    specs, pattern = numbering()
    state: dict[str, Any] = dict(zip(cp._fields, cp, strict=True))
    state.update(
        presets={name: tuple(p) for name, p in cp.presets.items()},
        chains={name: dict(by_profile) for name, by_profile in cp.chains.items()},
        budgets=tuple(tuple(b) for b in cp.budgets),
        models={name: dict(m) for name, m in cp.models.items()},
        fallback=dict(cp.fallback),
        data=marshal.dumps(_plain(cp.data)),
        rules=tuple(marshal.dumps(_rule_fields(r)) for r in cp.rules),  # each read when first used
        classifier=cp.classifier.state(pattern),
        classifier_llm=None if cp.classifier_llm is None else tuple(cp.classifier_llm),
        gateway=_plain(cp.gateway),
    )
    state["patterns"] = tuple(specs)  # each one's spec as marshal bytes: read when the pattern is first used
    return state


def _plain(value: Any) -> Any:
    """Mappings as dicts, all the way down (the merged document may hold read-only views)."""
    if isinstance(value, dict) or hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _rule_fields(rule: Any) -> tuple[Any, ...]:
    when = rule.when
    constant = when.constant_value
    return (
        rule.id,
        when.source,
        rule.names,
        frozenset(when.names),
        {name: tuple(sorted(keys)) for name, keys in when.constant_keys.items()},
        when.patterns,
        when.metered,
        constant is not None,
        constant[0] if constant is not None else None,
        tuple(rule.then),
        rule.cont,
        rule.location,
        rule.description,
    )


def _build_rule(packed: bytes) -> Any:
    from llm_router.policy.compiled import Action, CompiledRule, Expr

    (rule_id, source, names, used, keys, patterns, metered, is_constant, constant, then, cont, location,
     description) = marshal.loads(packed)  # fmt: skip
    when = Expr(source, used, keys, None, constant, patterns, metered, None, is_constant)
    return CompiledRule(rule_id, when, Action(*then), cont, location, description, names)


def _pattern_spec(compiled: Any, member: Callable[[Any], int]) -> tuple[Any, ...]:
    """How to build a classifier regex again: the `_sre` program of a built-in (`re`) pattern, or the text of
    a user's pattern (the regex module compiles it on first use, under its time limit). A wrapper's patterns
    are given by `member` (each one's number in the same table)."""
    timeout = getattr(compiled, "timeout", None)
    if timeout is not None:  # a UserPattern
        return ("user", compiled.pattern, bool(compiled.flags), timeout)
    members = getattr(compiled, "patterns", None)
    if members is not None:  # classify's AnyOf: a list of patterns searched in turn
        return ("anyof", tuple(member(p) for p in members))
    inner = getattr(compiled, "compiled", None)
    literals = getattr(compiled, "literals", None)
    if inner is not None and literals is not None:  # classify's Prefiltered: searched only where it can match
        return ("prefiltered", tuple(literals), member(inner))
    if inner is not None:  # classify's Anchored: a pattern searched with one match at the start
        return ("anchored", member(inner))
    import re

    try:
        from re import _compiler, _parser  # type: ignore[attr-defined]  # what re.compile itself runs

        parsed = _parser.parse(compiled.pattern, compiled.flags)
        code = [int(op) for op in _compiler._code(parsed, compiled.flags)]  # named constants as plain ints
        groupindex = dict(parsed.state.groupdict)
        indexgroup: list[str | None] = [None] * parsed.state.groups
        for name, index in groupindex.items():
            indexgroup[index] = name
        args = (
            compiled.pattern,
            compiled.flags | parsed.state.flags,
            code,
            parsed.state.groups - 1,
            groupindex,
            tuple(indexgroup),
        )
        if _sre.compile(*args) == re.compile(compiled.pattern, compiled.flags):
            return ("sre", *args)
    except Exception:  # noqa: BLE001 - re's internals differ in this Python: compile from the text instead
        pass
    return ("re", compiled.pattern, compiled.flags)


class Patterns:
    """The classifier's regexes by number, each built from its spec (marshal bytes) when it is first asked
    for: a hook classifies one prompt, which searches few of them."""

    __slots__ = ("_built", "_specs")

    def __init__(self, specs: Sequence[bytes | memoryview]) -> None:
        self._specs = specs
        self._built: list[Any] = [None] * len(specs)

    def __len__(self) -> int:
        return len(self._specs)

    def __getitem__(self, number: int) -> Any:
        found = self._built[number]
        if found is None:
            found = self._built[number] = _pattern(marshal.loads(self._specs[number]), self)
        return found


def _pattern(spec: tuple[Any, ...], table: Patterns) -> Any:
    kind = spec[0]
    if kind == "sre":
        return _sre.compile(*spec[1:])

    member = table.__getitem__  # a wrapper's patterns: by their numbers in the table

    if kind == "anchored":
        from llm_router.classify._patterns import Anchored

        return Anchored(member(spec[1]))
    if kind == "anyof":
        from llm_router.classify._patterns import AnyOf

        return AnyOf(tuple(member(inner) for inner in spec[1]))
    if kind == "prefiltered":
        from llm_router.classify._patterns import Prefiltered

        return Prefiltered(member(spec[2]), spec[1])
    if kind == "re":
        import re

        return re.compile(spec[1], spec[2])
    from llm_router.policy.patterns import UserPattern

    return UserPattern(spec[1], spec[2], spec[3])


def _pack(state: dict[str, Any]) -> bytes:
    """The payload: `state` as marshal data, then the marshal bytes of its parts read only when used (the
    merged document, each regex's spec, the classifier's details), which the state names by their span in
    that region: a process that loads the entry reads them in place (`_unpack`) rather than copying them."""
    region: list[bytes] = []
    size = 0

    def span(blob: bytes) -> tuple[int, int]:
        nonlocal size
        region.append(blob)
        size += len(blob)
        return size - len(blob), size

    details = state["classifier"]["details"]
    state.update(
        data=span(state["data"]),
        patterns=tuple(span(spec) for spec in state["patterns"]),
        classifier={**state["classifier"], "details": {name: span(b) for name, b in details.items()}},
        region=size,
    )
    return marshal.dumps(state) + b"".join(region)


def _unpack(payload: memoryview) -> dict[str, Any]:
    """The state `_pack` wrote, its parts as views of the payload."""
    state = marshal.loads(payload)
    region = payload[len(payload) - state.pop("region") :]
    classifier = state["classifier"]
    classifier["details"] = {name: region[a:b] for name, (a, b) in classifier["details"].items()}
    a, b = state["data"]
    state.update(data=region[a:b], patterns=tuple(region[a:b] for a, b in state["patterns"]))
    return state


def _policy(state: dict[str, Any]) -> CompiledPolicy:
    """The CompiledPolicy whose `_state` gave `state`."""
    from llm_router.classify._classifier import Classifier
    from llm_router.policy.compiled import BudgetSpec, CompiledPolicy, Document, Preset, RuleTable

    blob = state.pop("data")
    state.update(
        presets={name: Preset(*p) for name, p in state["presets"].items()},
        budgets=tuple(BudgetSpec(*b) for b in state["budgets"]),
        rules=RuleTable(state["rules"], _build_rule),
        classifier=Classifier.from_state(state["classifier"], Patterns(state.pop("patterns"))),
        data=Document(lambda: marshal.loads(blob)),
    )
    if state["classifier_llm"] is not None:  # the second stage: its module is imported only when enabled
        from llm_router.llmclassify.spec import LlmClassifier

        state["classifier_llm"] = LlmClassifier(*state["classifier_llm"])
    return CompiledPolicy(**state)
