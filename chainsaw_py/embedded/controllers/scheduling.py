"""The default scheduler's filters for the single node (kube-scheduler's NodeUnschedulable, TaintToleration,
NodeAffinity and NodeResourcesFit plugins, in that order; the first that rejects the node gives the reason).

The reasons and the scheduler's ``FailedScheduling`` message follow ``framework.FitError``:

    0/1 nodes are available: 1 node(s) had untolerated taint {team: a}. preemption: 0/1 nodes are
    available: 1 Preemption is not helpful for scheduling.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from chainsaw_py.embedded.admission.limitranges import pod_total
from chainsaw_py.golang.quantity import QuantityError, parse_quantity

NOT_HELPFUL = "Preemption is not helpful for scheduling."
NO_VICTIMS = "No preemption victims found for incoming pod."
_FILTERED_EFFECTS = ("NoSchedule", "NoExecute")
_FITTED_RESOURCES = ("cpu", "memory", "ephemeral-storage")


def tolerates(toleration: dict[str, Any], taint: dict[str, Any]) -> bool:
    """``Toleration.ToleratesTaint``: an empty effect or key (with Exists) matches every taint."""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    return operator == "Equal" and (toleration.get("value") or "") == (taint.get("value") or "")


def untolerated_taint(pod: dict[str, Any], node: dict[str, Any]) -> dict[str, Any] | None:
    """The first NoSchedule/NoExecute taint of the node that the pod does not tolerate."""
    tolerations = (pod.get("spec") or {}).get("tolerations") or []
    for taint in (node.get("spec") or {}).get("taints") or []:
        if taint.get("effect") not in _FILTERED_EFFECTS:
            continue
        if not any(tolerates(toleration, taint) for toleration in tolerations):
            return taint
    return None


def _expression_holds(expression: dict[str, Any], values_of: dict[str, str]) -> bool:
    key, operator = expression.get("key") or "", expression.get("operator") or ""
    values = [str(value) for value in expression.get("values") or []]
    present = key in values_of
    if operator == "In":
        return present and values_of[key] in values
    if operator == "NotIn":
        return not present or values_of[key] not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    if operator in ("Gt", "Lt") and present and len(values) == 1:
        try:
            actual, bound = int(values_of[key]), int(values[0])
        except ValueError:
            return False
        return actual > bound if operator == "Gt" else actual < bound
    return False


def _term_matches(term: dict[str, Any], node: dict[str, Any]) -> bool:
    """A NodeSelectorTerm: its expressions and fields all hold; a term with neither matches nothing."""
    expressions, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not expressions and not fields:
        return False
    labels = (node.get("metadata") or {}).get("labels") or {}
    node_fields = {"metadata.name": (node.get("metadata") or {}).get("name", "")}
    return all(_expression_holds(expression, labels) for expression in expressions) and \
        all(_expression_holds(field, node_fields) for field in fields)


def matches_node_affinity(pod: dict[str, Any], node: dict[str, Any]) -> bool:
    """``nodeSelector`` and ``requiredDuringSchedulingIgnoredDuringExecution`` (terms ORed)."""
    spec = pod.get("spec") or {}
    labels = (node.get("metadata") or {}).get("labels") or {}
    if any(labels.get(key) != value for key, value in (spec.get("nodeSelector") or {}).items()):
        return False
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution"))
    if required is None:
        return True
    return any(_term_matches(term, node) for term in required.get("nodeSelectorTerms") or [])


def pod_requests(pod: dict[str, Any]) -> dict[str, Fraction]:
    """What the pod asks of a node: its effective requests (sidecars and init floors) plus its overhead."""
    requests = {name: amount[0] for name, amount in pod_total(pod, "requests").items()}
    for name, text in ((pod.get("spec") or {}).get("overhead") or {}).items():
        try:
            requests[name] = requests.get(name, Fraction(0)) + parse_quantity(str(text))[0]
        except QuantityError:
            continue
    return requests


def insufficient_resources(pod: dict[str, Any], node: dict[str, Any],
                           other_pods: Iterable[dict[str, Any]]) -> list[str]:
    """The resources (sorted) whose request does not fit beside the other pods bound to the node."""
    wanted = {name: value for name, value in pod_requests(pod).items()
              if name in _FITTED_RESOURCES and value > 0}
    if not wanted:
        return []
    allocatable: dict[str, Fraction] = {}
    for name, text in ((node.get("status") or {}).get("allocatable") or {}).items():
        try:
            allocatable[name] = parse_quantity(str(text))[0]
        except QuantityError:
            continue
    used = {name: Fraction(0) for name in wanted}
    for other in other_pods:
        for name, value in pod_requests(other).items():
            if name in used:
                used[name] += value
    return sorted(name for name, value in wanted.items()
                  if value > allocatable.get(name, Fraction(0)) - used[name])


def scheduling_failure(pod: dict[str, Any], node: dict[str, Any],
                       other_pods: Iterable[dict[str, Any]]) -> tuple[list[str], str] | None:
    """None when the node fits the pod, else (the reasons, the preemption verdict)."""
    if (node.get("spec") or {}).get("unschedulable") and not any(
            tolerates(toleration, {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"})
            for toleration in (pod.get("spec") or {}).get("tolerations") or []):
        return ["node(s) were unschedulable"], NOT_HELPFUL
    taint = untolerated_taint(pod, node)
    if taint is not None:
        return [f"node(s) had untolerated taint {{{taint.get('key', '')}: {taint.get('value', '')}}}"], NOT_HELPFUL
    if not matches_node_affinity(pod, node):
        return ["node(s) didn't match Pod's node affinity/selector"], NOT_HELPFUL
    missing = insufficient_resources(pod, node, other_pods)
    if missing:
        return [f"Insufficient {name}" for name in missing], NO_VICTIMS
    return None


def failure_message(reasons: list[str], preemption: str) -> str:
    """``FitError.Error()`` for the one node, with the preemption post-filter's message."""
    listed = ", ".join(f"1 {reason}" for reason in sorted(reasons))
    return f"0/1 nodes are available: {listed}. preemption: 0/1 nodes are available: 1 {preemption}"
