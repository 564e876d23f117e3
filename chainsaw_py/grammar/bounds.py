"""Bounds on expressions, checked before any parser runs (JMESPath, CEL, JSONPath): their length,
nesting and number of operators (see docs/limits.md), so that no parser recursion or native stack is at
risk and a hostile expression fails with one line."""

from __future__ import annotations

from chainsaw_py.grammar.errors import ExpressionSyntaxError
from chainsaw_py.util import limits

_OPENING = frozenset("([{")
_CLOSING = frozenset(")]}")
_PREFIX_OPERATORS = frozenset("!-")
_QUOTES = frozenset("'\"`")
_OPERATORS = frozenset(".+-*/%|&<>?!=")
"""Characters of member access and binary/ternary operators: each can add a level to the syntax tree."""

def check_expression_bounds(source: str) -> None:
    """Refuse an expression longer than ``limits.MAX_EXPRESSION_LENGTH`` or nested deeper than
    ``limits.MAX_EXPRESSION_DEPTH`` (brackets, calls and chains of ``!``/``-``), with a one-line error."""
    if len(source) > limits.MAX_EXPRESSION_LENGTH:
        raise ExpressionSyntaxError(f"expression too long: {len(source)} characters "
                                    f"(the limit is {limits.MAX_EXPRESSION_LENGTH})")
    nesting, operators = _measure(source)
    if nesting > limits.MAX_EXPRESSION_DEPTH:
        raise ExpressionSyntaxError(f"expression nests too deeply: more than {limits.MAX_EXPRESSION_DEPTH} "
                                    "levels of parentheses, brackets, calls or prefix operators")
    if operators > limits.MAX_EXPRESSION_OPERATORS:
        raise ExpressionSyntaxError(f"expression too complex: more than {limits.MAX_EXPRESSION_OPERATORS} "
                                    "operators")


def _measure(source: str) -> tuple[int, int]:
    """The deepest nesting in ``source`` and its number of operator characters; quoted text is skipped
    (a backslash escapes the next character)."""
    depth = deepest = prefix_run = operators = 0
    position, length = 0, len(source)
    while position < length:
        char = source[position]
        if char in _QUOTES:
            position = _after_quoted(source, position)
            prefix_run = 0
            continue
        if char in _OPENING:
            depth += 1
        elif char in _CLOSING:
            depth = max(depth - 1, 0)
        elif char in _OPERATORS:
            operators += 1
        if char in _PREFIX_OPERATORS:
            prefix_run += 1
        elif not char.isspace():
            prefix_run = 0
        deepest = max(deepest, depth + prefix_run)
        position += 1
    return deepest, operators


def _after_quoted(source: str, start: int) -> int:
    quote, position = source[start], start + 1
    while position < len(source):
        if source[position] == "\\":
            position += 2
            continue
        if source[position] == quote:
            return position + 1
        position += 1
    return len(source)
