"""Container log buffers behind ``pods/<name>/log``.

No container ever runs, so a log holds only what the simulation (kubelet controller) or a plugin writes with
:meth:`LogStore.write`. Reads support the query options kubectl uses: ``tailLines``, ``timestamps``,
``sinceSeconds``, ``limitBytes`` and ``follow`` (a blocking iterator that ends when the container stops).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from chainsaw_py.embedded.decoding import parse_time

LogKey = tuple[str, str, str]   # (namespace, pod, container)


@dataclass(frozen=True)
class LogLine:
    timestamp: dt.datetime
    text: str

    def render(self, timestamps: bool) -> str:
        if not timestamps:
            return self.text
        stamp = self.timestamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.timestamp.microsecond:06d}000Z"
        return f"{stamp} {self.text}"


class LogStore:
    def __init__(self, max_lines: int = 10_000) -> None:
        self._lines: dict[LogKey, list[LogLine]] = {}
        self._condition = threading.Condition()
        self._max_lines = max_lines

    def write(self, namespace: str, pod: str, container: str, text: str) -> None:
        """Append one or more lines (split on newlines) to a container's log."""
        now = dt.datetime.now(dt.UTC)
        with self._condition:
            lines = self._lines.setdefault((namespace, pod, container), [])
            for line in text.splitlines() or [""]:
                lines.append(LogLine(now, line))
            del lines[:-self._max_lines]
            self._condition.notify_all()

    def forget(self, namespace: str, pod: str) -> None:
        with self._condition:
            for key in [key for key in self._lines if key[:2] == (namespace, pod)]:
                del self._lines[key]
            self._condition.notify_all()

    def read(self, key: LogKey, tail: int | None = None, since: dt.datetime | None = None) -> list[LogLine]:
        with self._condition:
            lines = list(self._lines.get(key, ()))
        if since is not None:
            lines = [line for line in lines if line.timestamp >= since]
        if tail is not None:
            lines = lines[-tail:] if tail > 0 else []
        return lines

    def follow(self, key: LogKey, start: int, stopped: Callable[[], bool]) -> Iterator[LogLine]:
        """Lines from index ``start`` on, waiting for new ones until ``stopped()`` is true."""
        position = start
        while True:
            with self._condition:
                lines = self._lines.get(key, [])
                fresh = lines[position:]
                position = len(lines)
                if not fresh:
                    self._condition.wait(timeout=0.5)
            yield from fresh
            if not fresh and stopped():
                return

    def wake(self) -> None:
        """Wake every follower now (its client left): each checks ``stopped()`` at once."""
        with self._condition:
            self._condition.notify_all()

    def size(self, key: LogKey) -> int:
        with self._condition:
            return len(self._lines.get(key, ()))


def since_time(seconds: int | None, time_text: str | None) -> dt.datetime | None:
    if seconds:
        return dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds)
    if time_text:
        return parse_time(time_text)
    return None
