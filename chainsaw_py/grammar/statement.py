"""Recognising expressions in strings: ``(expr)``, ``(jp; expr)``, ``(cel; expr)``, ``(jsonpath; expr)``
and the ``\\text\\`` escape (Chainsaw's ``pkg/expressions/parse.go``).

Like Go's ``regexp``, ``.`` does not match a newline and the match must cover the whole string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
