"""Watch streams: filtered store events with the apiserver's selector-transition semantics.

An object that starts matching the selector arrives as ADDED, one that stops matching as DELETED (like the
watch cache does); initial state (for ``resourceVersion`` unset or ``0``) is a series of ADDED events.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chainsaw_py.embedded.resources import ResourceType
from chainsaw_py.embedded.selection import ObjectFilter
from chainsaw_py.embedded.store import ADDED, DELETED, MODIFIED, StoredObject, StoreEvent, Watcher
from chainsaw_py.embedded.writes import ObjectServer

WatchItem = tuple[str, StoredObject]


class WatchStream:
    def __init__(self, server: ObjectServer, rt: ResourceType, watcher: Watcher, replay: list[StoreEvent],
                 selector: ObjectFilter) -> None:
        self.server = server
        self.rt = rt
        self.watcher = watcher
        self.selector = selector
        self._pending: list[StoreEvent] = list(replay)
        self.last_rv = replay[-1].rv if replay else 0
        self._skip_before = 0

    def initial_state(self, namespace: str | None) -> Iterator[WatchItem]:
        """ADDED for every matching object, as of the moment the watcher was registered."""
        items, rv = self.server.store.list(*self.rt.group_resource, namespace if self.rt.namespaced else None)
        self.last_rv = max(self.last_rv, rv)
        # events already queued for the watcher may predate the snapshot: drop those
        self._skip_before = rv
        matching = [item for item in items if self.selector.matches(item.obj)]
        for item in self.server.present_all(self.rt, matching):
            yield ADDED, item

    def next(self, timeout: float | None) -> WatchItem | None:
        """The next matching event, or None when ``timeout`` elapses / the watch stops."""
        while True:
            event = self._pending.pop(0) if self._pending else self.watcher.next(timeout)
            if event is None:
                return None
            if event.rv <= self._skip_before:
                continue
            self.last_rv = event.rv
            translated = self._translate(event)
            if translated is not None:
                return translated

    def _translate(self, event: StoreEvent) -> WatchItem | None:
        selector = self.selector
        new_matches = selector.matches(event.obj)
        if event.type == DELETED:
            return (DELETED, self.server.present(self.rt, event.stored)) if new_matches else None
        old_matches = event.old is not None and selector.matches(event.old.obj)
        if new_matches:
            kind = ADDED if event.type == ADDED or (event.old is not None and not old_matches) else MODIFIED
            return kind, self.server.present(self.rt, event.stored)
        if old_matches:
            return DELETED, self.server.present(self.rt, event.stored)
        return None

    def stop(self) -> None:
        self.watcher.stop()


def bookmark(rt: ResourceType, rv: int, initial_end: bool = False) -> dict[str, Any]:
    metadata: dict[str, Any] = {"resourceVersion": str(rv), "creationTimestamp": None}
    if initial_end:
        metadata["annotations"] = {"k8s.io/initial-events-end": "true"}
    return {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": metadata}
