"""Actions run on a bounded number of threads: the runner's concurrent tests and the deletes sent when a run
is abandoned.

``concurrent.futures`` would do, but importing it imports ``logging`` (with ``traceback``, ``string``,
``textwrap``...): ~21 M instructions, about 5 % of the CPU of a one-script ``--no-cluster`` run (issue 14:
start-up), for two uses that need neither futures nor a logger. ``Batch`` keeps what they relied on from
``ThreadPoolExecutor``: at most ``workers`` non-daemon threads named ``<name>_<n>``, started as actions
are queued, taking the actions in order; a failure (any ``BaseException``) is kept and raised by
``raise_first_failure`` in the order of the items, as ``future.result()`` for each in order does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")


class Batch(Generic[Item]):
    """``action(item)`` for every item, on at most ``workers`` threads, started at once."""

    def __init__(self, action: Callable[[Item], object], items: Sequence[Item], workers: int, name: str) -> None:
        self._action = action
        self._items = list(items)
        self._lock = threading.Lock()
        self._next = 0
        self._failures: dict[int, BaseException] = {}
        self._threads = [threading.Thread(target=self._work, name=f"{name}_{number}")
                         for number in range(min(max(workers, 1), len(self._items)))]
        for thread in self._threads:
            thread.start()

    def _take(self) -> int | None:
        with self._lock:
            if self._next >= len(self._items):
                return None
            self._next += 1
            return self._next - 1

    def _work(self) -> None:
        while (index := self._take()) is not None:
            try:
                self._action(self._items[index])
            except BaseException as err:  # kept for raise_first_failure, as a future keeps it
                self._failures[index] = err

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every action has ended (at most ``timeout`` seconds); whether they all have."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            thread.join(None if deadline is None else max(deadline - time.monotonic(), 0.0))
        return not any(thread.is_alive() for thread in self._threads)

    def cancel(self) -> None:
        """Start no other action; those running go on."""
        with self._lock:
            self._next = len(self._items)

    def raise_first_failure(self) -> None:
        """Raise the failure of the first item (in the items' order) that failed, if any."""
        if self._failures:
            raise self._failures[min(self._failures)]


def run_each(action: Callable[[Item], object], items: Sequence[Item], workers: int, name: str) -> None:
    """``action(item)`` for every item on at most ``workers`` threads; return when all have ended, then
    raise the first item's failure. Interrupted while waiting (Ctrl-C), it still waits for every action
    (as leaving ``with ThreadPoolExecutor(...)`` does) before the interruption goes on."""
    batch = Batch(action, items, workers, name)
    try:
        batch.wait()
    finally:
        batch.wait()
    batch.raise_first_failure()
