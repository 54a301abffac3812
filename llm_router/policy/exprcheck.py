"""Checking and compiling a `when:` expression's syntax tree (the compiler half of `expr.py`), and fusing a
policy's rules into one code object. Imported only when a policy is compiled, never by a process that reads
a compiled policy from the cache: `ast` and `difflib` stay off the hook path."""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Collection, Sequence
from types import CodeType

from llm_router.policy import meter
from llm_router.policy.expr import (
    _CONSTANT_NAMES,
    _REGISTRY,
    ATTRIBUTES,
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LITERAL,
    MAX_POWER,
    MAX_SOURCE,
    MAX_STRING,
    STR_METHODS,
    Expr,
    ExprError,
)

__all__ = ["compile_tree", "fuse"]

_FORBIDDEN_NODES: dict[type[ast.AST], str] = {
    ast.Lambda: "a lambda",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.NamedExpr: "an assignment expression (:=)",
    ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string",
    ast.Starred: "a starred expression",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield from",
    ast.Dict: "a dict literal",
}
_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_UNARYOPS = (ast.Not, ast.USub, ast.UAdd)
_SEQUENCE_LITERALS = (ast.List, ast.Tuple, ast.Set)


def _number(node: ast.expr) -> float | None:
    """The value of a numeric constant, also when written with a leading sign."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _number(node.operand)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    value = node.value if isinstance(node, ast.Constant) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    return None


def _is_constant(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) or _number(node) is not None


class _Checker:
    """Walks a parsed expression in source order and raises the first ExprError it finds."""

    def __init__(self, source: str, names: Collection[str], line_shift: int):
        self.source = source
        self.allowed = names
        self.line_shift = line_shift
        self.used: set[str] = set()
        self.constant_keys: dict[str, set[str]] = {}
        self.patterns: list[tuple[int, str, bool]] = []
        self.line_starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", source)]

    def offset(self, node: ast.AST) -> int:
        """The 0-based character offset of node in the source; for an attribute, of its name."""
        if isinstance(node, ast.Attribute) and node.end_lineno and node.end_col_offset is not None:
            return self.offset_at(node.end_lineno, node.end_col_offset) - len(node.attr)
        return self.offset_at(getattr(node, "lineno", 1), getattr(node, "col_offset", 0))

    def offset_at(self, lineno: int, col_bytes: int) -> int:
        # ast columns are UTF-8 byte offsets within a line; callers want characters within the source.
        index = min(max(lineno - self.line_shift - 1, 0), len(self.line_starts) - 1)
        start = self.line_starts[index]
        line = re.split(r"\r\n|\r|\n", self.source[start:], maxsplit=1)[0]
        return start + len(line.encode()[:col_bytes].decode("utf-8", errors="ignore"))

    def fail(self, code: str, message: str, node: ast.AST, hint: str = "") -> ExprError:
        return ExprError(code, message, self.offset(node), hint)

    def check(self, node: ast.AST, depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            raise self.fail("too-large", f"expression nested deeper than {MAX_DEPTH} levels", node)
        if type(node) in _FORBIDDEN_NODES:
            raise self.fail("forbidden", f"{_FORBIDDEN_NODES[type(node)]} is not allowed", node)
        method = getattr(self, f"check_{type(node).__name__}", None)
        if method is None:
            raise self.fail("forbidden", f"{type(node).__name__} is not allowed in a policy expression", node)
        method(node, depth + 1)

    def check_all(self, nodes: list[ast.expr], depth: int) -> None:
        for child in nodes:
            self.check(child, depth)

    def check_BoolOp(self, node: ast.BoolOp, depth: int) -> None:
        self.check_all(node.values, depth)

    def check_UnaryOp(self, node: ast.UnaryOp, depth: int) -> None:
        if not isinstance(node.op, _UNARYOPS):
            raise self.fail("forbidden", f"operator {type(node.op).__name__} is not allowed", node)
        self.check(node.operand, depth)

    def check_BinOp(self, node: ast.BinOp, depth: int) -> None:
        if not isinstance(node.op, _BINOPS):
            raise self.fail("forbidden", f"operator {type(node.op).__name__} is not allowed", node)
        if isinstance(node.op, ast.Pow):
            self.check_power(node)
        elif isinstance(node.op, ast.Mult):
            for side in (node.left, node.right):
                if isinstance(side, _SEQUENCE_LITERALS) or (
                    isinstance(side, ast.Constant) and isinstance(side.value, str | bytes)
                ):
                    raise self.fail("too-large", "repeating a string or list with * is not allowed", node)
        elif isinstance(node.op, ast.Mod) and (
            isinstance(node.left, ast.JoinedStr)
            or (isinstance(node.left, ast.Constant) and isinstance(node.left.value, str | bytes))
        ):
            raise self.fail("forbidden", "%-formatting of strings is not allowed", node)
        self.check(node.left, depth)
        self.check(node.right, depth)

    def check_power(self, node: ast.BinOp) -> None:
        exponent = _number(node.right)
        if exponent is None or abs(exponent) > MAX_POWER:
            raise self.fail(
                "too-large",
                f"the exponent of ** must be a constant between -{MAX_POWER} and {MAX_POWER}",
                node.right,
            )
        if not (_number(node.left) is not None or isinstance(node.left, ast.Name)):
            raise self.fail("too-large", "the base of ** must be a number or a name", node.left)

    def check_Compare(self, node: ast.Compare, depth: int) -> None:
        self.check(node.left, depth)
        self.check_all(node.comparators, depth)

    def check_IfExp(self, node: ast.IfExp, depth: int) -> None:
        self.check(node.test, depth)
        self.check(node.body, depth)
        self.check(node.orelse, depth)

    def check_Constant(self, node: ast.Constant, depth: int) -> None:
        value = node.value
        if isinstance(value, str):
            if len(value) > MAX_STRING:
                raise self.fail("too-large", f"string constant longer than {MAX_STRING} characters", node)
        elif value is not None and type(value) not in (bool, int, float):
            raise self.fail("forbidden", f"a constant of type {type(value).__name__} is not allowed", node)

    def check_Name(self, node: ast.Name, depth: int) -> None:
        name = node.id
        if name.startswith("_"):
            raise self.fail("forbidden", f"name {name!r} starts with an underscore", node)
        if name in _CONSTANT_NAMES:
            return
        if name in self.allowed:
            self.used.add(name)
            return
        if name in FUNCTIONS:
            raise self.fail("forbidden", f"function {name}() can only be called", node, f"write {name}(...)")
        raise self.fail("unknown-name", f"unknown name {name!r}", node, self.suggest(name))

    def suggest(self, name: str) -> str:
        known = sorted({*self.allowed, *FUNCTIONS, *_CONSTANT_NAMES})
        close = difflib.get_close_matches(name, known, n=1)
        if close:
            return f"did you mean {close[0]!r}?"
        return "known names: " + ", ".join(sorted(self.allowed))

    def check_Attribute(self, node: ast.Attribute, depth: int, called: bool = False) -> None:
        self.check(node.value, depth)  # first, so that the first error in source order is reported
        attr = node.attr
        if attr.startswith("_"):
            raise self.fail("forbidden", f"attribute {attr!r} starts with an underscore", node)
        if attr in STR_METHODS and not called:
            raise self.fail("forbidden", f"method .{attr}() can only be called", node)
        if attr not in ATTRIBUTES and attr not in STR_METHODS:
            close = difflib.get_close_matches(attr, sorted(ATTRIBUTES | STR_METHODS), n=1)
            hint = f"did you mean {close[0]!r}?" if close else "attributes: " + ", ".join(sorted(ATTRIBUTES))
            raise self.fail("forbidden", f"attribute {attr!r} is not allowed", node, hint)
        if called and attr not in STR_METHODS:
            raise self.fail("forbidden", f"{attr!r} is a value, not a method", node)

    def check_Subscript(self, node: ast.Subscript, depth: int) -> None:
        self.check(node.value, depth)
        index = node.slice
        if isinstance(index, ast.Slice):
            for part in (index.lower, index.upper, index.step):
                if part is not None and _number(part) is None:
                    raise self.fail("forbidden", "slice bounds must be constant numbers", part)
            return
        if not (_is_constant(index) or isinstance(index, ast.Name)):
            raise self.fail("forbidden", "an index must be a constant or a name", index)
        self.check(index, depth)
        key = index.value if isinstance(index, ast.Constant) else None
        if isinstance(node.value, ast.Name) and isinstance(key, str):
            self.constant_keys.setdefault(node.value.id, set()).add(key)

    def check_Call(self, node: ast.Call, depth: int) -> None:
        if node.keywords:
            raise self.fail("forbidden", "keyword arguments are not allowed", node.keywords[0])
        func = node.func
        if isinstance(func, ast.Attribute):
            self.check_Attribute(func, depth, called=True)
        elif isinstance(func, ast.Name) and not func.id.startswith("_"):
            if func.id not in FUNCTIONS:
                hint = "functions: " + ", ".join(sorted(FUNCTIONS))
                close = difflib.get_close_matches(func.id, sorted(FUNCTIONS), n=1)
                raise self.fail(
                    "unknown-function",
                    f"{func.id}() is not a registered function",
                    func,
                    f"did you mean {close[0]}()?" if close else hint,
                )
            _, fewest, most = _REGISTRY[func.id]
            if len(node.args) < fewest or (most is not None and len(node.args) > most):
                want = f"{fewest}" if fewest == most else f"{fewest}-{most}" if most else f"at least {fewest}"
                raise self.fail("bad-arguments", f"{func.id}() takes {want} arguments", node)
        elif isinstance(func, ast.Name):
            self.check(func, depth)
        else:
            raise self.fail("forbidden", "only registered functions and str methods can be called", func)
        self.check_all(node.args, depth)
        if isinstance(func, ast.Name) and func.id == "matches":
            self.check_pattern(node.args[1])

    def check_pattern(self, node: ast.expr) -> None:
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            return  # a pattern held in a name is checked when it runs
        offset, exact = self.offset(node), False
        segment = ast.get_source_segment(self.source, node) if self.line_shift == 0 else None
        if segment is not None:
            for quote in (1, 2):  # 'x' and r'x': the pattern's characters stand as written after the quote
                if segment[quote:-1] == node.value and segment[quote - 1] in "'\"":
                    offset, exact = offset + quote, True
                    break
        from llm_router.policy import patterns  # only policies that call matches() need it

        try:
            patterns.check(node.value, ignorecase=True)
        except patterns.PatternError as exc:
            raise ExprError(exc.code, exc.message, offset + (exc.pos if exact else 0)) from None
        self.patterns.append((offset, node.value, exact))

    def check_sequence(self, node: ast.List | ast.Tuple | ast.Set, depth: int) -> None:
        if len(node.elts) > MAX_LITERAL:
            raise self.fail("too-large", f"a literal of more than {MAX_LITERAL} items", node)
        self.check_all(node.elts, depth)

    check_List = check_Tuple = check_Set = check_sequence


class _Rewriter(ast.NodeTransformer):
    """Turns checked nodes into their guarded runtime forms: operators and calls that can read or build
    much go through meter.py, and `metered` says whether any does."""

    def __init__(self) -> None:
        self.metered = False

    def helper(self, name: str, args: list[ast.expr], like: ast.AST, metered: bool = True) -> ast.expr:
        self.metered = self.metered or metered
        return ast.copy_location(ast.Call(ast.Name(name, ast.Load()), args, []), like)

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id in _CONSTANT_NAMES:
            return ast.copy_location(ast.Constant(_CONSTANT_NAMES[node.id]), node)
        return node

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Name) and func.id in FUNCTIONS:
            self.metered = self.metered or func.id not in meter.FREE
            node.func = ast.copy_location(ast.Name(f"__fn_{func.id}", ast.Load()), func)
        elif isinstance(func, ast.Attribute) and func.attr in STR_METHODS:
            return self.helper("__method", [func.value, ast.Constant(func.attr), *node.args], node)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        if _is_constant(node.left) and _is_constant(node.right):
            return node  # folded by the compiler, and no longer than the source
        if isinstance(node.op, ast.Add):
            return self.helper("__add", [node.left, node.right], node)
        if isinstance(node.op, ast.Mult):
            return self.helper("__mul", [node.left, node.right], node)
        if isinstance(node.op, ast.Mod):
            return self.helper("__mod", [node.left, node.right], node, metered=False)
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.expr:
        self.generic_visit(node)
        index = node.slice
        if not isinstance(index, ast.Slice):
            return node
        bounds = [
            part if part is not None else ast.Constant(None)
            for part in (index.lower, index.upper, index.step)
        ]
        return self.helper("__slice", [node.value, *bounds], node)


def _parse(source: str) -> tuple[ast.Expression, int]:
    """The tree and its line shift; a second try in parentheses allows indented and multi-line text."""
    try:
        return ast.parse(source, mode="eval"), 0
    except SyntaxError as first:
        try:
            return ast.parse(f"(\n{source}\n)", mode="eval"), 1
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            raise first from None


def compile_tree(source: str | bool, names: Collection[str]) -> Expr:
    """Check, rewrite and compile one `when:` expression (`expr.compile_expr`); the Expr keeps its rewritten
    tree, from which `fuse` builds a policy's one code object."""
    if isinstance(source, bool):
        return Expr("true" if source else "false", frozenset(), {}, constant=source)
    if not isinstance(source, str):
        raise ExprError("expr-syntax", f"expected an expression string, got {type(source).__name__}")
    if not source.strip():
        raise ExprError("expr-syntax", "empty expression", 0, "write `true` for a rule that always matches")
    if len(source) > MAX_SOURCE:
        raise ExprError("too-large", f"expression longer than {MAX_SOURCE} characters", MAX_SOURCE)
    try:
        tree, shift = _parse(source)
    except SyntaxError as exc:
        checker = _Checker(source, names, 0)
        line = checker.line_starts[min(max((exc.lineno or 1) - 1, 0), len(checker.line_starts) - 1)]
        if not exc.offset:  # the parser ran out of input: point just past the last character
            raise ExprError("expr-syntax", "the expression ends too early", len(source.rstrip())) from None
        raise ExprError("expr-syntax", exc.msg, min(line + exc.offset - 1, len(source))) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ExprError("too-large" if not isinstance(exc, ValueError) else "expr-syntax", str(exc)) from None
    checker = _Checker(source, names, shift)
    checker.check(tree.body)
    body = tree.body
    if isinstance(body, ast.Constant) or (isinstance(body, ast.Name) and body.id in _CONSTANT_NAMES):
        value = body.value if isinstance(body, ast.Constant) else _CONSTANT_NAMES[body.id]
        return Expr(source, frozenset(), {}, constant=value)
    rewriter = _Rewriter()
    rewritten = ast.fix_missing_locations(rewriter.visit(tree))
    code = compile(rewritten, "<policy expression>", "eval")
    return Expr(
        source,
        frozenset(checker.used),
        checker.constant_keys,
        code=code,
        patterns=tuple(checker.patterns),
        metered=rewriter.metered,
        tree=rewritten.body,
    )


