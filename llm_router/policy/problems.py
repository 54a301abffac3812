"""A located problem in a policy file, printed as `FILE:LINE:COL: code /json/pointer: message (hint)`."""

from __future__ import annotations

from typing import NamedTuple


class Problem(NamedTuple):
    file: str
    line: int  # 1-based; 0 when the source has no lines (an environment variable)
    col: int  # 1-based
    code: str  # short kebab-case id, e.g. "unknown-key", "duplicate-key", "bad-expression"
    pointer: str  # JSON pointer into the document, "" for the whole document
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}"
        text = f"{where}: {self.code} {self.pointer or '/'}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "code": self.code,
            "pointer": self.pointer,
            "message": self.message,
            "hint": self.hint,
        }


class Issue(NamedTuple):
    """A problem known only by its JSON pointer; the loader's positions turn it into a located Problem.

    `offset` is a character offset inside the scalar at `pointer` (an expression's column, a regex's
    position), added to the scalar's own column when it is located.
    """

    pointer: str
    code: str
    message: str
    hint: str = ""
    offset: int = 0
