"""The object store: committed objects per group resource, one cluster-wide resourceVersion counter,
a bounded event history per group resource for watch replay (``history``), and indexes by uid and by owner
uid.

Committed objects are never mutated after commit (writers hand over fresh dicts), so readers may share
them and their cached JSON encoding. Every write happens under one lock; watchers and listeners are
notified inside it (they only enqueue), which keeps event order identical to resourceVersion order.
"""

from __future__ import annotations

import builtins
import gc
import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from chainsaw_py.embedded.history import HistoryBounds, HistoryEntry, HistorySet
from chainsaw_py.embedded.history import HistoryExpired as HistoryExpired
from chainsaw_py.embedded.limits import Limits

GroupResource = tuple[str, str]          # (group, plural)
ObjectKey = tuple[str, str, str, str]    # (group, plural, namespace, name)

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"


# encoding/json escapes these inside strings (HTML safety, JavaScript line terminators); they occur nowhere else
_GO_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))
# made once: json.dumps with options builds a new encoder per call (a third of a small object's encoding time)
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def encode(obj: Any) -> bytes:
    """JSON as kube-apiserver writes it (Go's encoding/json: compact, HTML characters escaped)."""
    text = _COMPACT_JSON.encode(obj)
    for char, escaped in _GO_ESCAPES:
        if char in text:
            text = text.replace(char, escaped)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:   # an unpaired surrogate: Go writes U+FFFD for it
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode("utf-8")


SERVING_GC_THRESHOLDS = (50_000, 20, 10)


@contextmanager
def serving_collector() -> Iterator[None]:
    """The garbage collector's settings for a process that serves a started cluster (``cluster serve``, a run's
    cluster process), restored at the end: what exists so far (modules, the OpenAPI definitions) leaves the
    collector's generations, and the youngest generation is collected every 50,000 allocations instead of 700.
    The store keeps every object alive, so each full collection walked all of them again: at the default
    settings that was 8-20 µs of every ConfigMap create, growing with the store; 2-3 µs with these."""
    previous = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*SERVING_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()


class StoredObject:
    """A committed object and its lazily cached JSON encoding."""

    __slots__ = ("_encoded", "obj", "rv")

    def __init__(self, obj: dict[str, Any], rv: int) -> None:
        self.obj = obj
        self.rv = rv
        self._encoded: bytes | None = None

    def encoded(self) -> bytes:
        if self._encoded is None:
            self._encoded = encode(self.obj)
        return self._encoded

    def encoded_as(self, data: bytes) -> bytes:
        """The cached encoding, else ``data`` (this object's encoding made moments ago, at its commit), cached
        now as :meth:`encoded` would cache its own: a write's response and its live watchers share it."""
        if self._encoded is None:
            self._encoded = data
        return self._encoded

    def encoded_now(self) -> bytes:
        """The cached encoding, or one made now and not cached: a few writers still change an object they were
        handed back after committing it (bootstrap writes the node's status into it), which a cache filled at
        commit time would not show; the watch history keeps the object as committed."""
        return self._encoded if self._encoded is not None else encode(self.obj)

    @classmethod
    def from_encoded(cls, data: bytes) -> StoredObject:
        """An object read back from its encoding (the watch history keeps only that)."""
        obj: dict[str, Any] = json.loads(data)
        stored = cls(obj, int(obj["metadata"]["resourceVersion"]))
        stored._encoded = data
        return stored

    def copy(self) -> dict[str, Any]:
        """A private deep copy (via the cached encoding, faster than copy.deepcopy)."""
        result: dict[str, Any] = json.loads(self.encoded())
        return result


@dataclass(frozen=True)
class StoreEvent:
    type: str
    group: str
    plural: str
    stored: StoredObject
    old: StoredObject | None

    @property
    def rv(self) -> int:
        return self.stored.rv

    @property
    def obj(self) -> dict[str, Any]:
        return self.stored.obj

    @property
    def namespace(self) -> str:
        return str(self.stored.obj.get("metadata", {}).get("namespace", ""))


class StoreConflict(Exception):
    """The expected resourceVersion/uid did not match the stored object."""


class StoreNotFound(Exception):
    pass


class StoreExists(Exception):
    pass


_CLOSED = object()


class Watcher:
    """A queue of store events for one group resource; iterate with :meth:`next`."""

    def __init__(self, store: Store, group_resource: GroupResource) -> None:
        self._store = store
        self.group_resource = group_resource
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.closed = False

    def push(self, event: StoreEvent) -> None:
        self._queue.put(event)

    def next(self, timeout: float | None) -> StoreEvent | None:
        """The next event, or None after ``timeout`` seconds / when stopped."""
        if self.closed:
            return None
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if item is _CLOSED:
            self.closed = True
            return None
        event: StoreEvent = item
        return event

    def stop(self) -> None:
        if not self.closed:
            self._store.remove_watcher(self)
            self._queue.put(_CLOSED)


