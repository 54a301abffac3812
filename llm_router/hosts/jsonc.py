"""JSON with comments (JSONC), as VS Code, Cursor and Gemini CLI read their settings: parse it, and change it
in place so that everything but the members llm-router adds or removes keeps its bytes.

`loads` reads strict JSON or JSONC (`//` and `/* */` comments, trailing commas). `rewrite(text, new)` returns
the text changed, one member or element at a time, until it holds `new`: comments, key order, spacing and the
user's own trailing commas stay where they were, and removing what was added gives back the same bytes.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

_WS = " \t\r\n"
_MAX_STEPS = 10_000  # each step changes one member or element; a settings file needs a handful


class JsoncError(ValueError):
    """Text that is not JSON (or not JSONC, where comments are allowed), with the place it goes wrong."""

    def __init__(self, message: str, text: str, pos: int):
        self.message = message
        self.pos = pos
        self.line = text.count("\n", 0, pos) + 1
        self.col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        super().__init__(f"{message} at line {self.line} column {self.col}")


@dataclass
class Node:
    """A value and where it sits in the text; containers list their children in order."""

    kind: str  # object | array | scalar
    start: int
    end: int  # one past the last character
    value: Any = None
    keys: list[str] = field(default_factory=list)  # object members' keys, in order
    key_starts: list[int] = field(default_factory=list)  # where each member's key string starts
    children: list[Node] = field(default_factory=list)  # member values, or array elements

    def starts(self) -> list[int]:
        """Where each child begins in the text (a member begins at its key)."""
        return self.key_starts if self.kind == "object" else [c.start for c in self.children]


class _Parser:
    def __init__(self, text: str, comments: bool):
        self.text = text
        self.comments = comments

    def fail(self, message: str, pos: int) -> JsoncError:
        return JsoncError(message, self.text, pos)

    def skip(self, i: int) -> int:
        """Past whitespace and comments from i."""
        text, n = self.text, len(self.text)
        while i < n:
            c = text[i]
            if c in _WS:
                i += 1
            elif c == "/" and text.startswith(("//", "/*"), i):
                if not self.comments:
                    raise self.fail("comments are not allowed in this file", i)
                if text[i + 1] == "/":
                    end = text.find("\n", i)
                    i = n if end < 0 else end
                else:
                    end = text.find("*/", i + 2)
                    if end < 0:
                        raise self.fail("unterminated comment", i)
                    i = end + 2
            else:
                break
        return i

    def value(self, i: int) -> Node:
        text = self.text
        if i >= len(text):
            raise self.fail("expected a value", i)
        c = text[i]
        if c == "{":
            return self.container(i, "object", "}")
        if c == "[":
            return self.container(i, "array", "]")
        try:
            value, end = json.JSONDecoder().raw_decode(text, i)
        except json.JSONDecodeError as exc:
            raise self.fail(exc.msg, exc.pos) from None
        return Node("scalar", i, end, value)

    def container(self, start: int, kind: str, close: str) -> Node:
        node = Node(kind, start, start)
        text = self.text
        i = self.skip(start + 1)
        while True:
            if i < len(text) and text[i] == close:
                break
            if kind == "object":
                if i >= len(text) or text[i] != '"':
                    raise self.fail("expected a string key or '}'", i)
                key_node = self.value(i)
                node.keys.append(key_node.value)
                node.key_starts.append(i)
                i = self.skip(key_node.end)
                if i >= len(text) or text[i] != ":":
                    raise self.fail("expected ':' after the key", i)
                i = self.skip(i + 1)
            child = self.value(i)
            node.children.append(child)
            i = self.skip(child.end)
            if i < len(text) and text[i] == ",":
                comma = i
                i = self.skip(i + 1)
                if i < len(text) and text[i] == close and not self.comments:
                    raise self.fail("trailing comma", comma)
                continue
            if i >= len(text) or text[i] != close:
                raise self.fail(f"expected ',' or '{close}'", i)
            break
        node.end = i + 1
        if kind == "object":
            node.value = {k: c.value for k, c in zip(node.keys, node.children, strict=True)}
        else:
            node.value = [c.value for c in node.children]
        return node


def parse(text: str, *, comments: bool = True) -> Node:
    """The document's root node; raises JsoncError."""
    parser = _Parser(text, comments)
    i = parser.skip(0)
    root = parser.value(i)
    end = parser.skip(root.end)
    if end != len(text):
        raise parser.fail("extra data after the value", end)
    return root


