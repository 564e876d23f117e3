"""The ClusterRole aggregation controller: a ClusterRole with an ``aggregationRule`` gets, as its ``rules``, the
rules of every ClusterRole its selectors match (kubectl shows them; the RBAC authorizer also aggregates on its
own, so a decision never waits for this controller)."""

from __future__ import annotations

from typing import Any

from chainsaw_py.embedded.auth.rbac import RBAC_GROUP, aggregated_rules
from chainsaw_py.embedded.controllers.base import TypedController
from chainsaw_py.embedded.controllers.context import ReconcileContext, Runtime
from chainsaw_py.embedded.store import StoreEvent


def aggregation_controller(runtime: Runtime) -> TypedController:
    def aggregating_roles(event: StoreEvent) -> list[tuple[str, str]]:
        items, _rv = runtime.server.store.list(RBAC_GROUP, "clusterroles")
        return [("", item.obj["metadata"]["name"]) for item in items
                if item.obj.get("aggregationRule") and item.obj["metadata"]["name"] != event.obj["metadata"]["name"]]

    def reconcile(role: dict[str, Any], ctx: ReconcileContext) -> None:
        if not role.get("aggregationRule"):
            return
        rules = aggregated_rules(runtime.server.store, role)
        if rules != (role.get("rules") or []):
            role["rules"] = rules
            ctx.update(role)

    return TypedController("clusterrole-aggregation-controller", RBAC_GROUP, "clusterroles", "ClusterRole",
                           reconcile, watches=((RBAC_GROUP, "clusterroles", aggregating_roles),))
