"""Polling like Chainsaw's ``wait.PollUntilContextCancel`` (50 ms by default), cancellable."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chainsaw_py.client.client import request_deadline
from chainsaw_py.operations.base import CancelToken

POLL_INTERVAL = 0.05


def poll(condition: Callable[[], bool], *, timeout: float | None, cancel: CancelToken,
         interval: float = POLL_INTERVAL, immediate: bool = False,
         wake: Callable[[float], object] | None = None) -> bool:
    """Call ``condition`` every ``interval`` until it returns True (-> True) or ``timeout`` passes
    (-> False); the first call comes after one interval unless ``immediate``. Exceptions from
    ``condition`` stop polling at once. ``wake(seconds)`` may replace the plain sleep, returning early
    when something changed (e.g. a watch event)."""
    with request_deadline(timeout):
        return _poll(condition, timeout, cancel, interval, immediate, wake)


def _poll(condition: Callable[[], bool], timeout: float | None, cancel: CancelToken, interval: float,
          immediate: bool, wake: Callable[[float], object] | None) -> bool:
    deadline = None if timeout is None else time.monotonic() + timeout

    def pause() -> None:
        seconds = interval if deadline is None else min(interval, max(deadline - time.monotonic(), 0.0))
        if wake is not None and not cancel.cancelled:
            wake(seconds)
        else:
            cancel.wait(seconds)

    if not immediate:
        pause()
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
