"""ReplicaSet and ReplicationController controllers: keep ``spec.replicas`` pods alive and report counts in
status (the ReplicationController manager is the ReplicaSet controller over a map selector)."""

from __future__ import annotations

from typing import Any

from chainsaw_py.embedded.apierrors import ApiError
from chainsaw_py.embedded.controllers.base import TypedController
from chainsaw_py.embedded.controllers.context import ReconcileContext
from chainsaw_py.embedded.controllers.util import (
    compact_status,
    controlled_by,
    is_deleting,
    label_selector,
    pod_active,
    pod_available,
    pod_from_template,
    pod_ready,
)

REPLICA_FAILURE = "ReplicaFailure"


def replicaset_controller() -> TypedController:
    return TypedController("replicaset-controller", "apps", "replicasets", "ReplicaSet", reconcile_replicaset,
                           owns=(("", "pods"),))


def replication_controller() -> TypedController:
    return TypedController("replicationcontroller-controller", "", "replicationcontrollers", "ReplicationController",
                           reconcile_replicaset, owns=(("", "pods"),))


def owned_pods(owner: dict[str, Any], ctx: ReconcileContext) -> list[dict[str, Any]]:
    return [pod for pod in ctx.owned_by(owner, "v1", "Pod") if controlled_by(pod, owner)]


def reconcile_replicaset(rs: dict[str, Any], ctx: ReconcileContext) -> None:
    if is_deleting(rs):
        return
    meta, spec = rs["metadata"], rs.get("spec") or {}
    pods = owned_pods(rs, ctx)
    active = [pod for pod in pods if pod_active(pod)]
    wanted = int(spec.get("replicas", 1))
    failure: ApiError | None = None
    if len(active) < wanted:
        for _ in range(wanted - len(active)):
            pod = pod_from_template(spec.get("template") or {}, rs, meta["namespace"],
                                    generate_name=f"{meta['name']}-")
            try:
                created = ctx.create(pod)
            except ApiError as error:   # PodControl's event; the status still gets written, then a retry
                ctx.event(rs, "FailedCreate", f"Error creating: {error.message}", "Warning", _component(rs))
                failure = error
                break
            active.append(created)
            ctx.event(rs, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}",
                      component=_component(rs))
    elif len(active) > wanted:
        for pod in _deletion_order(active)[:len(active) - wanted]:
            if ctx.delete("v1", "Pod", pod["metadata"]["name"], meta["namespace"]):
                ctx.event(rs, "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}",
                          component=_component(rs))
            active.remove(pod)
    write_replicaset_status(rs, active, ctx, failure)
    if failure is not None:
        raise failure


def _with_replica_failure(conditions: list[dict[str, Any]], failure: ApiError | None,
                          now: str) -> list[dict[str, Any]]:
    """calculateStatus: a failed create adds a ReplicaFailure condition (kept while failures go on), a
    successful sync removes it."""
    others = [condition for condition in conditions if condition.get("type") != REPLICA_FAILURE]
    if failure is None:
        return others
    existing = [condition for condition in conditions if condition.get("type") == REPLICA_FAILURE]
    return others + (existing or [{"type": REPLICA_FAILURE, "status": "True", "lastTransitionTime": now,
                                   "reason": "FailedCreate", "message": failure.message}])


def _component(owner: dict[str, Any]) -> str:
    return "replication-controller" if owner.get("kind") == "ReplicationController" else "replicaset-controller"


def _deletion_order(pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Unscheduled, then not ready, then the newest first (the controller's preference)."""
    return sorted(pods, key=lambda pod: (bool((pod.get("spec") or {}).get("nodeName")), pod_ready(pod),
                                         _negated(pod["metadata"].get("creationTimestamp", ""))))


def _negated(timestamp: str) -> tuple[int, ...]:
    return tuple(-ord(char) for char in timestamp)


def write_replicaset_status(rs: dict[str, Any], active: list[dict[str, Any]], ctx: ReconcileContext,
                            failure: ApiError | None = None) -> None:
    spec = rs.get("spec") or {}
    selector = label_selector((spec.get("template") or {}).get("metadata", {}).get("labels") and
                              {"matchLabels": (spec.get("template") or {}).get("metadata", {}).get("labels")})
    now = ctx.now()
    min_ready = int(spec.get("minReadySeconds", 0))
    ready = sum(1 for pod in active if pod_ready(pod))
    available = sum(1 for pod in active if pod_available(pod, min_ready, now))
    labeled = sum(1 for pod in active
                  if selector is None or selector.matches(pod["metadata"].get("labels") or {}))
    new_status = compact_status({"replicas": len(active), "fullyLabeledReplicas": labeled, "readyReplicas": ready,
                                 "availableReplicas": available,
                                 "observedGeneration": rs["metadata"].get("generation", 1)}, keep=("replicas",))
    conditions = _with_replica_failure((rs.get("status") or {}).get("conditions") or [], failure, now)
    if conditions:
        new_status["conditions"] = conditions
    if new_status != (rs.get("status") or {}):
        rs["status"] = new_status
        ctx.update_status(rs)
    if min_ready and ready > available:
        ctx.requeue_after(0.5)
