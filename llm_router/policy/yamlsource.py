"""Read a YAML policy into plain JSON-like data (YAML 1.2 core), keeping the position of every key and value.

PyYAML resolves scalars by YAML 1.1, where `off`, `no`, `y` are booleans and `010` is octal. We compose
nodes with every plain scalar left untagged and resolve them ourselves by the YAML 1.2 core schema, so
`enforce: off` is the string "off". Where such a word sits where a boolean is wanted, schema.py says so.

Limits hold before any work grows with them: the text's size is checked before parsing, and the composer
(libyaml's parser, our composer) counts, as it goes, the values the document expands to (an alias or a `<<`
merge counts at the full size of what it repeats) and how deep they nest, stopping at the first excess.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import yaml
from yaml.composer import ComposerError
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from llm_router import fileio
from llm_router.policy.problems import Problem

__all__ = ["Pos", "Positions", "parse", "pointer_join", "is_yaml11_boolean"]

_PLAIN = "!llm-router/plain"
_T = "tag:yaml.org,2002:"
_MAX_CHARS = fileio.POLICY_LIMIT  # a policy's text; the reader refuses larger files before decoding them
_MAX_NODES = 20_000  # values after expanding aliases and merges ("billion laughs", merge chains); the
# built-in policy and classifier are ~1,800
_MAX_DEPTH = 64  # nesting, also through aliases and merges

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^([-+]?)\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")
_YAML11_BOOL = re.compile(r"^(?:y|yes|n|no|on|off)$", re.IGNORECASE)
_LEAD = re.compile(r"[ \t]*")


class Pos(NamedTuple):
    """Where a value sits (1-based): its first character, its key, and the first character of its text."""

    line: int
    col: int
    key_line: int
    key_col: int
    style: str = ""  # "" plain or a collection, "'" or '"' quoted, "|" literal, ">" folded
    text_line: int = 0  # first character of a scalar's text: after the quote, or a block scalar's body
    text_col: int = 0


Positions = dict[str, Pos]

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Limit(Exception):
    """The document went over a limit while being composed, at `mark`."""

    def __init__(self, code: str, message: str, mark: Any, hint: str):
        super().__init__(message)
        self.code, self.message, self.mark, self.hint = code, message, mark, hint


class _Loader(_Base):  # type: ignore[misc]
    """libyaml's parser with a composer of our own that counts as it composes: every value, every alias at
    the size of what it repeats, and the depth reached through aliases. Every plain untagged scalar is
    tagged `_PLAIN` so that we resolve it by YAML 1.2."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.anchors: dict[str, Node] = {}
        self.expanded = 0  # values the document expands to so far
        self.measures: dict[int, tuple[int, int]] = {}  # id(collection node) -> (expanded size, height)

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode and implicit[0]:
            return _PLAIN
        return super().resolve(kind, value, implicit)

    def get_single_node(self) -> Node | None:
        self.get_event()  # stream start
        node = None
        if not isinstance(self.peek_event(), StreamEndEvent):
            self.get_event()  # document start
            node = self.compose(0)
            self.get_event()  # document end
        event = self.get_event()
        if not isinstance(event, StreamEndEvent):
            raise ComposerError(
                "expected a single document in the stream",
                None,
                "but found another document",
                event.start_mark,
            )
        return node

    def compose(self, level: int) -> Node:
        event = self.get_event()
        kind = type(event)
        if kind is AliasEvent:
            target = self.anchors.get(event.anchor)
            if target is None:
                raise ComposerError(None, None, f"found undefined alias {event.anchor!r}", event.start_mark)
            size, height = self.measures.get(id(target), (1, 0))  # (1, 0): a scalar, or an enclosing node
            self._count(size, event.start_mark)  # (a recursive alias, which the builder reports)
            if level + height > _MAX_DEPTH:
                raise _Limit(
                    "too-deep",
                    f"this alias nests the document deeper than {_MAX_DEPTH} levels",
                    event.start_mark,
                    "merge or repeat fewer levels of aliases",
                )
            return target
        self._count(1, event.start_mark)
        if level > _MAX_DEPTH:
            raise _Limit("too-deep", f"nested deeper than {_MAX_DEPTH} levels", event.start_mark, "")
        anchor, tag = event.anchor, event.tag
        if anchor is not None and anchor in self.anchors:
            raise ComposerError(
                f"found duplicate anchor {anchor!r}; first occurrence",
                self.anchors[anchor].start_mark,
                "second occurrence",
                event.start_mark,
            )
        node: Node
        if kind is ScalarEvent:
            if tag is None or tag == "!":
                tag = _PLAIN if event.implicit[0] else self.resolve(ScalarNode, event.value, event.implicit)
            node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
            if anchor is not None:
                self.anchors[anchor] = node
            return node
        mapping = kind is MappingStartEvent
        if tag is None or tag == "!":
            tag = self.resolve(MappingNode if mapping else SequenceNode, None, event.implicit)
        items: list[Any] = []
        node = (MappingNode if mapping else SequenceNode)(
            tag, items, event.start_mark, None, flow_style=event.flow_style
        )
        if anchor is not None:
            self.anchors[anchor] = node
        end = MappingEndEvent if mapping else SequenceEndEvent
        size, height = 1, 0
        measures = self.measures
        while type(self.peek_event()) is not end:
            child = self.compose(level + 1)
            if mapping:
                value = self.compose(level + 1)
                items.append((child, value))
                s2, h2 = measures.get(id(value), (1, 0))
                size, height = size + s2, max(height, h2)
            else:
                items.append(child)
            s1, h1 = measures.get(id(child), (1, 0))
            size, height = size + s1, max(height, h1)
        node.end_mark = self.get_event().end_mark
        measures[id(node)] = (size, height + 1)
        return node

    def _count(self, n: int, mark: Any) -> None:
        self.expanded += n
        if self.expanded > _MAX_NODES:
            raise _Limit(
                "too-large",
                f"the document expands to more than {_MAX_NODES:,} values",
                mark,
                "use fewer aliases and merges",
            )


