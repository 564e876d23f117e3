"""Change feeds: one watch per resource type (all namespaces), shared by every polling loop that waits on
that type, so that ``assert``, ``error`` and ``wait`` re-check as soon as something changes instead of
only every 50 ms.

A feed only counts events; loops still read the objects themselves, so a feed that cannot watch (no
permission, a server without watch support) simply never wakes anyone and polling goes on as before.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any, Protocol

WATCH_SECONDS = 300
RETRY_SECONDS = 1.0
MAX_FAILURES = 5


class Waker(Protocol):
    def __call__(self, seconds: float) -> object: ...


OpenWatch = Callable[[Any, str, int], Any]


class ChangeFeed:
    """A background watch on one resource type; ``generation`` grows with every event."""

    def __init__(self, open_watch: OpenWatch, resource: Any) -> None:
        self._open_watch = open_watch
        self._resource = resource
        self._changed = threading.Condition()
        self._generation = 0
        self._stopped = threading.Event()
        self._response: Any = None
        self._thread = threading.Thread(target=self._run, name=f"watch-{resource.plural}", daemon=True)
        self._thread.start()

    @property
    def generation(self) -> int:
        with self._changed:
            return self._generation

    def wait_change(self, seen: int, seconds: float) -> int:
        """Block until the generation differs from ``seen`` or ``seconds`` pass; the current generation."""
        with self._changed:
            self._changed.wait_for(lambda: self._generation != seen, timeout=max(seconds, 0.0))
            return self._generation

    def stop(self) -> None:
        self._stopped.set()
        response = self._response
        if response is not None:
            _interrupt(response)
            _close_quietly(response)

    def _bump(self) -> None:
        with self._changed:
            self._generation += 1
            self._changed.notify_all()

    def _run(self) -> None:
        resource_version = ""
        failures = 0
        while not self._stopped.is_set() and failures < MAX_FAILURES:
            try:
                self._response = self._open_watch(self._resource, resource_version, WATCH_SECONDS)
                failures = 0
                resource_version = self._consume(self._response, resource_version)
            except Exception:
                failures += 1
                resource_version = ""
                self._stopped.wait(RETRY_SECONDS)
            finally:
                if self._response is not None:
                    _close_quietly(self._response)
                    self._response = None

    def _consume(self, response: Any, resource_version: str) -> str:
        for line in _lines(response):
            if self._stopped.is_set():
                break
            event = json.loads(line)
            kind = event.get("type")
            obj = event.get("object") or {}
            if kind == "ERROR":  # e.g. 410 Gone: start again from now
                return ""
            resource_version = str((obj.get("metadata") or {}).get("resourceVersion") or resource_version)
            if kind != "BOOKMARK":
                self._bump()
        return resource_version


class _FeedWaker:
    def __init__(self, feed: ChangeFeed) -> None:
        self._feed = feed
        self._seen = feed.generation

    def __call__(self, seconds: float) -> object:
        self._seen = self._feed.wait_change(self._seen, seconds)
        return None


class ChangeFeeds:
    """The feeds of one client, created on first use and kept for the client's lifetime."""

    def __init__(self, open_watch: OpenWatch) -> None:
        self._open_watch = open_watch
        self._lock = threading.Lock()
        self._feeds: dict[Any, ChangeFeed] = {}
        self._closed = False

    def waker(self, resource: Any) -> Waker | None:
        with self._lock:
            if self._closed:
                return None
            feed = self._feeds.get(resource)
            if feed is None:
                feed = self._feeds[resource] = ChangeFeed(self._open_watch, resource)
        return _FeedWaker(feed)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            feeds = list(self._feeds.values())
            self._feeds.clear()
        for feed in feeds:
            feed.stop()


def _lines(response: Any) -> Iterator[bytes]:
    """Newline-delimited JSON from a streamed response."""
    pending = b""
    for chunk in response.stream(amt=None, decode_content=False):
        pending += chunk
        while b"\n" in pending:
            line, _, pending = pending.partition(b"\n")
            if line.strip():
                yield line
    if pending.strip():
        yield pending


def _interrupt(response: Any) -> None:
    """Shut the watch's socket down so that the thread blocked reading it returns now (closing alone waits
    for that read, up to the server's next bookmark)."""
    with contextlib.suppress(Exception):  # already closed, or not a socket-backed response
        sock = getattr(getattr(response, "connection", None), "sock", None)
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)


def _close_quietly(response: Any) -> None:
    with contextlib.suppress(Exception):  # closing a broken stream
        response.close()
