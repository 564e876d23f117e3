"""PodDisruptionBudget status, as kube-controller-manager's disruption controller computes it.

``expectedPods`` and ``desiredHealthy`` follow the budget: an integer ``minAvailable`` wants that many of the
selected pods; a percentage ``minAvailable`` or any ``maxUnavailable`` is taken of the replicas of the pods'
controllers (a Deployment through its ReplicaSet, ReplicaSets, StatefulSets, ReplicationControllers).
``currentHealthy`` counts the selected pods that are Ready and not being deleted nor recently evicted
(``disruptedPods``, kept for two minutes by the eviction subresource). ``disruptionsAllowed`` is
``currentHealthy - desiredHealthy`` (never negative), with the ``DisruptionAllowed`` condition.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chainsaw_py.embedded.controllers.base import TypedController
from chainsaw_py.embedded.controllers.context import ReconcileContext, Runtime
from chainsaw_py.embedded.controllers.util import (
    controller_ref,
    is_deleting,
    label_selector,
    pod_ready,
    resolve_int_or_percent,
)
from chainsaw_py.embedded.decoding import parse_time
from chainsaw_py.embedded.store import StoreEvent

DISRUPTED_POD_TIMEOUT = 120.0   # seconds an evicted pod stays in disruptedPods unless it is deleted sooner
_SCALABLE = {"ReplicaSet": ("apps/v1", "ReplicaSet"), "StatefulSet": ("apps/v1", "StatefulSet"),
             "ReplicationController": ("v1", "ReplicationController"), "Deployment": ("apps/v1", "Deployment")}


def disruption_controller(runtime: Runtime) -> TypedController:
    def budgets_of(event: StoreEvent) -> list[tuple[str, str]]:
        pods = [event.obj] + ([event.old.obj] if event.old is not None else [])
        items, _rv = runtime.server.store.list("policy", "poddisruptionbudgets", event.namespace)
        return [(event.namespace, item.obj["metadata"]["name"]) for item in items
                if any(selects(item.obj, pod) for pod in pods)]

    return TypedController("disruption-controller", "policy", "poddisruptionbudgets", "PodDisruptionBudget",
                           reconcile_budget, watches=(("", "pods", budgets_of),))


def selects(budget: dict[str, Any], pod: dict[str, Any]) -> bool:
    """policy/v1: a null selector selects no pod, an empty one every pod of the namespace."""
    selector = label_selector((budget.get("spec") or {}).get("selector"))
    return selector is not None and selector.matches(pod["metadata"].get("labels") or {})


def reconcile_budget(budget: dict[str, Any], ctx: ReconcileContext) -> None:
    if is_deleting(budget):
        return
    namespace = budget["metadata"].get("namespace", "")
    pods = [pod for pod in ctx.list("v1", "Pod", namespace) if selects(budget, pod)]
    if not pods:
        ctx.event(budget, "NoPods", "No matching pods found", component="controllermanager")
    expected, desired = _expected_and_desired(budget, pods, ctx)
    status = dict(budget.get("status") or {})
    disrupted = _current_disruptions(status.get("disruptedPods") or {}, pods, ctx.now())
    healthy = sum(1 for pod in pods if pod_ready(pod) and not is_deleting(pod)
                  and pod["metadata"]["name"] not in disrupted)
    generation = budget["metadata"].get("generation", 0)
    status.update(observedGeneration=generation, expectedPods=expected, desiredHealthy=desired,
                  currentHealthy=healthy, disruptionsAllowed=max(0, healthy - desired))
    if disrupted:
        status["disruptedPods"] = disrupted
    else:
        status.pop("disruptedPods", None)
    updated = {**budget, "status": status}
    allowed = status["disruptionsAllowed"] > 0
    changed = ctx.set_condition(updated, "DisruptionAllowed", "True" if allowed else "False",
                                "SufficientPods" if allowed else "InsufficientPods", "", observed_generation=True)
    if changed or updated["status"] != (budget.get("status") or {}):
        ctx.update_status(updated)
    if disrupted:
        ctx.requeue_after(DISRUPTED_POD_TIMEOUT)


def _expected_and_desired(budget: dict[str, Any], pods: list[dict[str, Any]],
                          ctx: ReconcileContext) -> tuple[int, int]:
    spec = budget.get("spec") or {}
    max_unavailable, min_available = spec.get("maxUnavailable"), spec.get("minAvailable")
    if max_unavailable is not None:
        expected = _controllers_scale(pods, ctx)
        return expected, max(0, expected - resolve_int_or_percent(max_unavailable, expected, True))
    if isinstance(min_available, int):
        return len(pods), min_available
    if isinstance(min_available, str):
        expected = _controllers_scale(pods, ctx)
        return expected, resolve_int_or_percent(min_available, expected, True)
    return 0, 0


def _controllers_scale(pods: list[dict[str, Any]], ctx: ReconcileContext) -> int:
    """The replicas the pods' controllers want (each controller once); a pod without one counts as one."""
    scales: dict[str, int] = {}
    loose = 0
    for pod in pods:
        owner = _scaling_owner(pod, ctx)
        if owner is None:
            loose += 1
        else:
            scales[owner["metadata"]["uid"]] = int((owner.get("spec") or {}).get("replicas", 1) or 0)
    return loose + sum(scales.values())


def _scaling_owner(obj: dict[str, Any], ctx: ReconcileContext) -> dict[str, Any] | None:
    ref = controller_ref(obj)
    if ref is None or ref.get("kind") not in _SCALABLE:
        return None
    owner = ctx.get(*_SCALABLE[ref["kind"]], ref.get("name", ""), obj["metadata"].get("namespace", ""))
    if owner is None or owner["metadata"].get("uid") != ref.get("uid"):
        return None
    if owner.get("kind") == "ReplicaSet":
        return _scaling_owner(owner, ctx) or owner
    return owner


def _current_disruptions(disrupted: dict[str, str], pods: list[dict[str, Any]], now: str) -> dict[str, str]:
    """Evictions still in flight: the pod exists, is not yet being deleted, and was evicted lately."""
    alive = {pod["metadata"]["name"] for pod in pods if not is_deleting(pod)}
    moment = parse_time(now) or dt.datetime.now(dt.UTC)
    kept = {}
    for name, when in disrupted.items():
        evicted = parse_time(str(when))
        if name in alive and evicted is not None and (moment - evicted).total_seconds() < DISRUPTED_POD_TIMEOUT:
            kept[name] = when
    return kept