# --- a policy's rules as one code object ---------------------------------------------------------------
# The code runs with meter.GLOBALS as globals and the decision's namespace as locals, where the evaluator
# puts the callbacks named here. Every rule is tried in order inside `while True: ... break`: a rule whose
# condition holds calls __hit(i), and breaks out unless it has `continue: true`; an error calls
# __fail(i, exception) and goes on; a metered rule runs between __enter() and __leave(), which give it its
# allowance and charge what it spent to the decision.
HIT, FAIL, ENTER, LEAVE = "__hit", "__fail", "__enter", "__leave"
ERROR_NAME = "__error"


def _call(name: str, *args: ast.expr) -> ast.stmt:
    return ast.Expr(ast.Call(ast.Name(name, ast.Load()), list(args), []))


def fuse(rules: Sequence[tuple[Expr, bool]]) -> CodeType:
    """One code object that evaluates the conditions of `rules` ((when, continues) pairs) in order, as the
    evaluator runs them (see above)."""
    body: list[ast.stmt] = []
    for index, (when, continues) in enumerate(rules):
        hit: list[ast.stmt] = [_call(HIT, ast.Constant(index))]
        if not continues:
            hit.append(ast.Break())
        if when.constant_value is not None:
            if when.constant_value[0]:
                body.extend(hit)
            continue
        tree = when.tree if when.tree is not None else compile_tree(when.source, _context_names()).tree
        test: list[ast.stmt] = [ast.If(tree, hit, [])]
        handler = ast.ExceptHandler(
            ast.Name(ERROR_NAME, ast.Load()),
            "__e",
            [_call(FAIL, ast.Constant(index), ast.Name("__e", ast.Load()))],
        )
        if when.metered:
            test.insert(0, _call(ENTER))
        body.append(ast.Try(test, [handler], [], [_call(LEAVE)] if when.metered else []))
    body.append(ast.Break())
    module = ast.Module([ast.While(ast.Constant(True), body, [])], [])
    return compile(ast.fix_missing_locations(module), "<policy rules>", "exec")


def _context_names() -> frozenset[str]:
    from llm_router.policy.namespace import CONTEXT_NAMES

    return CONTEXT_NAMES