def loads(text: str, *, comments: bool = True) -> Any:
    """The value in `text` (JSONC unless `comments` is False); raises JsoncError."""
    return parse(text, comments=comments).value


# --- editing in place -------------------------------------------------------------------------------------


def detect_indent(text: str) -> str:
    """The indentation unit the text uses (two spaces when it cannot tell)."""
    for line in text.splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped and stripped != line:
            ws = line[: len(line) - len(stripped)]
            return "\t" if ws.startswith("\t") else " " * min(len(ws), 8)
    return "  "


def rewrite(text: str, new: Any, *, comments: bool = True) -> str:
    """`text` changed as little as possible so that it holds `new` (its root must stay an object)."""
    editor = _Editor(text, comments)
    for _ in range(_MAX_STEPS):
        root = parse(editor.text, comments=comments)
        op = editor.step(root, root.value, new)
        if op is None:
            return editor.text
        editor.apply(*op)
    raise RuntimeError("JSONC rewrite did not converge")  # a bug, never the user's file


_Op = tuple[int, int, str]


class _Editor:
    def __init__(self, text: str, comments: bool):
        self.text = text
        self.comments = comments
        self.unit = detect_indent(text)
        self.nl = "\r\n" if "\r\n" in text else "\n"  # new lines end as the file's lines do

    def apply(self, start: int, end: int, replacement: str) -> None:
        self.text = self.text[:start] + replacement + self.text[end:]

    # -- which change comes next

    def step(self, node: Node, old: Any, new: Any) -> _Op | None:
        if old == new:
            return None
        if node.kind == "object" and isinstance(new, dict):
            return self._object_step(node, new)
        if node.kind == "array" and isinstance(new, list):
            return self._array_step(node, new)
        return node.start, node.end, self.dump(new, self.line_indent(node.start))

    def _object_step(self, node: Node, new: dict[str, Any]) -> _Op | None:
        for index, key in enumerate(node.keys):
            if key not in new:
                return self.delete(node, index)
        for key, value in new.items():
            if key in node.keys:
                index = len(node.keys) - 1 - node.keys[::-1].index(key)  # the last one counts
                child = node.children[index]
                if child.value != value:
                    return self.step(child, child.value, value)
        for key, value in new.items():
            if key not in node.keys:
                return self.insert(
                    node, len(node.children), json.dumps(key, ensure_ascii=False) + ": ", value
                )
        return None

    def _array_step(self, node: Node, new: list[Any]) -> _Op | None:
        def canon(items: list[Any]) -> list[str]:
            return [json.dumps(x, sort_keys=True) for x in items]

        matcher = difflib.SequenceMatcher(None, canon(node.value), canon(new), autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            if tag == "insert":
                return self.insert(node, i1, "", new[j1])
            if tag == "replace" and i2 - i1 == j2 - j1:
                child = node.children[i1]
                if child.kind != "scalar" and type(child.value) is type(new[j1]):
                    return self.step(child, child.value, new[j1])
            return self.delete(node, i1)
        return None

    # -- text positions

    def line_start(self, pos: int) -> int:
        return self.text.rfind("\n", 0, pos) + 1

    def line_indent(self, pos: int) -> str:
        start = self.line_start(pos)
        line = self.text[start:pos]
        return line[: len(line) - len(line.lstrip(" \t"))]

    def begins_line(self, pos: int) -> bool:
        return not self.text[self.line_start(pos) : pos].strip(" \t")

    def comma_after(self, node: Node, index: int) -> int | None:
        """The position of the comma after child `index`, if there is one."""
        i = _Parser(self.text, self.comments).skip(node.children[index].end)
        return i if self.text[i] == "," else None

    def line_end(self, pos: int) -> int:
        """Past spaces and same-line comments from pos, stopping at a newline or anything else."""
        text, i = self.text, pos
        while i < len(text):
            if text.startswith("\r\n", i):
                return i
            if text[i] in " \t\r":
                i += 1
            elif text.startswith("//", i):
                end = text.find("\n", i)
                return len(text) if end < 0 else end
            elif text.startswith("/*", i):
                end = text.find("*/", i + 2)
                if end < 0 or "\n" in text[i:end]:
                    return i
                i = end + 2
            else:
                return i
        return i

    def multiline(self) -> bool:
        stripped = self.text.strip()
        return "\n" in stripped or stripped == "{}"  # an empty file grows as json.dumps(indent=...) would

    def dump(self, value: Any, indent: str, inline: bool = False) -> str:
        if inline or not self.multiline():
            return json.dumps(value, ensure_ascii=False)
        return json.dumps(value, indent=self.unit, ensure_ascii=False).replace("\n", self.nl + indent)

    # -- the two edits

    def delete(self, node: Node, index: int) -> _Op:
        """Remove child `index` with its comma; whole lines when it had lines of its own."""
        text = self.text
        start, end = node.starts()[index], node.children[index].end
        comma = self.comma_after(node, index)
        own_lines = self.begins_line(start)
        if comma is not None:
            end = comma + 1
        elif index > 0:  # the last child: the comma before it goes
            prev_comma = self.comma_after(node, index - 1)
            assert prev_comma is not None
            if not own_lines:
                return prev_comma, end, ""
            # remove the comma as well as the lines: one replacement spanning both, keeping what lies between
            line_from, line_to = self._line_span(start, end)
            between = text[prev_comma + 1 : line_from]
            return prev_comma, line_to, between
        if own_lines:
            line_from, line_to = self._line_span(start, end)
            if (
                len(node.children) == 1
                and not text[node.start + 1 : line_from].strip()
                and not (text[line_to : node.end - 1].strip())
            ):
                return node.start + 1, node.end - 1, ""  # the container is empty again: `{}`
            return line_from, line_to, ""
        if len(node.children) == 1:
            inner_from = self._past_ws(node.start + 1)
            return (inner_from, end, "") if comma is None else (inner_from, self._past_ws(end), "")
        return start, self._past_ws(end), ""

    def _past_ws(self, pos: int) -> int:
        while pos < len(self.text) and self.text[pos] in " \t":
            pos += 1
        return pos

    def _line_span(self, start: int, end: int) -> tuple[int, int]:
        """From the start of `start`'s line to past the newline ending `end`'s line (when only blanks and
        comments of ours follow it there)."""
        stop = self.line_end(end)
        newline = next((nl for nl in ("\r\n", "\n") if self.text.startswith(nl, stop)), None)
        if newline is not None and self.text[end:stop].strip(" \t\r") == "":
            stop += len(newline)
        else:
            stop = end
        return self.line_start(start), stop

    def insert(self, node: Node, index: int, prefix: str, value: Any) -> _Op:
        """Add a child at `index` (`prefix` is `"key": ` for an object member)."""
        text, starts, nl = self.text, node.starts(), self.nl
        if index < len(node.children):  # before an existing element (arrays only)
            at = starts[index]
            if self.begins_line(at) and self.multiline():
                indent = self.line_indent(at)
                return (
                    self.line_start(at),
                    self.line_start(at),
                    indent + prefix + self.dump(value, indent) + "," + nl,
                )
            return at, at, prefix + self.dump(value, "", inline=True) + ", "
        if not node.children:
            inside = text[node.start + 1 : node.end - 1]
            if not self.multiline():
                return node.start + 1, node.end - 1, prefix + self.dump(value, "") + inside
            outer = self.line_indent(node.start)
            indent = outer + self.unit
            if not inside.strip():
                return (
                    node.start + 1,
                    node.end - 1,
                    f"{nl}{indent}{prefix}{self.dump(value, indent)}{nl}{outer}",
                )
            return node.start + 1, node.start + 1, f"{nl}{indent}{prefix}{self.dump(value, indent)}"
        last = len(node.children) - 1
        comma = self.comma_after(node, last)
        after = node.children[last].end if comma is None else comma + 1
        if self.begins_line(starts[last]) and self.multiline():
            indent = self.line_indent(starts[last])
            at = self.line_end(after)
            child = nl + indent + prefix + self.dump(value, indent) + ("," if comma is not None else "")
            if comma is not None:
                return at, at, child
            return after, at, "," + text[after:at] + child
        child = prefix + self.dump(value, "", inline="\n" not in text[node.start : node.end])
        if comma is not None:
            return after, after, f" {child},"
        return after, after, f", {child}"
