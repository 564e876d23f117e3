"""The deadline of the operation that evaluates expressions.

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

DEADLINE_EXCEEDED = "context deadline exceeded"

_deadline: ContextVar[float | None] = ContextVar("chainsaw_py_expression_deadline", default=None)


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
