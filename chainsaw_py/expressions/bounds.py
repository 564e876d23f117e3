"""Bounds on expressions: their size and nesting (checked before parsing, so that no parser recursion or
native stack is at risk), and the deadline of the operation that evaluates them.

``evaluation_deadline(seconds)`` is entered by an operation for its timeout (like Go's context deadline);
inside it, JMESPath evaluation checks the clock as it walks projections and calls functions, and stops
with ``context deadline exceeded`` once the time is up (each evaluation gets at least
``MIN_EVALUATION_SECONDS``). Regular expressions run on RE2, in linear time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from chainsaw_py.expressions.errors import ExpressionSyntaxError
from chainsaw_py.util import limits

_OPENING = frozenset("([{")
_CLOSING = frozenset(")]}")
_PREFIX_OPERATORS = frozenset("!-")
_QUOTES = frozenset("'\"`")
_OPERATORS = frozenset(".+-*/%|&<>?!=")
"""Characters of member access and binary/ternary operators: each can add a level to the syntax tree."""
DEADLINE_EXCEEDED = "context deadline exceeded"

_deadline: ContextVar[float | None] = ContextVar("chainsaw_py_expression_deadline", default=None)


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


@contextmanager
def evaluation_deadline(seconds: float | None) -> Iterator[None]:
    """Expressions evaluated inside stop once ``seconds`` have passed (an outer deadline is never extended)."""
    if seconds is None:
        yield
        return
    deadline = time.monotonic() + seconds
    outer = _deadline.get()
    token = _deadline.set(deadline if outer is None else min(deadline, outer))
    try:
        yield
    finally:
        _deadline.reset(token)


def current_deadline() -> float | None:
    """The ``time.monotonic()`` value at which evaluation must stop, if any."""
    return _deadline.get()


MIN_EVALUATION_SECONDS = 0.25
"""Every evaluation may run this long, even past the deadline: a quick check made as an operation times
out (the last poll of an assertion) gives its real result, as in Chainsaw, whose evaluations never look
at the context; only a long one is cut."""


def evaluation_stop(deadline: float | None) -> float | None:
    """When an evaluation starting now must stop, given the operation's ``deadline``."""
    if deadline is None:
        return None
    return max(deadline, time.monotonic() + MIN_EVALUATION_SECONDS)
