"""The ``pods/eviction`` subresource: a delete that honours PodDisruptionBudgets, as kube-apiserver's eviction
REST storage does (``kubectl drain`` relies on it).

Pods that are finished, pending or already being deleted are deleted at once. Otherwise the pod's budget (at
most one may select it) must have been observed by the disruption controller and allow a disruption: it is
then taken (``disruptionsAllowed`` decremented, the pod recorded in ``disruptedPods``) before the delete; else
the eviction answers 429 ``Cannot evict pod as it would violate the pod's disruption budget.``. A pod that is
not Ready may go without taking a disruption when the budget is healthy (``unhealthyPodEvictionPolicy``
``IfHealthyBudget``, the default) or always (``AlwaysAllow``).
"""

from __future__ import annotations

import json
from typing import Any

from chainsaw_py.embedded.apierrors import ApiError, Conflict, Forbidden, InternalError
from chainsaw_py.embedded.apiserver import ApiServer
from chainsaw_py.embedded.controllers.disruption import selects
from chainsaw_py.embedded.controllers.util import is_deleting, pod_ready
from chainsaw_py.embedded.resources import ResourceType
from chainsaw_py.embedded.writes import DeleteOptions

_MAX_DISRUPTED_PODS = 2000
_ATTEMPTS = 5
_VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget."


def evict(server: ApiServer, pods: ResourceType, namespace: str, name: str, options: DeleteOptions) -> None:
    pod = server.get(pods, namespace, name).obj
    if not _ignores_budgets(pod):
        budgets = _budgets_of(server, pod)
        if len(budgets) > 1:
            raise InternalError("This pod has more than one PodDisruptionBudget, which the eviction subresource "
                                "does not support.")
        if budgets:
            _take_disruption(server, budgets[0], pod)
    server.delete(pods, namespace, name, options)


def _ignores_budgets(pod: dict[str, Any]) -> bool:
    phase = (pod.get("status") or {}).get("phase", "Pending")
    return phase in ("Succeeded", "Failed", "Pending") or is_deleting(pod)


def _budget_type(server: ApiServer) -> ResourceType:
    found = server.registry.by_api_version_kind("policy/v1", "PodDisruptionBudget")
    assert found is not None
    return found


def _budgets_of(server: ApiServer, pod: dict[str, Any]) -> list[str]:
    items, _rv = server.store.list("policy", "poddisruptionbudgets", pod["metadata"].get("namespace", ""))
    return [item.obj["metadata"]["name"] for item in items if selects(item.obj, pod)]


def _take_disruption(server: ApiServer, budget_name: str, pod: dict[str, Any]) -> None:
    budgets = _budget_type(server)
    namespace = pod["metadata"].get("namespace", "")
    for _attempt in range(_ATTEMPTS):
        budget = json.loads(json.dumps(server.get(budgets, namespace, budget_name).obj))
        status = budget.setdefault("status", {})
        if not _must_take(budget, pod):
            return
        _check_allowed(budget)
        status["disruptionsAllowed"] = int(status.get("disruptionsAllowed", 0)) - 1
        if status["disruptionsAllowed"] == 0:
            _mark_insufficient(status, server.now())
        status.setdefault("disruptedPods", {})[pod["metadata"]["name"]] = server.now()
        try:
            server.update(budgets, namespace, budget_name, budget, subresource="status")
            return
        except Conflict:
            continue
    raise ApiError(_VIOLATION, code=429, reason="TooManyRequests")


def _must_take(budget: dict[str, Any], pod: dict[str, Any]) -> bool:
    """Whether evicting ``pod`` uses one of the budget's disruptions."""
    if pod_ready(pod):
        return True
    policy = (budget.get("spec") or {}).get("unhealthyPodEvictionPolicy") or "IfHealthyBudget"
    status = budget.get("status") or {}
    healthy, desired = int(status.get("currentHealthy", 0)), int(status.get("desiredHealthy", 0))
    if policy == "AlwaysAllow":
        return False
    return not (healthy >= desired and desired > 0)


def _check_allowed(budget: dict[str, Any]) -> None:
    name, status = budget["metadata"]["name"], budget.get("status") or {}
    if int(status.get("observedGeneration", 0)) < int(budget["metadata"].get("generation", 0)):
        raise _violation(f"The disruption budget {name} is still being processed by the server.")
    allowed = int(status.get("disruptionsAllowed", 0))
    if allowed < 0:
        raise Forbidden(f'poddisruptionbudget.policy "{name}" is forbidden: pdb disruptions allowed is negative')
    if len(status.get("disruptedPods") or {}) > _MAX_DISRUPTED_PODS:
        raise Forbidden(f'poddisruptionbudget.policy "{name}" is forbidden: DisruptedPods map too big - too many '
                        "evictions not confirmed by PDB controller")
    if allowed == 0:
        raise _violation(f"The disruption budget {name} needs {status.get('desiredHealthy', 0)} healthy pods and "
                         f"has {status.get('currentHealthy', 0)} currently")


def _violation(cause: str) -> ApiError:
    return ApiError(_VIOLATION, code=429, reason="TooManyRequests",
                    details={"causes": [{"reason": "DisruptionBudget", "message": cause}]})


def _mark_insufficient(status: dict[str, Any], now: str) -> None:
    conditions = status.setdefault("conditions", [])
    for condition in conditions:
        if condition.get("type") == "DisruptionAllowed":
            if condition.get("status") != "False":
                condition["lastTransitionTime"] = now
            condition.update(status="False", reason="InsufficientPods")
            return
    conditions.append({"type": "DisruptionAllowed", "status": "False", "reason": "InsufficientPods", "message": "",
                       "lastTransitionTime": now, "observedGeneration": status.get("observedGeneration", 0)})
