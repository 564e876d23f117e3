"""StatefulSet and DaemonSet controllers.

StatefulSet: pods ``<name>-<ordinal>`` created in order (OrderedReady waits for the previous pod to be Ready;
Parallel does not), PersistentVolumeClaims from ``volumeClaimTemplates``, a ControllerRevision per template,
scale-down from the highest ordinal. DaemonSet: one pod per (the single) node.
"""

from __future__ import annotations

import copy
from typing import Any

from chainsaw_py.embedded.apierrors import AlreadyExists, ApiError
from chainsaw_py.embedded.controllers.base import TypedController
from chainsaw_py.embedded.controllers.context import ReconcileContext
from chainsaw_py.embedded.controllers.replicasets import owned_pods
from chainsaw_py.embedded.controllers.util import (
    compact_status,
    controlled_by,
    is_deleting,
    pod_active,
    pod_available,
    pod_from_template,
    pod_ready,
    template_hash,
)

REVISION_LABEL = "controller-revision-hash"


def statefulset_controller() -> TypedController:
    return TypedController("statefulset-controller", "apps", "statefulsets", "StatefulSet", reconcile_statefulset,
                           owns=(("", "pods"), ("apps", "controllerrevisions")))


def daemonset_controller() -> TypedController:
    return TypedController("daemonset-controller", "apps", "daemonsets", "DaemonSet", reconcile_daemonset,
                           owns=(("", "pods"), ("apps", "controllerrevisions")))


def _ensure_revision(owner: dict[str, Any], ctx: ReconcileContext) -> str:
    """A ControllerRevision ``<name>-<hash>`` holding the current template; returns the revision name."""
    meta, spec = owner["metadata"], owner.get("spec") or {}
    digest = template_hash(spec.get("template") or {})
    name = f"{meta['name']}-{digest}"
    revisions = [rev for rev in ctx.owned_by(owner, "apps/v1", "ControllerRevision") if controlled_by(rev, owner)]
    latest = max([int(rev.get("revision", 0)) for rev in revisions] + [0])
    existing = next((rev for rev in revisions if rev["metadata"]["name"] == name), None)
    if existing is not None and int(existing.get("revision", 0)) < latest:
        existing["revision"] = latest + 1     # a rollback: the old template becomes the newest revision
        ctx.update(existing)
    if existing is None:
        number = latest + 1
        revision = {"apiVersion": "apps/v1", "kind": "ControllerRevision",
                    "metadata": {"name": name, "namespace": meta["namespace"],
                                 "labels": {**((spec.get("selector") or {}).get("matchLabels") or {}),
                                            REVISION_LABEL: digest}},
                    "data": {"spec": {"template": {**copy.deepcopy(spec.get("template") or {}), "$patch": "replace"}}},
                    "revision": number}
        ctx.set_owner(revision, owner)
        try:
            ctx.create(revision)
        except AlreadyExists:
            pass
    return name


# --- StatefulSet --------------------------------------------------------------------------------------------


def _ordinal(pod: dict[str, Any], prefix: str) -> int:
    suffix = pod["metadata"]["name"][len(prefix):]
    return int(suffix) if suffix.isdigit() else -1


def reconcile_statefulset(sts: dict[str, Any], ctx: ReconcileContext) -> None:
    if is_deleting(sts):
        return
    meta, spec = sts["metadata"], sts.get("spec") or {}
    revision = _ensure_revision(sts, ctx)
    prefix = f"{meta['name']}-"
    pods = {_ordinal(pod, prefix): pod for pod in owned_pods(sts, ctx) if pod_active(pod)}
    wanted = int(spec.get("replicas", 1))
    ordered = spec.get("podManagementPolicy", "OrderedReady") == "OrderedReady"
    failure: ApiError | None = None
    for ordinal in range(wanted):
        if ordinal in pods:
            if ordered and not pod_ready(pods[ordinal]):
                break
            continue
        try:
            pods[ordinal] = _create_member(sts, ordinal, revision, ctx)
        except ApiError as error:      # recordPodEvent's warning; the status is still written, then a retry
            ctx.event(sts, "FailedCreate", f"create Pod {meta['name']}-{ordinal} in StatefulSet {meta['name']} "
                      f"failed error: {error.message}", "Warning", "statefulset-controller")
            failure = error
            break
        if ordered:
            break
    for ordinal in sorted((o for o in pods if o >= wanted), reverse=True):
        _delete_member(sts, pods.pop(ordinal), ctx)
        if ordered:
            break
    if len(pods) == wanted and all(ordinal in pods for ordinal in range(wanted)):
        _roll_one(sts, pods, revision, ctx)
    _write_sts_status(sts, list(pods.values()), revision, ctx)
    if failure is not None:
        raise failure