def pointer_join(pointer: str, key: str | int) -> str:
    """The JSON pointer of `key` under `pointer` (RFC 6901 escaping)."""
    return f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"


def is_yaml11_boolean(value: object, pos: Pos | None) -> bool:
    """True for an unquoted yes/no/on/off/y/n, which YAML 1.1 would have read as a boolean."""
    return isinstance(value, str) and pos is not None and pos.style == "" and bool(_YAML11_BOOL.match(value))


class _TooLarge(Exception):
    pass


def parse(text: str, filename: str) -> tuple[Any, Positions, list[Problem]]:
    """Parse YAML text into plain data, its positions by JSON pointer, and every problem found."""
    problems: list[Problem] = []
    if len(text) > _MAX_CHARS:
        message = f"the document is {len(text):,} characters, more than the limit of {_MAX_CHARS:,}"
        return {}, {"": Pos(1, 1, 1, 1)}, [Problem(filename, 1, 1, "too-large", "", message, "split it")]
    text, tab_problems = _untab(text, filename)
    problems += tab_problems
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        problems.append(_syntax_problem(exc, text, filename))
        return {}, {"": Pos(1, 1, 1, 1)}, problems
    except _Limit as exc:
        line, col = exc.mark.line + 1, exc.mark.column + 1
        problems.append(Problem(filename, line, col, exc.code, "", exc.message, exc.hint))
        return {}, {"": Pos(1, 1, 1, 1)}, problems
    except RecursionError:
        problems.append(Problem(filename, 1, 1, "yaml-syntax", "", "the document is nested too deeply"))
        return {}, {"": Pos(1, 1, 1, 1)}, problems
    if root is None or (isinstance(root, ScalarNode) and root.tag == _PLAIN and _NULL.match(root.value)):
        return {}, {"": Pos(1, 1, 1, 1)}, problems
    builder = _Builder(filename, text)
    try:
        data = builder.build(root, "", None, 0)
    except _TooLarge:
        problems.append(
            Problem(
                filename,
                1,
                1,
                "too-large",
                "",
                f"the document expands to more than {_MAX_NODES} values",
                "use fewer aliases",
            )
        )
        return {}, {"": Pos(1, 1, 1, 1)}, problems
    return data, builder.positions, problems + builder.problems


