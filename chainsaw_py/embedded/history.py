"""The watch history of one resource type, sized as kube-apiserver's watch cache sizes it, bounded in bytes.

kube-apiserver keeps a cyclic buffer of events per resource type (k8s.io/apiserver's ``watchCache``): its
capacity starts at a lower bound (100), doubles while the buffer is full of events younger than
``eventFreshDuration`` (75 s), up to an upper bound (102,400), and halves (not below the lower bound) once the
newest quarter of a full buffer is older than that. A watch or an exact list from a resourceVersion before
``oldest - 1`` (``oldest``: the first event kept, once one was dropped) is ``410 Expired``: ``too old resource
version: <requested> (<oldest - 1>)``.

Here the events are kept as the JSON the watchers were sent (the object and its previous version), and a
resource type's history is also bounded in bytes; :class:`HistorySet` bounds the sum over all resource types,
dropping the oldest event of the largest history first. The newest event of a type is always kept, so a
history that dropped events is never empty.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from chainsaw_py.embedded.limits import Limits


@dataclass(frozen=True)
class HistoryBounds:
    fresh_seconds: float
    min_events: int
    max_events: int
    max_bytes: int
    total_bytes: int

    @classmethod
    def from_limits(cls, limits: Limits) -> HistoryBounds:
        min_events = max(1, limits.watch_history_min_events)
        return cls(limits.watch_history_seconds, min_events, max(min_events, limits.watch_history_max_events),
                   limits.watch_history_max_bytes, limits.watch_history_total_bytes)


class HistoryEntry:
    """One kept event: its type and resourceVersion, when it was recorded, the object as sent to watchers and
    the object's previous version (None for ADDED)."""

    __slots__ = ("data", "old_data", "recorded", "rv", "type")

    def __init__(self, event_type: str, rv: int, recorded: float, data: bytes, old_data: bytes | None) -> None:
        self.type = event_type
        self.rv = rv
        self.recorded = recorded
        self.data = data
        self.old_data = old_data

    @property
    def size(self) -> int:
        return len(self.data) + (len(self.old_data) if self.old_data is not None else 0)


class HistoryExpired(Exception):
    """The requested resourceVersion is before what the history keeps; ``kept_after`` is ``oldest - 1``."""

    def __init__(self, requested: int, kept_after: int) -> None:
        super().__init__(f"too old resource version: {requested} ({kept_after})")
        self.requested = requested
        self.kept_after = kept_after


class WatchHistory:
    """The kept events of one resource type, in resourceVersion order."""

    def __init__(self, bounds: HistoryBounds) -> None:
        self._bounds = bounds
        self._events: deque[HistoryEntry] = deque()
        self.capacity = bounds.min_events
        self.bytes = 0
        self.dropped = False

    def __len__(self) -> int:
        return len(self._events)

    @property
    def oldest_recorded(self) -> float:
        return self._events[0].recorded if self._events else float("inf")

    def append(self, entry: HistoryEntry) -> int:
        """Keep ``entry``; returns the change in kept bytes."""
        before = self.bytes
        self._resize(entry.recorded)
        if len(self._events) >= self.capacity:
            self.drop_oldest()
        self._events.append(entry)
        self.bytes += entry.size
        while self.bytes > self._bounds.max_bytes and len(self._events) > 1:
            self.drop_oldest()
        return self.bytes - before

    def _resize(self, now: float) -> None:
        events, capacity, fresh = self._events, self.capacity, self._bounds.fresh_seconds
        if len(events) < capacity:
            return
        if now - events[0].recorded < fresh:
            self.capacity = min(capacity * 2, self._bounds.max_events)
        elif now - events[len(events) - capacity // 4].recorded > fresh:
            self.capacity = max(capacity // 2, self._bounds.min_events)
            while len(events) > self.capacity:
                self.drop_oldest()

    def drop_oldest(self) -> int:
        """Drop the oldest event unless it is the only one; returns the bytes freed."""
        if len(self._events) <= 1:
            return 0
        size = self._events.popleft().size
        self.bytes -= size
        self.dropped = True
        return size

    def check(self, rv: int) -> None:
        """Raise HistoryExpired unless every event after ``rv`` is still kept (kube's ``rv < oldest - 1`` rule)."""
        if self.dropped and rv < self._events[0].rv - 1:
            raise HistoryExpired(rv, self._events[0].rv - 1)

    def after(self, rv: int) -> Iterator[HistoryEntry]:
        """The kept events after ``rv``, oldest first (scanned from the newest end: resumptions are recent)."""
        events = self._events
        start = len(events)
        while start > 0 and events[start - 1].rv > rv:
            start -= 1
        return (events[index] for index in range(start, len(events)))


class HistorySet:
    """The histories of all resource types, their total bounded by ``total_bytes``."""

    def __init__(self, bounds: HistoryBounds, clock: Callable[[], float]) -> None:
        self.bounds = bounds
        self._clock = clock
        self._histories: dict[tuple[str, str], WatchHistory] = {}
        self.bytes = 0

    def get(self, group_resource: tuple[str, str]) -> WatchHistory | None:
        return self._histories.get(group_resource)

    def record(self, group_resource: tuple[str, str], event_type: str, rv: int, data: bytes,
               old_data: bytes | None) -> None:
        history = self._histories.get(group_resource)
        if history is None:
            history = self._histories[group_resource] = WatchHistory(self.bounds)
        self.bytes += history.append(HistoryEntry(event_type, rv, self._clock(), data, old_data))
        while self.bytes > self.bounds.total_bytes:
            candidates = [candidate for candidate in self._histories.values() if len(candidate) > 1]
            if not candidates:
                return   # every history is down to its newest event
            self.bytes -= max(candidates, key=lambda candidate: candidate.bytes).drop_oldest()

    def event_count(self) -> int:
        return sum(len(history) for history in self._histories.values())
