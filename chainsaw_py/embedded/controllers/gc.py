"""Garbage collection by ownerReferences, with the three propagation policies.

- Background: the owner is gone; every dependent whose owners are all gone is deleted (dependents that
  still have a live owner just lose the dangling reference).
- Foreground: the owner carries the ``foregroundDeletion`` finalizer; its dependents are deleted (in
  foreground too) and the finalizer is removed once no dependent with ``blockOwnerDeletion`` remains.
- Orphan: the owner carries the ``orphan`` finalizer; dependents lose their reference to it, then the
  finalizer is removed.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any, cast

from chainsaw_py.embedded.apierrors import Conflict, NotFound
from chainsaw_py.embedded.controllers.base import ANY
from chainsaw_py.embedded.controllers.context import ReconcileContext, Runtime
from chainsaw_py.embedded.store import DELETED, StoreEvent
from chainsaw_py.embedded.writes import DeleteOptions, WriteOptions

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"
_OPTIONS = WriteOptions(field_manager="generic-garbage-collector")


class GarbageCollector:
    name = "garbage-collector"

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.store = runtime.server.store

    def interests(self) -> Iterable[tuple[str, str]]:
        return [(ANY, ANY)]

    def keys_for(self, event: StoreEvent) -> Iterable[Hashable]:
        meta = event.obj["metadata"]
        key = (event.group, event.plural, meta.get("namespace", ""), meta["name"])
        if event.type == DELETED:
            for dependent in self.store.dependents(meta.get("uid", "")):
                yield ("dependent", *dependent)
            for ref in meta.get("ownerReferences") or []:
                owner_key = self.store.key_for_uid(ref.get("uid", ""))
                if owner_key is not None:
                    yield ("owner", *owner_key)
            return
        finalizers = meta.get("finalizers") or ()
        if meta.get("deletionTimestamp") and (FOREGROUND in finalizers or ORPHAN in finalizers):
            yield ("owner", *key)
        for ref in meta.get("ownerReferences") or []:
            if self.store.key_for_uid(ref.get("uid", "")) is None:
                yield ("dependent", *key)
                break

    def resync_keys(self) -> Iterable[Hashable]:
        return ()

    def process(self, key: Hashable, ctx: ReconcileContext) -> None:
        role, group, plural, namespace, name = cast(tuple[str, str, str, str, str], key)
        stored = self.store.get(group, plural, namespace, name)
        if stored is None:
            return
        if role == "dependent":
            self._collect_dependent(group, plural, stored.copy())
        else:
            self._process_owner(group, plural, stored.copy(), ctx)

    # --- dependents -------------------------------------------------------------------------------------

    def _collect_dependent(self, group: str, plural: str, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        refs = meta.get("ownerReferences") or []
        live = [ref for ref in refs if self._owner_alive(ref)]
        if len(live) == len(refs) or meta.get("deletionTimestamp"):
            return
        rt = self.runtime.server.registry.any_version(group, plural)
        if rt is None:
            return
        try:
            if not live:
                self.runtime.server.delete(rt, meta.get("namespace", ""), meta["name"],
                                           DeleteOptions(propagation="Background", uid=meta.get("uid")))
            else:
                meta["ownerReferences"] = live
                self.runtime.server.update(rt, meta.get("namespace", ""), meta["name"], obj, _OPTIONS)
        except (NotFound, Conflict):
            return

    def _owner_alive(self, ref: dict[str, Any]) -> bool:
        stored = self.store.get_by_uid(str(ref.get("uid", "")))
        return stored is not None and stored.obj.get("kind") == ref.get("kind")

    # --- owners being deleted ---------------------------------------------------------------------------

    def _process_owner(self, group: str, plural: str, owner: dict[str, Any], ctx: ReconcileContext) -> None:
        meta = owner["metadata"]
        finalizers = meta.get("finalizers") or []
        if not meta.get("deletionTimestamp"):
            return
        if ORPHAN in finalizers:
            if self._orphan_dependents(meta["uid"]):
                self._remove_finalizer(group, plural, owner, ORPHAN)
            else:   # a dependent changed meanwhile: keep the finalizer (else it would be collected) and retry
                ctx.requeue_after(0.05)
        elif FOREGROUND in finalizers:
            if self._delete_dependents_in_foreground(meta["uid"]):
                self._remove_finalizer(group, plural, owner, FOREGROUND)
            else:
                ctx.requeue_after(0.1)

    def _orphan_dependents(self, owner_uid: str) -> bool:
        """Drop the owner's reference from its dependents; False when one of them changed meanwhile."""
        done = True
        for group, plural, namespace, name in self.store.dependents(owner_uid):
            rt = self.runtime.server.registry.any_version(group, plural)
            stored = self.store.get(group, plural, namespace, name)
            if rt is None or stored is None:
                continue
            obj = stored.copy()
            obj["metadata"]["ownerReferences"] = [ref for ref in obj["metadata"].get("ownerReferences") or []
                                                  if ref.get("uid") != owner_uid]
            if not obj["metadata"]["ownerReferences"]:
                del obj["metadata"]["ownerReferences"]
            try:
                self.runtime.server.update(rt, namespace, name, obj, _OPTIONS)
            except NotFound:
                continue
            except Conflict:
                done = False
        return done

    def _delete_dependents_in_foreground(self, owner_uid: str) -> bool:
        """Delete dependents; True once none that blocks the owner's deletion is left."""
        blocking = False
        for group, plural, namespace, name in self.store.dependents(owner_uid):
            rt = self.runtime.server.registry.any_version(group, plural)
            stored = self.store.get(group, plural, namespace, name)
            if rt is None or stored is None:
                continue
            refs = [ref for ref in stored.obj["metadata"].get("ownerReferences") or [] if ref.get("uid") == owner_uid]
            if any(ref.get("blockOwnerDeletion") for ref in refs):
                blocking = True
            if not stored.obj["metadata"].get("deletionTimestamp"):
                try:
                    self.runtime.server.delete(rt, namespace, name, DeleteOptions(propagation="Foreground"))
                except NotFound:
                    continue
        return not blocking

    def _remove_finalizer(self, group: str, plural: str, owner: dict[str, Any], finalizer: str) -> None:
        rt = self.runtime.server.registry.any_version(group, plural)
        if rt is None:
            return
        meta = owner["metadata"]
        meta["finalizers"] = [f for f in meta.get("finalizers") or [] if f != finalizer]
        self.runtime.server.update(rt, meta.get("namespace", ""), meta["name"], owner, _OPTIONS)
