"""The resource-quota controller: keeps ``status.hard`` and ``status.used`` of every ResourceQuota current as
objects come and go in its namespace (admission itself counts from the store, see admission/quota.py)."""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterable
from typing import Any, cast

from chainsaw_py.embedded.admission.quota import format_quantity, namespace_usage
from chainsaw_py.embedded.controllers.base import ANY
from chainsaw_py.embedded.controllers.context import ReconcileContext, Runtime
from chainsaw_py.embedded.store import StoreEvent


class ResourceQuotaController:
    name = "resourcequota-controller"

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._lock = threading.Lock()
        self._namespaces: set[str] = set()      # namespaces that hold at least one quota

    def interests(self) -> Iterable[tuple[str, str]]:
        yield (ANY, ANY)

    def keys_for(self, event: StoreEvent) -> Iterable[Hashable]:
        namespace = event.namespace
        if not namespace:
            return
        if event.group == "" and event.plural == "resourcequotas":
            with self._lock:
                self._namespaces.add(namespace)
            yield namespace
            return
        with self._lock:
            watched = namespace in self._namespaces
        if watched and not (event.group == "" and event.plural == "events"):
            yield namespace

    def resync_keys(self) -> Iterable[Hashable]:
        items, _rv = self.runtime.server.store.list("", "resourcequotas")
        namespaces = {item.obj["metadata"].get("namespace", "") for item in items}
        with self._lock:
            self._namespaces |= namespaces
        yield from sorted(namespaces)

    def process(self, key: Hashable, ctx: ReconcileContext) -> None:
        namespace = cast(str, key)
        quotas = ctx.list("v1", "ResourceQuota", namespace)
        if not quotas:
            with self._lock:
                self._namespaces.discard(namespace)
            return
        for quota in quotas:
            self._refresh(quota, namespace, ctx)

    def _refresh(self, quota: dict[str, Any], namespace: str, ctx: ReconcileContext) -> None:
        hard = dict((quota.get("spec") or {}).get("hard") or {})
        used = namespace_usage(self.runtime.server.store, namespace, list(hard), quota)
        status = {"hard": hard, "used": {name: format_quantity(name, used[name]) for name in hard}}
        if quota.get("status") == status or quota["metadata"].get("deletionTimestamp"):
            return
        quota["status"] = status
        ctx.update_status(quota)


def quota_controller(runtime: Runtime) -> ResourceQuotaController:
    return ResourceQuotaController(runtime)