def _untab(text: str, filename: str) -> tuple[str, list[Problem]]:
    """Report tabs in indentation, and replace each by one space so the rest can still be checked."""
    if "\t" not in text:
        return text, []
    problems = []
    lines = text.split("\n")
    for i, line in enumerate(lines):
        lead = _LEAD.match(line).group()  # type: ignore[union-attr]
        if "\t" in lead and line[len(lead) :].strip():
            problems.append(
                Problem(
                    filename,
                    i + 1,
                    lead.index("\t") + 1,
                    "tab",
                    "",
                    "tab used for indentation",
                    "indent with spaces",
                )
            )
            lines[i] = lead.replace("\t", " ") + line[len(lead) :]
    return "\n".join(lines), problems


def _syntax_problem(exc: yaml.YAMLError, text: str, filename: str) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        line, col = mark.line + 1, mark.column + 1
        what = " ".join(str(getattr(exc, "problem", "") or exc).split())
        hint = " ".join(str(getattr(exc, "context", "") or "").split())
    else:
        pos = getattr(exc, "position", 0) or 0
        before = text[:pos]
        line, col = before.count("\n") + 1, pos - (before.rfind("\n") + 1) + 1
        what = " ".join(str(getattr(exc, "reason", "") or exc).split())
        hint = ""
    lines = text.split("\n")
    at = lines[line - 1][col - 1 : col] if 0 < line <= len(lines) else ""
    if at == "\t":
        return Problem(filename, line, col, "tab", "", "tab where YAML does not allow one", "use spaces")
    return Problem(filename, line, col, "yaml-syntax", "", what or "invalid YAML", hint)


