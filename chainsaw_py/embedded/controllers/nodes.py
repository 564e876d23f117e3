"""The node's heartbeat: its Lease in kube-node-lease is renewed and its conditions' heartbeat times move on,
as a kubelet does (``kubectl describe node`` shows both). As the node lifecycle controller does, a cordoned
node (``spec.unschedulable``) carries the ``node.kubernetes.io/unschedulable:NoSchedule`` taint."""

from __future__ import annotations

from typing import Any

from chainsaw_py.embedded.apierrors import AlreadyExists
from chainsaw_py.embedded.controllers.base import TypedController
from chainsaw_py.embedded.controllers.context import ReconcileContext
from chainsaw_py.embedded.decoding import now_micro

RENEW_INTERVAL = 10.0
LEASE_DURATION = 40
UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"


def node_heartbeat() -> TypedController:
    return TypedController("node-heartbeat", "", "nodes", "Node", reconcile_node)


def reconcile_node(node: dict[str, Any], ctx: ReconcileContext) -> None:
    node = _sync_unschedulable_taint(node, ctx)
    name = node["metadata"]["name"]
    lease = ctx.get("coordination.k8s.io/v1", "Lease", name, "kube-node-lease")
    if lease is None:
        lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                 "metadata": {"name": name, "namespace": "kube-node-lease"},
                 "spec": {"holderIdentity": name, "leaseDurationSeconds": LEASE_DURATION, "renewTime": now_micro()}}
        ctx.set_owner(lease, node, controller=False)
        try:
            ctx.create(lease)
        except AlreadyExists:
            ctx.requeue_after(0.05)
            return
    else:
        lease["spec"]["renewTime"] = now_micro()
        ctx.update(lease)
    now = ctx.now()
    for condition in (node.get("status") or {}).get("conditions") or []:
        condition["lastHeartbeatTime"] = now
    ctx.update_status(node)
    ctx.requeue_after(RENEW_INTERVAL)


def _sync_unschedulable_taint(node: dict[str, Any], ctx: ReconcileContext) -> dict[str, Any]:
    spec = node.setdefault("spec", {})
    taints = list(spec.get("taints") or [])
    kept = [taint for taint in taints
            if not (taint.get("key") == UNSCHEDULABLE_TAINT and taint.get("effect") == "NoSchedule")]
    if bool(spec.get("unschedulable")) == (len(kept) != len(taints)):
        return node
    if spec.get("unschedulable"):
        kept.append({"key": UNSCHEDULABLE_TAINT, "effect": "NoSchedule", "timeAdded": ctx.now()})
    if kept:
        spec["taints"] = kept
    else:
        spec.pop("taints", None)
    return ctx.update(node)
