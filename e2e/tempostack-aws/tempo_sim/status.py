"""The TempoStack status as the Tempo operator computes it (tempo-operator ``internal/status``), pure.

``status.components`` maps every component to its pods grouped by pod status (Pending, Running — started
but not ready —, Ready, Failed, Succeeded, Unknown). The one condition that is True is: ``Failed``
(FailedComponents) when a pod failed or is unknown, else ``Pending`` (PendingComponents) when one is pending
or not ready, else ``Ready`` (Ready); a configuration error or a failed reconciliation sets
``ConfigurationError`` or ``Failed`` (FailedReconciliation) instead. Setting a condition sets every other
one to False, so ``Ready`` turns False when the stack stops being ready.

One deliberate difference: a component with fewer pods than its desired replicas counts as pending (the
operator, which only lists pods, reports Ready for an instant right after creating the workloads).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .manifests import COMPACTOR, DISTRIBUTOR, INGESTER, QUERIER, QUERY_FRONTEND

READY = "Ready"
FAILED = "Failed"
PENDING = "Pending"
CONFIGURATION_ERROR = "ConfigurationError"

POD_PENDING, POD_RUNNING, POD_READY = "Pending", "Running", "Ready"
POD_FAILED, POD_SUCCEEDED, POD_UNKNOWN = "Failed", "Succeeded", "Unknown"

COMPONENT_FIELDS = {COMPACTOR: "compactor", DISTRIBUTOR: "distributor", INGESTER: "ingester", QUERIER: "querier",
                    QUERY_FRONTEND: "queryFrontend"}

SUMMARY = {
    READY: ("Ready", "All components are operational"),
    FAILED: ("FailedComponents", "Some Tempo components failed"),
    PENDING: ("PendingComponents", "Some Tempo components are pending on dependencies"),
}
FAILED_RECONCILIATION = "FailedReconciliation"


def pod_status(pod: dict[str, Any]) -> str:
    """``podStatus``: the pod phase, with Running split into Running and Ready (all containers ready)."""
    status = pod.get("status") or {}
    phase = status.get("phase")
    if phase == "Running":
        containers = status.get("containerStatuses") or []
        return POD_READY if containers and all(c.get("ready") for c in containers) else POD_RUNNING
    return {"Failed": POD_FAILED, "Pending": POD_PENDING, "Succeeded": POD_SUCCEEDED}.get(str(phase), POD_UNKNOWN)


def components(pods_by_component: Mapping[str, list[dict[str, Any]]]) -> dict[str, dict[str, list[str]]]:
    """``status.components``: every component (and the absent gateway) mapped to pod names by status;
    terminating pods are left out."""
    result: dict[str, dict[str, list[str]]] = {field: {} for field in COMPONENT_FIELDS.values()}
    result["gateway"] = {}
    for component, pods in pods_by_component.items():
        grouped: dict[str, list[str]] = {}
        for pod in sorted(pods, key=lambda p: str((p.get("metadata") or {}).get("name"))):
            meta = pod.get("metadata") or {}
            if meta.get("deletionTimestamp"):
                continue
            grouped.setdefault(pod_status(pod), []).append(str(meta.get("name")))
        result[COMPONENT_FIELDS[component]] = grouped
    return result


def summary(component_pods: Mapping[str, Mapping[str, list[str]]], desired: Mapping[str, int]) -> str:
    """Which of Failed, Pending and Ready describes the components (``GetComponentsStatus``)."""
    maps = list(component_pods.values())
    if any(m.get(POD_FAILED) or m.get(POD_UNKNOWN) for m in maps):
        return FAILED
    if any(m.get(POD_PENDING) or m.get(POD_RUNNING) for m in maps):
        return PENDING
    for component, replicas in desired.items():
        if len(component_pods.get(COMPONENT_FIELDS[component], {}).get(POD_READY, [])) < replicas:
            return PENDING
    return READY


def update_condition(conditions: list[dict[str, Any]], type_: str, reason: str, message: str,
                     now: str) -> list[dict[str, Any]]:
    """``UpdateCondition``: make ``type_`` the True condition and every other one False. Unchanged (the
    same list) when ``type_`` is already True with the same reason and message."""
    for condition in conditions:
        if (condition.get("type"), condition.get("reason"), condition.get("message"),
                condition.get("status")) == (type_, reason, message, "True"):
            return conditions
    updated = copy.deepcopy(conditions)
    for condition in updated:
        condition["status"] = "False"
        condition["lastTransitionTime"] = now
    wanted = {"type": type_, "status": "True", "reason": reason, "message": message, "lastTransitionTime": now}
    index = next((i for i, condition in enumerate(updated) if condition.get("type") == type_), None)
    if index is None:
        updated.append(wanted)
    else:
        updated[index] = wanted
    return updated


def summary_condition(conditions: list[dict[str, Any]], state: str, now: str) -> list[dict[str, Any]]:
    reason, message = SUMMARY[state]
    return update_condition(conditions, state, reason, message, now)
