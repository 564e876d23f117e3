"""The live status line of a run on a terminal: tests done / total, running, failed, elapsed.

``RunProgress`` counts (the runner tells it when instances start and end); ``live_status`` shows the count
as one line kept below the console's normal lines while the run lasts. The ``Console`` clears the line
before each normal line and draws it again after, so normal output is never interleaved with it. It is
only for a person watching a terminal: ``status_wanted`` keeps it off for pipes and files, ``--quiet``,
``--no-color`` and ``NO_COLOR``, so that logs and golden outputs stay byte-identical to Chainsaw's.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO

from chainsaw_py.report.console import Console

REFRESH_SECONDS = 0.1
"""The status line is drawn at most this often (10 Hz), whatever the rate of events and lines."""


@dataclass(frozen=True)
class ProgressCounts:
    """The run's test instances: all, finished, running and failed."""

    total: int
    done: int
    running: int
    failed: int


class RunProgress:
    """Thread-safe counts of the run's test instances (every scenario and repetition counts once)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._started = clock()
        self._lock = threading.Lock()
        self._total = self._done = self._running = self._failed = 0

    def expect(self, count: int) -> None:
        """``count`` more instances will run."""
        with self._lock:
            self._total += count

    def started(self) -> None:
        with self._lock:
            self._running += 1

    def finished(self, failed: bool) -> None:
        with self._lock:
            self._running = max(0, self._running - 1)
            self._done += 1
            self._failed += int(failed)

    def counts(self) -> ProgressCounts:
        with self._lock:
            return ProgressCounts(self._total, self._done, self._running, self._failed)

    def elapsed(self) -> float:
        return self._clock() - self._started

    def status_text(self) -> str:
        """The status line; empty (nothing shown) until the runner has said how many instances will run."""
        counts = self.counts()
        if counts.total == 0:
            return ""
        return (f"chainsaw: {counts.done}/{counts.total} done, {counts.running} running, {counts.failed} failed, "
                f"{format_elapsed(self.elapsed())} elapsed")


def format_elapsed(seconds: float) -> str:
    """``42s``, ``3m07s``, ``1h02m03s``."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def status_wanted(stream: TextIO, *, quiet: bool, no_color: bool) -> bool:
    """The status line is for a terminal only, and never with ``--quiet``, ``--no-color`` or ``NO_COLOR``."""
    if quiet or no_color or os.environ.get("NO_COLOR"):
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def terminal_width(stream: TextIO) -> int:
    """Columns of the terminal behind ``stream`` (80 when unknown)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


@contextmanager
def live_status(console: Console, progress: RunProgress, *, interval: float = REFRESH_SECONDS) -> Iterator[None]:
    """Show ``progress`` on ``console`` for the block: drawn at once, refreshed by a timer thread (the elapsed
    time moves even when nothing is written), cleared at the end; the thread stops with the block."""
    width = terminal_width(console.stream)
    console.show_status(lambda: progress.status_text()[: max(1, width - 1)], interval)
    stop = threading.Event()

    def refresh() -> None:
        while not stop.wait(max(interval, 0.01)):
            console.refresh_status()

    timer = threading.Thread(target=refresh, name="chainsaw-status", daemon=True)
    timer.start()
    try:
        yield
    finally:
        stop.set()
        timer.join()
        console.hide_status()
