"""The safe expression language of `when:` conditions: whitelisted Python, checked and compiled once.

This module holds the language's limits; checking and compiling the syntax tree is `exprcheck.py`, imported by
`compile_expr` only, so that reading a compiled policy never imports `ast`. The compiled `Expr` lives with the
rest of the compiled policy (`compiled.py`).
"""

from __future__ import annotations

from llm_router.policy import meter
from llm_router.policy.compiled import Expr
from llm_router.policy.meter import MATCH_SCAN, MAX_REPEAT, ExprBudgetError, ExprRuntimeError, Meter

__all__ = [
    "ATTRIBUTES",
    "FUNCTIONS",
    "STR_METHODS",
    "Expr",
    "ExprBudgetError",
    "ExprError",
    "ExprRuntimeError",
    "MATCH_SCAN",
    "MAX_REPEAT",
    "Meter",
    "compile_expr",
]

MAX_SOURCE = 4000  # characters of one expression
MAX_STRING = 1000  # characters of one string constant
MAX_LITERAL = 256  # elements of one list/tuple/set literal
MAX_DEPTH = 64  # nesting of the syntax tree
MAX_POWER = 64  # largest constant exponent of **
# MATCH_SCAN and MAX_REPEAT, like every limit that applies while an expression runs, live in meter.py.

# Budget and provider-health fields, and the str methods an expression may call.
ATTRIBUTES = frozenset(
    {"used_pct", "remaining_usd", "spent_usd", "limit_usd", "exhausted", "period"}
    | {"kind", "unit", "used", "limit", "remaining", "resets_at"}
    | {"configured", "breaker_open", "usable"}
)
STR_METHODS = frozenset(
    {"lower", "upper", "strip", "lstrip", "rstrip", "startswith", "endswith", "split", "count", "find"}
)
_CONSTANT_NAMES = {"true": True, "false": False}

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Collection
    from typing import Any


class ExprError(Exception):
    """An expression outside the language, found at compile time; `offset` is 0-based in the source."""

    def __init__(self, code: str, message: str, offset: int = 0, hint: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.offset = offset
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.code} at {self.offset}: {self.message}" + (f" ({self.hint})" if self.hint else "")


# The registered pure functions (meter.py: each pays for what it reads and builds).
_REGISTRY: dict[str, tuple[Callable[..., Any], int, int | None]] = meter.REGISTRY
FUNCTIONS: dict[str, Callable[..., Any]] = {name: entry[0] for name, entry in _REGISTRY.items()}

_GLOBALS: dict[str, Any] = meter.GLOBALS


def compile_expr(source: str | bool, names: Collection[str]) -> Expr:
    """Check and compile one `when:` expression that may read the given context names."""
    from llm_router.policy.exprcheck import compile_tree

    return compile_tree(source, names)