class Store:
    def __init__(self, limits: Limits | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        """``limits`` bounds the watch history (``Limits.watch_history_*``); ``clock`` dates its events."""
        self.lock = threading.RLock()
        self._last_commit = threading.local()   # this thread's last committed object and the JSON it was sent as
        self._rv = 0
        self._data: dict[GroupResource, dict[str, dict[str, StoredObject]]] = {}
        self._by_uid: dict[str, ObjectKey] = {}
        self._dependents: dict[str, set[ObjectKey]] = {}
        self.history = HistorySet(HistoryBounds.from_limits(limits or Limits()), clock)
        self._watchers: dict[GroupResource, list[Watcher]] = {}
        self._listeners: list[Callable[[StoreEvent], None]] = []
        self._listeners_of: dict[GroupResource, list[Callable[[StoreEvent], None]]] = {}

    # --- reads ------------------------------------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        return self._rv

    def get(self, group: str, plural: str, namespace: str, name: str) -> StoredObject | None:
        bucket = self._data.get((group, plural))
        if bucket is None:
            return None
        names = bucket.get(namespace)
        return names.get(name) if names is not None else None

    def list(self, group: str, plural: str, namespace: str | None = None) -> tuple[builtins.list[StoredObject], int]:
        """Objects in key order (namespace, then name) and the resourceVersion of the snapshot."""
        with self.lock:
            bucket = self._data.get((group, plural), {})
            if namespace is not None:
                names = bucket.get(namespace, {})
                items = [names[name] for name in sorted(names)]
            else:
                items = [bucket[ns][name] for ns in sorted(bucket) for name in sorted(bucket[ns])]
            return items, self._rv

    def list_at(self, group: str, plural: str, namespace: str | None, rv: int) -> builtins.list[StoredObject]:
        """Objects as they were at resourceVersion ``rv``, rebuilt by undoing the kept events after it (raises
        HistoryExpired when those events are no longer all kept, ValueError when ``rv`` is in the future)."""
        with self.lock:
            if rv > self._rv:
                raise ValueError(rv)
            history = self.history.get((group, plural))
            if history is not None:
                history.check(rv)
            bucket = self._data.get((group, plural), {})
            state = {(ns, name): stored for ns, names in bucket.items() for name, stored in names.items()
                     if namespace is None or ns == namespace}
            undo = list(history.after(rv)) if history is not None else []
        for entry in reversed(undo):
            meta = json.loads(entry.data)["metadata"]
            key = (meta.get("namespace", ""), meta["name"])
            if namespace is not None and key[0] != namespace:
                continue
            if entry.type == ADDED:
                state.pop(key, None)
            elif entry.old_data is not None:
                state[key] = StoredObject.from_encoded(entry.old_data)
        return [state[key] for key in sorted(state)]

    def count(self, group: str, plural: str, namespace: str | None = None) -> int:
        bucket = self._data.get((group, plural), {})
        if namespace is not None:
            return len(bucket.get(namespace, {}))
        return sum(len(names) for names in bucket.values())

    def key_for_uid(self, uid: str) -> ObjectKey | None:
        return self._by_uid.get(uid)

    def get_by_uid(self, uid: str) -> StoredObject | None:
        key = self._by_uid.get(uid)
        return self.get(*key) if key else None

    def dependents(self, owner_uid: str) -> builtins.list[ObjectKey]:
        with self.lock:
            return sorted(self._dependents.get(owner_uid, ()))

    def group_resources(self) -> builtins.list[GroupResource]:
        with self.lock:
            return list(self._data)

    # --- writes -----------------------------------------------------------------------------------------

    def create(self, group: str, plural: str, obj: dict[str, Any]) -> StoredObject:
        meta = obj["metadata"]
        namespace, name = meta.get("namespace", ""), meta["name"]
        with self.lock:
            names = self._data.setdefault((group, plural), {}).setdefault(namespace, {})
            if name in names:
                raise StoreExists(name)
            stored = self._commit(obj)
            names[name] = stored
            self._index(group, plural, stored, None)
            self._emit(StoreEvent(ADDED, group, plural, stored, None))
            return stored

    def update(self, group: str, plural: str, obj: dict[str, Any], expected_rv: int | None = None) -> StoredObject:
        meta = obj["metadata"]
        namespace, name = meta.get("namespace", ""), meta["name"]
        with self.lock:
            names = self._data.get((group, plural), {}).get(namespace, {})
            old = names.get(name)
            if old is None:
                raise StoreNotFound(name)
            if expected_rv is not None and old.rv != expected_rv:
                raise StoreConflict(name)
            stored = self._commit(obj)
            names[name] = stored
            self._index(group, plural, stored, old)
            self._emit(StoreEvent(MODIFIED, group, plural, stored, old))
            return stored

    def delete(self, group: str, plural: str, namespace: str, name: str, expected_rv: int | None = None,
               expected_uid: str | None = None) -> StoredObject:
        with self.lock:
            names = self._data.get((group, plural), {}).get(namespace, {})
            old = names.get(name)
            if old is None:
                raise StoreNotFound(name)
            if expected_rv is not None and old.rv != expected_rv:
                raise StoreConflict(name)
            if expected_uid is not None and old.obj.get("metadata", {}).get("uid") != expected_uid:
                raise StoreConflict(name)
            del names[name]
            self._rv += 1
            final = dict(old.obj)
            final["metadata"] = dict(old.obj["metadata"], resourceVersion=str(self._rv))
            stored = StoredObject(final, self._rv)
            self._index(group, plural, None, old)
            self._emit(StoreEvent(DELETED, group, plural, stored, old))
            return stored

    def commit_encoding(self, stored: StoredObject) -> bytes | None:
        """The JSON ``stored`` was committed (and sent to watchers) as, when this thread's last write committed
        it: a write's response is then not encoded a second time. Kept per thread, not on the object, because a
        few writers change an object after committing it (see :meth:`StoredObject.encoded_now`)."""
        last = getattr(self._last_commit, "event", None)
        self._last_commit.event = None
        if last is None or last[0] is not stored:
            return None
        data: bytes = last[1]
        return data

    def _commit(self, obj: dict[str, Any]) -> StoredObject:
        self._rv += 1
        obj["metadata"]["resourceVersion"] = str(self._rv)
        return StoredObject(obj, self._rv)

    def _index(self, group: str, plural: str, new: StoredObject | None, old: StoredObject | None) -> None:
        if old is not None:
            old_meta = old.obj["metadata"]
            self._by_uid.pop(old_meta.get("uid", ""), None)
            old_key = (group, plural, old_meta.get("namespace", ""), old_meta["name"])
            for ref in old_meta.get("ownerReferences") or ():
                dependents = self._dependents.get(ref.get("uid", ""))
                if dependents is not None:
                    dependents.discard(old_key)
                    if not dependents:
                        del self._dependents[ref.get("uid", "")]
        if new is not None:
            meta = new.obj["metadata"]
            key = (group, plural, meta.get("namespace", ""), meta["name"])
            if meta.get("uid"):
                self._by_uid[meta["uid"]] = key
            for ref in meta.get("ownerReferences") or ():
                self._dependents.setdefault(ref.get("uid", ""), set()).add(key)

    def _emit(self, event: StoreEvent) -> None:
        data = event.stored.encoded_now()
        self._last_commit.event = (event.stored, data)
        self.history.record((event.group, event.plural), event.type, event.rv, data,
                            event.old.encoded_now() if event.old is not None else None)
        for watcher in self._watchers.get((event.group, event.plural), ()):
            watcher.push(event)
        for listener in self._listeners_of.get((event.group, event.plural), ()):
            listener(event)
        for listener in self._listeners:
            listener(event)

    # --- watch ------------------------------------------------------------------------------------------

    def watch(self, group: str, plural: str, since_rv: int | None) -> tuple[Watcher, builtins.list[StoreEvent]]:
        """Register a watcher; with ``since_rv`` also return the kept events after it (raises HistoryExpired)."""
        with self.lock:
            kept: builtins.list[HistoryEntry] = []
            history = self.history.get((group, plural))
            if since_rv is not None and history is not None:
                history.check(since_rv)
                kept = list(history.after(since_rv))
            watcher = Watcher(self, (group, plural))
            self._watchers.setdefault((group, plural), []).append(watcher)
        replay = [StoreEvent(entry.type, group, plural, StoredObject.from_encoded(entry.data),
                             StoredObject.from_encoded(entry.old_data) if entry.old_data is not None else None)
                  for entry in kept]
        return watcher, replay

    def remove_watcher(self, watcher: Watcher) -> None:
        with self.lock:
            watchers = self._watchers.get(watcher.group_resource, [])
            if watcher in watchers:
                watchers.remove(watcher)

    def watcher_count(self) -> int:
        """Registered watchers (each open watch request holds one until it ends)."""
        with self.lock:
            return sum(len(watchers) for watchers in self._watchers.values())

    def stop_all_watchers(self) -> None:
        with self.lock:
            watchers = [w for group in self._watchers.values() for w in group]
        for watcher in watchers:
            watcher.stop()

    def add_listener(self, listener: Callable[[StoreEvent], None],
                     group_resources: builtins.list[GroupResource] | None = None) -> None:
        """Call ``listener`` with every event (under the store lock: it must only record or enqueue), or with
        the events of ``group_resources`` only; those are called first."""
        with self.lock:
            if group_resources is None:
                self._listeners.append(listener)
            for group_resource in group_resources or ():
                self._listeners_of.setdefault(group_resource, []).append(listener)
