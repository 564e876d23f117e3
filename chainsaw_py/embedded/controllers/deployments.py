"""Deployment controller: one ReplicaSet per pod template (``<name>-<pod-template-hash>``), rollouts that scale
the new ReplicaSet up and old ones down (RollingUpdate: once the new pods are available; Recreate: old ones
first), revision annotations, and the status kubectl rollout status and assertions look at."""

from __future__ import annotations

import copy
from typing import Any

from chainsaw_py.embedded.controllers.base import TypedController
from chainsaw_py.embedded.controllers.context import ReconcileContext
from chainsaw_py.embedded.controllers.replicasets import REPLICA_FAILURE
from chainsaw_py.embedded.controllers.util import (
    compact_status,
    controlled_by,
    is_deleting,
    resolve_int_or_percent,
    template_hash,
    template_without_hash,
)

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
COMPONENT = "deployment-controller"


def deployment_controller() -> TypedController:
    return TypedController(COMPONENT, "apps", "deployments", "Deployment", reconcile_deployment,
                           owns=(("apps", "replicasets"),))


def _replica_sets(deployment: dict[str, Any], ctx: ReconcileContext) -> list[dict[str, Any]]:
    return [rs for rs in ctx.owned_by(deployment, "apps/v1", "ReplicaSet") if controlled_by(rs, deployment)]


