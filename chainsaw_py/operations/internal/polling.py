"""Polling like Chainsaw's ``wait.PollUntilContextCancel`` (50 ms by default), cancellable.

One deliberate difference: the first attempt is made at once. Chainsaw passes ``immediate=false``, so
each operation first waits one interval; nothing observable depends on that wait (an attempt at once
sees the same cluster a retry 50 ms later may see), and it made a sequential apply+assert cost ≥ 100 ms.
See docs/performance.md."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chainsaw_py.client.deadline import request_deadline
from chainsaw_py.operations.base import CancelToken

POLL_INTERVAL = 0.05


def poll(condition: Callable[[], bool], *, timeout: float | None, cancel: CancelToken,
         interval: float = POLL_INTERVAL, wake: Callable[[float], object] | None = None) -> bool:
    """Call ``condition`` every ``interval`` until it returns True (-> True) or ``timeout`` passes
    (-> False); the first call comes at once. Exceptions from
    ``condition`` stop polling at once. ``wake(seconds)`` may replace the plain sleep, returning early
    when something changed (e.g. a watch event)."""
    with request_deadline(timeout):
        return _poll(condition, timeout, cancel, interval, wake)


def _poll(condition: Callable[[], bool], timeout: float | None, cancel: CancelToken, interval: float,
          wake: Callable[[float], object] | None) -> bool:
    deadline = None if timeout is None else time.monotonic() + timeout

    def pause() -> None:
        seconds = interval if deadline is None else min(interval, max(deadline - time.monotonic(), 0.0))
        if wake is not None and not cancel.cancelled:
            wake(seconds)
        else:
            cancel.wait(seconds)

    while True:
        if cancel.cancelled:
            raise cancel.error()
        if condition():
            return True
        if deadline is not None and time.monotonic() >= deadline:
            return False
        pause()


def change_waker(cluster: Any, api_version: str, kind: str) -> Callable[[float], object] | None:
    """A ``wake`` for ``poll`` that returns early when an object of this kind changes (when the cluster's
    client offers change feeds); None means plain interval polling."""
    waiter = getattr(getattr(cluster, "client", None), "change_waiter", None)
    return waiter(api_version, kind) if waiter else None
