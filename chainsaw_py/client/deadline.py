"""The deadline of the API requests made in a context (thread): an operation's remaining time, as Go's
context deadline bounds Chainsaw's requests. Apart from the client, so that the runner and the operations
set it without loading the client and its watches (issue 14's start-up: a run without a cluster)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

MIN_REQUEST_SECONDS = 1.0

_deadline: ContextVar[float | None] = ContextVar("chainsaw_request_deadline", default=None)


@contextmanager
def request_deadline(seconds: float | None) -> Iterator[None]:
    """Bound every request made in this context (thread) by an operation's remaining time; a hung server then
    fails the operation instead of hanging the run. Each request still gets at least ``MIN_REQUEST_SECONDS``."""
    if seconds is None:
        yield
        return
    deadline = time.monotonic() + seconds
    outer = _deadline.get()
    token = _deadline.set(deadline if outer is None else min(deadline, outer))  # never extends an outer one
    try:
        yield
    finally:
        _deadline.reset(token)


def bounded_timeout(timeout: float | None) -> float | None:
    """``timeout`` for one request, shortened to what is left of the context's deadline."""
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    remaining = max(deadline - time.monotonic(), MIN_REQUEST_SECONDS)
    return remaining if timeout is None else min(timeout, remaining)