def _delete_member(sts: dict[str, Any], pod: dict[str, Any], ctx: ReconcileContext) -> None:
    meta = sts["metadata"]
    if ctx.delete("v1", "Pod", pod["metadata"]["name"], meta["namespace"]):
        ctx.event(sts, "SuccessfulDelete", f"delete Pod {pod['metadata']['name']} in StatefulSet "
                  f"{meta['name']} successful", component="statefulset-controller")


def _roll_one(sts: dict[str, Any], pods: dict[int, dict[str, Any]], revision: str, ctx: ReconcileContext) -> None:
    """RollingUpdate as the StatefulSet controller does it: from the highest ordinal down to the partition, the
    first pod at another revision is deleted (it comes back at the new one), and nothing moves while a pod above
    it is not ready. OnDelete leaves pods alone."""
    strategy = (sts.get("spec") or {}).get("updateStrategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return
    partition = int((strategy.get("rollingUpdate") or {}).get("partition", 0) or 0)
    for ordinal in sorted((o for o in pods if o >= partition), reverse=True):
        pod = pods[ordinal]
        if (pod["metadata"].get("labels") or {}).get(REVISION_LABEL) != revision:
            _delete_member(sts, pods.pop(ordinal), ctx)
            return
        if not pod_ready(pod):
            return


def _create_member(sts: dict[str, Any], ordinal: int, revision: str, ctx: ReconcileContext) -> dict[str, Any]:
    meta, spec = sts["metadata"], sts.get("spec") or {}
    name = f"{meta['name']}-{ordinal}"
    pod = pod_from_template(spec.get("template") or {}, sts, meta["namespace"], name=name,
                            labels={REVISION_LABEL: revision, "statefulset.kubernetes.io/pod-name": name,
                                    "apps.kubernetes.io/pod-index": str(ordinal)})
    pod["spec"]["hostname"] = name
    if spec.get("serviceName"):
        pod["spec"]["subdomain"] = spec["serviceName"]
    for claim_template in spec.get("volumeClaimTemplates") or []:
        claim_name = f"{claim_template['metadata']['name']}-{name}"
        _ensure_claim(sts, claim_template, claim_name, ctx)
        volumes = pod["spec"].setdefault("volumes", [])
        if not any(v.get("name") == claim_template["metadata"]["name"] for v in volumes):
            volumes.append({"name": claim_template["metadata"]["name"],
                            "persistentVolumeClaim": {"claimName": claim_name}})
    try:
        created = ctx.create(pod)
    except AlreadyExists:
        return ctx.get("v1", "Pod", name, meta["namespace"]) or pod
    ctx.event(sts, "SuccessfulCreate", f"create Pod {name} in StatefulSet {meta['name']} successful",
              component="statefulset-controller")
    return created


def _ensure_claim(sts: dict[str, Any], template: dict[str, Any], name: str, ctx: ReconcileContext) -> None:
    namespace = sts["metadata"]["namespace"]
    if ctx.get("v1", "PersistentVolumeClaim", name, namespace) is not None:
        return
    claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
             "metadata": {"name": name, "namespace": namespace,
                          "labels": {**(template.get("metadata", {}).get("labels") or {}),
                                     **((sts.get("spec") or {}).get("selector", {}).get("matchLabels") or {})}},
             "spec": copy.deepcopy(template.get("spec") or {})}
    try:
        ctx.create(claim)
    except AlreadyExists:
        return
    ctx.event(sts, "SuccessfulCreate", f"create Claim {name} Pod {name.split('-', 1)[-1]} in StatefulSet "
              f"{sts['metadata']['name']} success", component="statefulset-controller")


