"""The controller runtime: a work queue fed by store events, worker threads, delayed requeues, resyncs.

A :class:`Controller` maps store events to keys (``keys_for``) and processes one key at a time
(``process``); a key is never processed by two workers at once and repeated enqueues collapse, like
client-go's workqueue. :class:`TypedController` is the common case — reconcile one kind's objects by
(namespace, name) — and is what plugins get through :class:`~chainsaw_py.embedded.plugins.PluginRegistry`.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from chainsaw_py.embedded.apierrors import ApiError, Conflict, NotFound
from chainsaw_py.embedded.controllers.context import ReconcileContext, Runtime
from chainsaw_py.embedded.store import DELETED, StoreEvent

log = logging.getLogger("chainsaw_py.embedded.controllers")

ANY = "*"


class Controller(Protocol):
    name: str

    def interests(self) -> Iterable[tuple[str, str]]:
        """(group, plural) pairs whose events this controller wants; ``("*", "*")`` for all."""
        ...

    def keys_for(self, event: StoreEvent) -> Iterable[Hashable]: ...

    def process(self, key: Hashable, ctx: ReconcileContext) -> None: ...

    def resync_keys(self) -> Iterable[Hashable]: ...


Reconcile = Callable[[dict[str, Any], "ReconcileContext"], None]


@dataclass
class TypedController:
    """Reconciles objects of one group resource, keyed by (namespace, name).

    ``owns`` lists group resources whose objects carry a controller ownerReference to this kind: a change to
    one of them requeues its owner. ``watches`` maps other events to keys of this controller.
    """

    name: str
    group: str
    plural: str
    kind: str
    reconcile: Reconcile
    on_delete: Reconcile | None = None
    owns: tuple[tuple[str, str], ...] = ()
    watches: tuple[tuple[str, str, Callable[[StoreEvent], Iterable[tuple[str, str]]]], ...] = ()
    runtime: Runtime | None = None
    _tombstones: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def interests(self) -> Iterable[tuple[str, str]]:
        yield (self.group, self.plural)
        yield from self.owns
        for group, plural, _mapper in self.watches:
            yield (group, plural)

    def keys_for(self, event: StoreEvent) -> Iterable[Hashable]:
        if (event.group, event.plural) == (self.group, self.plural):
            key = (event.namespace, event.obj["metadata"]["name"])
            if event.type == DELETED:
                with self._lock:
                    self._tombstones[key] = event.obj
            yield key
        if (event.group, event.plural) in self.owns:
            yield from self._owner_keys(event)
        for group, plural, mapper in self.watches:
            if (group, plural) == (event.group, event.plural) or (group, plural) == (ANY, ANY):
                yield from mapper(event)

    def _owner_keys(self, event: StoreEvent) -> Iterable[tuple[str, str]]:
        objects = [event.obj] + ([event.old.obj] if event.old is not None else [])
        seen: set[tuple[str, str]] = set()
        for obj in objects:
            for ref in obj["metadata"].get("ownerReferences") or []:
                if ref.get("controller") and ref.get("kind") == self.kind:
                    key = (event.namespace, str(ref.get("name", "")))
                    if key not in seen:
                        seen.add(key)
                        yield key

    def process(self, key: Hashable, ctx: ReconcileContext) -> None:
        namespace, name = cast(tuple[str, str], key)
        stored = ctx.runtime.server.store.get(self.group, self.plural, namespace, name)
        if stored is not None:
            with self._lock:
                self._tombstones.pop((namespace, name), None)
            self.reconcile(stored.copy(), ctx)
            return
        with self._lock:
            tombstone = self._tombstones.pop((namespace, name), None)
        if tombstone is not None and self.on_delete is not None:
            self.on_delete(tombstone, ctx)

    def resync_keys(self) -> Iterable[Hashable]:
        assert self.runtime is not None
        items, _rv = self.runtime.server.store.list(self.group, self.plural)
        for item in items:
            meta = item.obj["metadata"]
            yield (meta.get("namespace", ""), meta["name"])


@dataclass(order=True)
class _Delayed:
    due: float
    seq: int
    controller: str = field(compare=False)
    key: Hashable = field(compare=False)


class WorkQueue:
    """Deduplicating queue of (controller, key) with delayed adds; a key is handed to one worker at a time."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._ready: list[tuple[str, Hashable]] = []
        self._dirty: set[tuple[str, Hashable]] = set()
        self._processing: set[tuple[str, Hashable]] = set()
        self._delayed: list[_Delayed] = []
        self._seq = 0
        self._closed = False

    def add(self, controller: str, key: Hashable) -> None:
        item = (controller, key)
        with self._condition:
            if item in self._dirty:
                return
            self._dirty.add(item)
            if item not in self._processing:
                self._ready.append(item)
                self._condition.notify()

    def add_after(self, controller: str, key: Hashable, delay: float) -> None:
        if delay <= 0:
            self.add(controller, key)
            return
        with self._condition:
            self._seq += 1
            heapq.heappush(self._delayed, _Delayed(time.monotonic() + delay, self._seq, controller, key))
            self._condition.notify()

    def get(self) -> tuple[str, Hashable] | None:
        with self._condition:
            while True:
                if self._closed:
                    return None
                self._promote_due()
                if self._ready:
                    item = self._ready.pop(0)
                    self._dirty.discard(item)
                    self._processing.add(item)
                    return item
                timeout = (self._delayed[0].due - time.monotonic()) if self._delayed else None
                self._condition.wait(timeout=max(timeout, 0.001) if timeout is not None else 1.0)

    def _promote_due(self) -> None:
        now = time.monotonic()
        while self._delayed and self._delayed[0].due <= now:
            delayed = heapq.heappop(self._delayed)
            item = (delayed.controller, delayed.key)
            if item not in self._dirty:
                self._dirty.add(item)
                if item not in self._processing:
                    self._ready.append(item)

    def done(self, item: tuple[str, Hashable]) -> None:
        with self._condition:
            self._processing.discard(item)
            if item in self._dirty:
                self._ready.append(item)
                self._condition.notify()

    def idle(self) -> bool:
        with self._condition:
            return not self._ready and not self._processing

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify_all()