class _Builder:
    """Turns composed nodes into plain data, recording positions and problems on the way."""

    def __init__(self, filename: str, text: str):
        self.filename = filename
        self.lines = text.split("\n")
        self.positions: Positions = {}
        self.problems: list[Problem] = []
        self.count = 0
        self.active: set[int] = set()

    def problem(self, node: Node, code: str, pointer: str, message: str, hint: str = "") -> None:
        mark = node.start_mark
        self.problems.append(
            Problem(self.filename, mark.line + 1, mark.column + 1, code, pointer, message, hint)
        )

    def build(self, node: Node, ptr: str, key: Node | None, depth: int) -> Any:
        self.count += 1
        if self.count > _MAX_NODES:
            raise _TooLarge
        self.positions[ptr] = self._pos(node, key)
        if depth > _MAX_DEPTH:
            self.problem(node, "too-deep", ptr, f"nested deeper than {_MAX_DEPTH} levels")
            return None
        if isinstance(node, ScalarNode):
            return self.scalar(node, ptr)
        if id(node) in self.active:
            self.problem(node, "recursive-alias", ptr, "an alias refers to a value that contains it")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [
                    self.build(item, pointer_join(ptr, i), None, depth + 1)
                    for i, item in enumerate(node.value)
                ]
            out: dict[str, Any] = {}
            if isinstance(node, MappingNode):
                self.mapping(node, ptr, depth, out)
            return out
        finally:
            self.active.discard(id(node))

    def _pos(self, node: Node, key: Node | None) -> Pos:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        kline, kcol = (key.start_mark.line + 1, key.start_mark.column + 1) if key is not None else (line, col)
        if not isinstance(node, ScalarNode):
            return Pos(line, col, kline, kcol)
        style = node.style or ""
        if style in ("'", '"'):
            return Pos(line, col, kline, kcol, style, line, col + 1)
        if style in ("|", ">"):
            tline, tcol = self._block_body(line)
            return Pos(line, col, kline, kcol, style, tline, tcol)
        return Pos(line, col, kline, kcol, style, line, col)

    def _block_body(self, header_line: int) -> tuple[int, int]:
        for i in range(header_line, len(self.lines)):  # the body starts on the line after the header
            stripped = self.lines[i].lstrip(" ")
            if stripped.strip():
                return i + 1, len(self.lines[i]) - len(stripped) + 1
        return header_line + 1, 1

    def mapping(self, node: MappingNode, ptr: str, depth: int, out: dict[str, Any]) -> None:
        merges: list[Node] = []
        explicit: dict[str, tuple[Node, Node]] = {}
        for knode, vnode in node.value:
            if isinstance(knode, ScalarNode) and knode.tag == _PLAIN and knode.value == "<<":
                merges.append(vnode)
                continue
            key = self.key(knode, ptr)
            if key is None:
                continue
            if key in explicit:
                first = explicit[key][0].start_mark.line + 1
                self.problem(
                    knode,
                    "duplicate-key",
                    pointer_join(ptr, key),
                    f"duplicate key '{key}' (first at line {first})",
                    "keep one of them",
                )
                continue
            explicit[key] = (knode, vnode)
        for source in merges:  # YAML merge keys: explicit keys win, earlier merged mappings win
            for src in source.value if isinstance(source, SequenceNode) else [source]:
                if not isinstance(src, MappingNode):
                    self.problem(src, "yaml-merge", ptr, "`<<` must merge a mapping or a list of mappings")
                    continue
                if id(src) in self.active:
                    self.problem(src, "recursive-alias", ptr, "an alias refers to a value that contains it")
                    continue
                self.active.add(id(src))
                merged: dict[str, Any] = {}
                self.mapping(src, ptr, depth, merged)
                self.active.discard(id(src))
                for k, v in merged.items():
                    out.setdefault(k, v)
        for key, (knode, vnode) in explicit.items():
            out[key] = self.build(vnode, pointer_join(ptr, key), knode, depth + 1)

    def key(self, knode: Node, ptr: str) -> str | None:
        if isinstance(knode, ScalarNode):
            value = self.scalar(knode, ptr)
            if isinstance(value, str):
                return value
            self.problem(knode, "key-type", ptr, f"key {knode.value!r} is not a string", "quote the key")
            return None
        self.problem(knode, "key-type", ptr, "a key must be a plain string, not a list or mapping")
        return None

    def scalar(self, node: ScalarNode, ptr: str) -> Any:
        tag, value = node.tag, node.value
        if tag == _PLAIN:
            try:
                return _resolve(value)
            except ValueError:
                self.problem(node, "number", ptr, "number too large", "quote it if it is text")
                return value
        if tag == _T + "str":
            return value
        explicit = {_T + "int": int, _T + "float": float, _T + "bool": bool, _T + "null": type(None)}.get(tag)
        if explicit is None:
            self.problem(node, "yaml-tag", ptr, f"unsupported tag {tag}", "remove the tag")
            return value
        try:
            resolved = _resolve(value)
        except ValueError:
            resolved = value
        if explicit is float and isinstance(resolved, int) and not isinstance(resolved, bool):
            resolved = float(resolved)
        if type(resolved) is not explicit:
            self.problem(node, "yaml-tag", ptr, f"{value!r} is not a valid {tag.rsplit(':', 1)[-1]}")
            return value
        return resolved


def _resolve(value: str) -> Any:
    """A plain scalar by the YAML 1.2 core schema; raises ValueError for a number Python refuses."""
    if _NULL.match(value):
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if _INT.match(value):
        return int(value)
    if _OCT.match(value):
        return int(value[2:], 8)
    if _HEX.match(value):
        return int(value[2:], 16)
    if _FLOAT.match(value):
        return float(value)
    inf = _INF.match(value)
    if inf:
        return float("-inf") if inf.group(1) == "-" else float("inf")
    if _NAN.match(value):
        return float("nan")
    return value
