"""A problem found in the knowledge base, located at a file and line, and the procedure-code rule."""

from __future__ import annotations

import re
from dataclasses import dataclass

# The national procedure code: digits, a dot, six digits ("1.001193").
_CODE = re.compile(r"[0-9]+\.[0-9]{6}")


@dataclass(frozen=True)
class Problem:
    """One problem found in the knowledge base; ``line`` is 1-based, or 0 for a whole path."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


def code_problem(code: str) -> str:
    """Why ``code`` is not a national procedure code, or "" if it is one."""
    if _CODE.fullmatch(code):
        return ""
    if code != code.strip():
        return "remove the spaces around it"
    before, dot, after = code.partition(".")
    if not dot:
        return "it has no dot"
    if not (before.isascii() and before.isdigit() and after.isascii() and after.isdigit()):
        return "only digits may stand before and after the dot"
    return f"it has {len(after)} digit{'s' if len(after) != 1 else ''} after the dot, not 6"