def _write_sts_status(sts: dict[str, Any], pods: list[dict[str, Any]], revision: str, ctx: ReconcileContext) -> None:
    spec, previous = sts.get("spec") or {}, sts.get("status") or {}
    now = ctx.now()
    min_ready = int(spec.get("minReadySeconds", 0))
    updated = [pod for pod in pods if (pod["metadata"].get("labels") or {}).get(REVISION_LABEL) == revision]
    ready = sum(1 for pod in pods if pod_ready(pod))
    current_revision = previous.get("currentRevision") or revision
    if len(updated) == len(pods) == ready == int(spec.get("replicas", 1)):
        current_revision = revision        # the rolling update is complete
    current = [pod for pod in pods if (pod["metadata"].get("labels") or {}).get(REVISION_LABEL) == current_revision]
    status = compact_status({
        "observedGeneration": sts["metadata"].get("generation", 1), "replicas": len(pods),
        "readyReplicas": ready, "currentReplicas": len(current),
        "updatedReplicas": len(updated), "currentRevision": current_revision, "updateRevision": revision,
        "collisionCount": 0, "availableReplicas": sum(1 for pod in pods if pod_available(pod, min_ready, now))},
        keep=("replicas", "availableReplicas", "collisionCount"))
    if previous.get("conditions"):   # conditions other controllers set are kept
        status["conditions"] = previous["conditions"]
    if status != previous:
        sts["status"] = status
        ctx.update_status(sts)


# --- DaemonSet ----------------------------------------------------------------------------------------------

_DAEMON_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]


def reconcile_daemonset(ds: dict[str, Any], ctx: ReconcileContext) -> None:
    if is_deleting(ds):
        return
    meta, spec = ds["metadata"], ds.get("spec") or {}
    revision = _ensure_revision(ds, ctx)
    digest = revision.rsplit("-", 1)[-1]
    pods = [pod for pod in owned_pods(ds, ctx) if pod_active(pod)]
    outdated = [pod for pod in pods if (pod["metadata"].get("labels") or {}).get(REVISION_LABEL) != digest]
    for pod in outdated:
        ctx.delete("v1", "Pod", pod["metadata"]["name"], meta["namespace"])
        pods.remove(pod)
    if not pods and _node_matches(spec, ctx):
        pod = pod_from_template(spec.get("template") or {}, ds, meta["namespace"], generate_name=f"{meta['name']}-",
                                labels={REVISION_LABEL: digest,
                                        "pod-template-generation": str(meta.get("generation", 1))})
        pod_spec = pod["spec"]
        pod_spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In",
                                                    "values": [ctx.node_name]}]}]}}}
        tolerations = pod_spec.setdefault("tolerations", [])
        tolerations.extend(t for t in _DAEMON_TOLERATIONS if t not in tolerations)
        try:
            created = ctx.create(pod)
        except ApiError as error:      # PodControl's warning; the status is still written, then a retry
            ctx.event(ds, "FailedCreate", f"Error creating: {error.message}", "Warning", "daemonset-controller")
            _write_ds_status(ds, pods, ctx)
            raise
        pods.append(created)
        ctx.event(ds, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}",
                  component="daemonset-controller")
    _write_ds_status(ds, pods, ctx)


def _node_matches(spec: dict[str, Any], ctx: ReconcileContext) -> bool:
    selector = ((spec.get("template") or {}).get("spec") or {}).get("nodeSelector") or {}
    node = ctx.get("v1", "Node", ctx.node_name) or {}
    labels = node.get("metadata", {}).get("labels") or {}
    return all(labels.get(key) == value for key, value in selector.items())


def _write_ds_status(ds: dict[str, Any], pods: list[dict[str, Any]], ctx: ReconcileContext) -> None:
    spec, previous = ds.get("spec") or {}, ds.get("status") or {}
    now = ctx.now()
    desired = 1 if _node_matches(spec, ctx) else 0
    ready = sum(1 for pod in pods if pod_ready(pod))
    available = sum(1 for pod in pods if pod_available(pod, int(spec.get("minReadySeconds", 0)), now))
    status = compact_status({
        "currentNumberScheduled": len(pods), "numberMisscheduled": 0, "desiredNumberScheduled": desired,
        "numberReady": ready, "observedGeneration": ds["metadata"].get("generation", 1),
        "updatedNumberScheduled": len(pods), "numberAvailable": available,
        "numberUnavailable": max(desired - available, 0)},
        keep=("currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled", "numberReady"))
    if previous.get("conditions"):   # conditions other controllers set are kept
        status["conditions"] = previous["conditions"]
    if status != previous:
        ds["status"] = status
        ctx.update_status(ds)