def _revision(obj: dict[str, Any]) -> int:
    try:
        return int((obj["metadata"].get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def _max_surge(spec: dict[str, Any], replicas: int) -> int:
    strategy = spec.get("strategy") or {}
    if strategy.get("type") == "Recreate":
        return 0
    return resolve_int_or_percent((strategy.get("rollingUpdate") or {}).get("maxSurge", "25%"), replicas, True)


def _max_unavailable(spec: dict[str, Any], replicas: int) -> int:
    strategy = spec.get("strategy") or {}
    if strategy.get("type") == "Recreate":
        return replicas
    value = resolve_int_or_percent((strategy.get("rollingUpdate") or {}).get("maxUnavailable", "25%"), replicas,
                                   False)
    return min(value, replicas)


def reconcile_deployment(deployment: dict[str, Any], ctx: ReconcileContext) -> None:
    if is_deleting(deployment):
        return
    spec = deployment.get("spec") or {}
    replica_sets = _replica_sets(deployment, ctx)
    new_rs = _find_new(deployment, replica_sets)
    olds = [rs for rs in replica_sets if new_rs is None or rs["metadata"]["uid"] != new_rs["metadata"]["uid"]]
    if not spec.get("paused"):
        if new_rs is None:
            new_rs = _create_new(deployment, olds, ctx)
        new_rs = _ensure_revision(deployment, new_rs, olds, ctx)
        _rollout(deployment, new_rs, olds, ctx)
    _write_status(deployment, new_rs, olds, ctx)


def _find_new(deployment: dict[str, Any], replica_sets: list[dict[str, Any]]) -> dict[str, Any] | None:
    wanted = (deployment.get("spec") or {}).get("template") or {}
    for rs in sorted(replica_sets, key=lambda item: item["metadata"].get("creationTimestamp", "")):
        if template_without_hash((rs.get("spec") or {}).get("template") or {}, HASH_LABEL) == wanted:
            return rs
    return None


def _create_new(deployment: dict[str, Any], olds: list[dict[str, Any]], ctx: ReconcileContext) -> dict[str, Any]:
    meta, spec = deployment["metadata"], deployment.get("spec") or {}
    collisions = int((deployment.get("status") or {}).get("collisionCount", 0))
    template = copy.deepcopy(spec.get("template") or {})
    digest = template_hash(template, collisions)
    template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = digest
    selector = copy.deepcopy(spec.get("selector") or {})
    selector.setdefault("matchLabels", {})[HASH_LABEL] = digest
    replicas = int(spec.get("replicas", 1))
    revision = max([_revision(rs) for rs in olds] + [0]) + 1
    rs: dict[str, Any] = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
          "metadata": {"name": f"{meta['name']}-{digest}", "namespace": meta["namespace"],
                       "labels": dict(template["metadata"]["labels"]),
                       "annotations": {DESIRED: str(replicas),
                                       MAX_REPLICAS: str(replicas + _max_surge(spec, replicas)),
                                       REVISION: str(revision)}},
          "spec": {"replicas": 0, "selector": selector, "template": template}}
    if spec.get("minReadySeconds"):
        rs["spec"]["minReadySeconds"] = spec["minReadySeconds"]
    ctx.set_owner(rs, deployment)
    return ctx.create(rs)


def _ensure_revision(deployment: dict[str, Any], new_rs: dict[str, Any], olds: list[dict[str, Any]],
                     ctx: ReconcileContext) -> dict[str, Any]:
    """A template that matches an old ReplicaSet again (rollback) gets the next revision number."""
    top = max([_revision(rs) for rs in olds] + [0])
    if _revision(new_rs) <= top:
        new_rs["metadata"].setdefault("annotations", {})[REVISION] = str(top + 1)
        new_rs = ctx.update(new_rs)
    revision = str(_revision(new_rs))
    annotations = deployment["metadata"].get("annotations") or {}
    if annotations.get(REVISION) != revision:
        ctx.patch("apps/v1", "Deployment", deployment["metadata"]["name"],
                  {"metadata": {"annotations": {REVISION: revision}}}, deployment["metadata"]["namespace"])
    return new_rs


def _scale(rs: dict[str, Any], replicas: int, deployment: dict[str, Any], ctx: ReconcileContext) -> dict[str, Any]:
    current = int((rs.get("spec") or {}).get("replicas", 0))
    if current == replicas:
        return rs
    rs["spec"]["replicas"] = replicas
    annotations = rs["metadata"].setdefault("annotations", {})
    desired = int((deployment.get("spec") or {}).get("replicas", 1))
    annotations[DESIRED] = str(desired)
    annotations[MAX_REPLICAS] = str(desired + _max_surge(deployment.get("spec") or {}, desired))
    updated = ctx.update(rs)
    direction = "up" if replicas > current else "down"
    ctx.event(deployment, "ScalingReplicaSet",
              f"Scaled {direction} replica set {rs['metadata']['name']} from {current} to {replicas}",
              component=COMPONENT)
    return updated


def _rollout(deployment: dict[str, Any], new_rs: dict[str, Any], olds: list[dict[str, Any]],
             ctx: ReconcileContext) -> None:
    spec = deployment.get("spec") or {}
    desired = int(spec.get("replicas", 1))
    recreate = (spec.get("strategy") or {}).get("type") == "Recreate"
    old_pods = sum(int((rs.get("status") or {}).get("replicas", 0)) for rs in olds)
    if recreate:
        for rs in olds:
            _scale(rs, 0, deployment, ctx)
        if old_pods == 0:
            _scale(new_rs, desired, deployment, ctx)
        return
    _scale(new_rs, desired, deployment, ctx)
    new_available = int((new_rs.get("status") or {}).get("availableReplicas", 0))
    if new_available >= desired - _max_unavailable(spec, desired):
        for rs in olds:
            _scale(rs, 0, deployment, ctx)


def _write_status(deployment: dict[str, Any], new_rs: dict[str, Any] | None, olds: list[dict[str, Any]],
                  ctx: ReconcileContext) -> None:
    spec, previous = deployment.get("spec") or {}, deployment.get("status") or {}
    desired = int(spec.get("replicas", 1))
    everything = olds + ([new_rs] if new_rs is not None else [])

    def total(field: str, items: list[dict[str, Any]]) -> int:
        return sum(int((rs.get("status") or {}).get(field, 0)) for rs in items)

    replicas, available = total("replicas", everything), total("availableReplicas", everything)
    updated = total("replicas", [new_rs]) if new_rs is not None else 0
    status = compact_status({
        "observedGeneration": deployment["metadata"].get("generation", 1), "replicas": replicas,
        "updatedReplicas": updated, "readyReplicas": total("readyReplicas", everything),
        "availableReplicas": available, "unavailableReplicas": max(replicas - available, 0),
        "collisionCount": previous.get("collisionCount", 0)})
    conditions = {c.get("type"): dict(c) for c in previous.get("conditions") or []}
    now = ctx.now()
    minimum = available >= desired - _max_unavailable(spec, desired)
    _condition(conditions, "Available", "True" if minimum else "False",
               "MinimumReplicasAvailable" if minimum else "MinimumReplicasUnavailable",
               "Deployment has minimum availability." if minimum else
               "Deployment does not have minimum availability.", now)
    if new_rs is not None:
        name = new_rs["metadata"]["name"]
        complete = updated == desired and replicas == desired and available == desired
        if spec.get("paused"):
            _condition(conditions, "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", now)
        elif complete:
            _condition(conditions, "Progressing", "True", "NewReplicaSetAvailable",
                       f'ReplicaSet "{name}" has successfully progressed.', now)
        elif "Progressing" not in conditions:
            _condition(conditions, "Progressing", "True", "NewReplicaSetCreated",
                       f'Created new replica set "{name}"', now)
        else:
            _condition(conditions, "Progressing", "True", "ReplicaSetUpdated",
                       f'ReplicaSet "{name}" is progressing.', now)
    _replica_failure(conditions, new_rs, olds)
    status["conditions"] = list(conditions.values())   # other controllers' condition types are kept
    if status != previous:
        deployment["status"] = status
        ctx.update_status(deployment)


def _replica_failure(conditions: dict[str, dict[str, Any]], new_rs: dict[str, Any] | None,
                     olds: list[dict[str, Any]]) -> None:
    """getReplicaFailures: a ReplicaSet's ReplicaFailure (the new one's first) becomes the Deployment's."""
    for rs in ([new_rs] if new_rs is not None else []) + olds:
        for condition in (rs.get("status") or {}).get("conditions") or []:
            if condition.get("type") == REPLICA_FAILURE:
                conditions[REPLICA_FAILURE] = {
                    "type": REPLICA_FAILURE, "status": condition.get("status", "True"),
                    "lastUpdateTime": condition.get("lastTransitionTime"),
                    "lastTransitionTime": condition.get("lastTransitionTime"),
                    "reason": condition.get("reason", ""), "message": condition.get("message", "")}
                return
    conditions.pop(REPLICA_FAILURE, None)


def _condition(conditions: dict[str, dict[str, Any]], kind: str, state: str, reason: str, message: str,
               now: str) -> None:
    existing = conditions.get(kind)
    if existing and (existing.get("status"), existing.get("reason"), existing.get("message")) == (state, reason, message):
        return
    transition = existing.get("lastTransitionTime") if existing and existing.get("status") == state else now
    conditions.pop(kind, None)   # SetDeploymentCondition: a changed condition moves to the end
    conditions[kind] = {"type": kind, "status": state, "lastUpdateTime": now, "lastTransitionTime": transition,
                        "reason": reason, "message": message}
