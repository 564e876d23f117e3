"""A value derived from some of the store's objects (the webhook configurations, the policies, whether any
quota exists...), computed again only after one of those objects changed, so that admission costs nothing
per request while nothing is configured."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from chainsaw_py.embedded.store import Store, StoreEvent

T = TypeVar("T")


class StoreView(Generic[T]):
    def __init__(self, store: Store, group: str, plurals: tuple[str, ...], compute: Callable[[Store], T]) -> None:
        self._store = store
        self._group = group
        self._plurals = plurals
        self._compute = compute
        self._lock = threading.Lock()
        self._dirty = True
        self._value: T | None = None
        store.add_listener(self._on_event, [(group, plural) for plural in plurals])

    def _on_event(self, event: StoreEvent) -> None:
        if event.group == self._group and event.plural in self._plurals:
            self._dirty = True

    def get(self) -> T:
        if self._dirty or self._value is None:
            with self._lock:
                if self._dirty or self._value is None:
                    self._dirty = False  # cleared first: a change made while computing marks it again
                    self._value = self._compute(self._store)
        return self._value
