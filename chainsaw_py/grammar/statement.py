"""Recognising expressions in strings: ``(expr)``, ``(jp; expr)``, ``(cel; expr)``, ``(jsonpath; expr)``
and the ``\\text\\`` escape (Chainsaw's ``pkg/expressions/parse.go``).

Like Go's ``regexp``, ``.`` does not match a newline and the match must cover the whole string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

COMPILERS: tuple[str, ...] = ("jp", "cel", "jsonpath")
"""Languages an expression can be written in; ``jsonpath`` is a chainsaw_py extension."""

_ESCAPE = re.compile(r"\\(.+)\\")
_ENGINE = re.compile(r"\((?:(\w+);)?(.+)\)")


@dataclass(frozen=True)
class Expression:
    """An expression found in a string: its source text and the engine it forces (None = default)."""

    source: str
    engine: str | None = None


def is_escaped(text: str) -> bool:
    """True for ``\\text\\`` strings, which stand for the literal ``text``."""
    return isinstance(text, str) and _ESCAPE.fullmatch(text) is not None


def unescape(text: str) -> str:
    """The literal a ``\\text\\`` string stands for; other strings are returned unchanged."""
    match = _ESCAPE.fullmatch(text)
    return match.group(1) if match else text


def parse(text: str) -> Expression | None:
    """The expression in ``text``, or None for a plain or escaped string.

    An unknown engine name such as ``(foo; bar)`` is kept in ``engine``: Chainsaw then treats the
    value as the literal ``bar`` (see ``evaluate_string``) or leaves it alone (see ``template``).
    """
    if not isinstance(text, str) or is_escaped(text):
        return None
    match = _ENGINE.fullmatch(text)
    if match is None:
        return None
    return Expression(source=match.group(2), engine=match.group(1))


_BINDING = r"(.*)\s*->\s*(\w+)$"
"""kyverno-json's binding suffix ``statement -> name`` of assertion-tree keys and scalars (RE2 syntax)."""


def binding_search(text: str) -> Any:
    """The ``-> name`` binding match of ``text`` (group 1 the statement, 2 the name), or None.

    Searched with RE2, as Go does: linear in the text's length, where Python's backtracking search of this
    pattern is quadratic (minutes for a 200 kB value). RE2 is imported only for a text with an arrow."""
    if "->" not in text:
        return None
    from chainsaw_py.golang.regexp import compile_go

    return compile_go(_BINDING).search(text)