class ControllerManager:
    """Runs controllers: a dispatcher turns store events into keys, workers process them."""

    def __init__(self, runtime: Runtime, workers: int = 3, resync_period: float = 30.0) -> None:
        self.runtime = runtime
        self.queue = WorkQueue()
        self._controllers: dict[str, Controller] = {}
        self._by_interest: dict[tuple[str, str], list[Controller]] = {}
        self._wildcard: list[Controller] = []
        self._lock = threading.Lock()
        self._workers = workers
        self._resync_period = resync_period
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._failures: dict[tuple[str, Hashable], int] = {}

    def add(self, controller: Controller) -> None:
        if isinstance(controller, TypedController) and controller.runtime is None:
            controller.runtime = self.runtime
        with self._lock:
            if controller.name in self._controllers:
                raise ValueError(f"a controller named {controller.name!r} is already registered")
            self._controllers[controller.name] = controller
            for interest in set(controller.interests()):
                if interest == (ANY, ANY):
                    self._wildcard.append(controller)
                else:
                    self._by_interest.setdefault(interest, []).append(controller)
        if self._threads:
            self._enqueue_all(controller)

    def on_event(self, event: StoreEvent) -> None:
        """Store listener: runs under the store lock, so it only maps events to keys and enqueues."""
        controllers = self._by_interest.get((event.group, event.plural), ())
        for controller in (*controllers, *self._wildcard):
            try:
                for key in controller.keys_for(event):
                    self.queue.add(controller.name, key)
            except Exception:
                log.exception("controller %s failed to map an event", controller.name)

    def start(self) -> None:
        for index in range(self._workers):
            thread = threading.Thread(target=self._work, name=f"embedded-controller-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        resync = threading.Thread(target=self._resync_loop, name="embedded-resync", daemon=True)
        resync.start()
        self._threads.append(resync)
        for controller in list(self._controllers.values()):
            self._enqueue_all(controller)

    def stop(self) -> None:
        self._stopping.set()
        self.queue.close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def _enqueue_all(self, controller: Controller) -> None:
        for key in controller.resync_keys():
            self.queue.add(controller.name, key)

    def _resync_loop(self) -> None:
        while not self._stopping.wait(self._resync_period):
            for controller in list(self._controllers.values()):
                try:
                    self._enqueue_all(controller)
                except Exception:
                    log.exception("resync of %s failed", controller.name)

    def _work(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            name, key = item
            controller = self._controllers.get(name)
            try:
                if controller is not None:
                    ctx = ReconcileContext(self.runtime, name)
                    self._run(controller, key, ctx)
            finally:
                self.queue.done(item)

    def _run(self, controller: Controller, key: Hashable, ctx: ReconcileContext) -> None:
        failure_key = (controller.name, key)
        try:
            controller.process(key, ctx)
        except (Conflict, NotFound):
            self.queue.add_after(controller.name, key, 0.02)
            return
        except ApiError as err:
            self._retry(controller, key, failure_key, f"{err.reason}: {err.message}")
            return
        except Exception as err:
            log.exception("controller %s failed on %s", controller.name, key)
            self._retry(controller, key, failure_key, str(err))
            return
        self._failures.pop(failure_key, None)
        if ctx.requeue_delay is not None:
            self.queue.add_after(controller.name, key, ctx.requeue_delay)

    def _retry(self, controller: Controller, key: Hashable, failure_key: tuple[str, Hashable], reason: str) -> None:
        attempts = self._failures.get(failure_key, 0) + 1
        self._failures[failure_key] = attempts
        delay = min(0.05 * (2 ** attempts), 5.0)
        log.warning("controller %s: %s failed (%s); retrying in %.2fs", controller.name, key, reason, delay)
        self.queue.add_after(controller.name, key, delay)

    def idle(self) -> bool:
        return self.queue.idle()
