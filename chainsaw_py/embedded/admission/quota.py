"""ResourceQuota: usage as the quota evaluators count it, and the admission check (plugin/pkg/admission/
resourcequota) that refuses a create which would exceed a quota of its namespace:

    pods "web" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2
    pods "web" is forbidden: failed quota: compute: must specify limits.cpu for: web; limits.memory for: web

Tracked: ``pods``, ``services``, ``services.nodeports``, ``services.loadbalancers``, ``configmaps``,
``secrets``, ``persistentvolumeclaims``, ``replicationcontrollers``, ``resourcequotas``, ``requests.cpu`` /
``cpu``, ``requests.memory`` / ``memory``, ``limits.cpu``, ``limits.memory``, ``requests.storage``,
``requests.ephemeral-storage``, ``limits.ephemeral-storage`` and ``count/<resource>[.<group>]``.
Usage is computed from the store at each check, so it is never stale; ``status.used`` is written by
the resource-quota controller (``controllers/quotas.py``).

``scopes`` and ``scopeSelector`` narrow a quota to the pods they select (``Terminating``, ``NotTerminating``,
``BestEffort``, ``NotBestEffort``, ``PriorityClass`` with In/NotIn/Exists/DoesNotExist,
``CrossNamespacePodAffinity``); a scoped quota matches no other kind. Creates are checked; updates of services
(a type change to NodePort or LoadBalancer) and claims (a larger storage request) are charged the increase.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from chainsaw_py.embedded.admission.storeview import StoreView
from chainsaw_py.embedded.admission.types import CREATE, UPDATE, AdmissionAttributes
from chainsaw_py.embedded.apierrors import Forbidden, qualified_resource
from chainsaw_py.embedded.resources import ResourceRegistry
from chainsaw_py.embedded.store import Store
from chainsaw_py.golang.quantity import QuantityError, canonical_quantity, parse_quantity

_OBJECT_COUNTS = {"pods": ("", "pods"), "services": ("", "services"), "configmaps": ("", "configmaps"),
                  "secrets": ("", "secrets"), "persistentvolumeclaims": ("", "persistentvolumeclaims"),
                  "replicationcontrollers": ("", "replicationcontrollers"),
                  "resourcequotas": ("", "resourcequotas")}
_COMPUTE = {"requests.cpu": ("requests", "cpu"), "cpu": ("requests", "cpu"),
            "requests.memory": ("requests", "memory"), "memory": ("requests", "memory"),
            "limits.cpu": ("limits", "cpu"), "limits.memory": ("limits", "memory"),
            "requests.ephemeral-storage": ("requests", "ephemeral-storage"),
            "ephemeral-storage": ("requests", "ephemeral-storage"),
            "limits.ephemeral-storage": ("limits", "ephemeral-storage")}
_MUST_SPECIFY = ("requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "cpu", "memory")


def quantity(value: Any) -> Fraction:
    try:
        return parse_quantity(str(value))[0]
    except QuantityError:
        return Fraction(0)


def format_quantity(name: str, value: Fraction) -> str:
    """Memory and storage in binary units when they divide evenly (``1Gi``), CPU in millicores (``500m``)."""
    if value.denominator == 1 and (name.endswith(("memory", "storage"))) and value and value % 1024 == 0:
        return canonical_quantity(f"{int(value) // 1024}Ki")
    if value.denominator == 1:
        return str(int(value))
    millis = value * 1000
    if millis.denominator == 1:
        return f"{int(millis)}m"
    return canonical_quantity(f"{float(value)}")


def _pod_terminal(pod: dict[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def _container_sum(pod: dict[str, Any], section: str, resource: str) -> Fraction:
    """Pod request/limit as the scheduler counts it: max(sum of containers, largest init container)."""
    spec = pod.get("spec") or {}

    def value(container: dict[str, Any]) -> Fraction:
        return quantity(((container.get("resources") or {}).get(section) or {}).get(resource, 0))

    total = sum((value(container) for container in spec.get("containers") or []), Fraction(0))
    init = max((value(container) for container in spec.get("initContainers") or []), default=Fraction(0))
    overhead = quantity((spec.get("overhead") or {}).get(resource, 0))
    return max(total, init) + overhead


def object_usage(group: str, plural: str, obj: dict[str, Any], names: Iterable[str]) -> dict[str, Fraction]:
    """What one object counts against each of ``names``."""
    usage: dict[str, Fraction] = {}
    for name in names:
        amount = _usage_of(group, plural, obj, name)
        if amount:
            usage[name] = amount
    return usage


def _usage_of(group: str, plural: str, obj: dict[str, Any], name: str) -> Fraction:
    if name.startswith("count/"):
        resource, _, resource_group = name[len("count/"):].partition(".")
        return Fraction(1) if (resource, resource_group) == (plural, group) else Fraction(0)
    if _OBJECT_COUNTS.get(name) == (group, plural):
        return Fraction(0) if plural == "pods" and _pod_terminal(obj) else Fraction(1)
    if group == "" and plural == "pods" and name in _COMPUTE and not _pod_terminal(obj):
        section, resource = _COMPUTE[name]
        return _container_sum(obj, section, resource)
    if group == "" and plural == "services":
        service_type = (obj.get("spec") or {}).get("type", "ClusterIP")
        if name == "services.loadbalancers":
            return Fraction(1 if service_type == "LoadBalancer" else 0)
        if name == "services.nodeports" and service_type in ("NodePort", "LoadBalancer"):
            return Fraction(len((obj.get("spec") or {}).get("ports") or []))
    if group == "" and plural == "persistentvolumeclaims" and name == "requests.storage":
        return quantity((((obj.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage", 0))
    return Fraction(0)


def _tracked_kinds(names: Iterable[str]) -> set[tuple[str, str]]:
    kinds: set[tuple[str, str]] = set()
    for name in names:
        if name.startswith("count/"):
            resource, _, group = name[len("count/"):].partition(".")
            kinds.add((group, resource))
        elif name in _OBJECT_COUNTS:
            kinds.add(_OBJECT_COUNTS[name])
        elif name in _COMPUTE:
            kinds.add(("", "pods"))
        elif name.startswith("services."):
            kinds.add(("", "services"))
        elif name == "requests.storage":
            kinds.add(("", "persistentvolumeclaims"))
    return kinds


def namespace_usage(store: Store, namespace: str, names: list[str],
                    quota: dict[str, Any] | None = None) -> dict[str, Fraction]:
    """What the namespace's objects count against ``names`` (only those in ``quota``'s scopes, if given)."""
    totals = {name: Fraction(0) for name in names}
    for group, plural in _tracked_kinds(names):
        for item in store.list(group, plural, namespace)[0]:
            if quota is not None and not matches_scopes(quota, group, plural, item.obj):
                continue
            for name, amount in object_usage(group, plural, item.obj, names).items():
                totals[name] += amount
    return totals


# -- scopes ------------------------------------------------------------------------------------------------


def scope_selectors(quota: dict[str, Any]) -> list[dict[str, Any]]:
    """``spec.scopes`` (each an Exists requirement) and ``spec.scopeSelector.matchExpressions``."""
    spec = quota.get("spec") or {}
    selectors = [{"scopeName": scope, "operator": "Exists"} for scope in spec.get("scopes") or []]
    return selectors + list((spec.get("scopeSelector") or {}).get("matchExpressions") or [])


def matches_scopes(quota: dict[str, Any], group: str, plural: str, obj: dict[str, Any]) -> bool:
    selectors = scope_selectors(quota)
    if not selectors:
        return True
    if (group, plural) != ("", "pods"):
        return False
    return all(_pod_in_scope(obj, selector) for selector in selectors)


def _pod_in_scope(pod: dict[str, Any], selector: dict[str, Any]) -> bool:
    spec = pod.get("spec") or {}
    scope = selector.get("scopeName")
    if scope in ("Terminating", "NotTerminating"):
        deadline = spec.get("activeDeadlineSeconds")
        terminating = isinstance(deadline, int) and deadline >= 0
        return terminating == (scope == "Terminating")
    if scope in ("BestEffort", "NotBestEffort"):
        return _best_effort(spec) == (scope == "BestEffort")
    if scope == "PriorityClass":
        return _requirement_holds(selector, str(spec.get("priorityClassName") or ""))
    if scope == "CrossNamespacePodAffinity":
        return _cross_namespace_affinity(spec)
    return False


def _best_effort(spec: dict[str, Any]) -> bool:
    """QoS BestEffort: no container asks for or limits cpu or memory."""
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        resources = container.get("resources") or {}
        for section in ("requests", "limits"):
            if any(name in ("cpu", "memory") for name in resources.get(section) or {}):
                return False
    return True


def _requirement_holds(selector: dict[str, Any], value: str) -> bool:
    operator, values = selector.get("operator"), selector.get("values") or []
    if operator == "In":
        return value in values
    if operator == "NotIn":
        return value not in values
    if operator == "Exists":
        return bool(value)
    if operator == "DoesNotExist":
        return not value
    return False


def _cross_namespace_affinity(spec: dict[str, Any]) -> bool:
    affinity = spec.get("affinity") or {}
    for kind in ("podAffinity", "podAntiAffinity"):
        section = affinity.get(kind) or {}
        terms = list(section.get("requiredDuringSchedulingIgnoredDuringExecution") or [])
        terms += [weighted.get("podAffinityTerm") or {}
                  for weighted in section.get("preferredDuringSchedulingIgnoredDuringExecution") or []]
        if any(term.get("namespaces") or term.get("namespaceSelector") is not None for term in terms):
            return True
    return False


def hard_limits(quota: dict[str, Any]) -> dict[str, Fraction]:
    return {str(name): quantity(value) for name, value in ((quota.get("spec") or {}).get("hard") or {}).items()}


def _pretty(values: dict[str, Fraction], names: list[str]) -> str:
    return ",".join(f"{name}={format_quantity(name, values.get(name, Fraction(0)))}" for name in sorted(names))


class ResourceQuotaAdmission:
    name = "ResourceQuota"

    def __init__(self, store: Store, registry: ResourceRegistry) -> None:
        self.store = store
        self._present = StoreView(store, "", ("resourcequotas",), lambda s: s.count("", "resourcequotas") > 0)

    def active(self) -> bool:
        return self._present.get()

    def mutate(self, attrs: AdmissionAttributes) -> None:
        return None

    def validate(self, attrs: AdmissionAttributes) -> None:
        if attrs.subresource or not attrs.namespace or attrs.obj is None:
            return
        rt = attrs.rt
        if attrs.operation != CREATE and not (attrs.operation == UPDATE and (rt.group, rt.plural) in _CHARGED_UPDATES):
            return
        for item in self.store.list("", "resourcequotas", attrs.namespace)[0]:
            if matches_scopes(item.obj, rt.group, rt.plural, attrs.obj):
                self._check(item.obj, rt.group, rt.plural, attrs)

    def _check(self, quota: dict[str, Any], group: str, plural: str, attrs: AdmissionAttributes) -> None:
        assert attrs.obj is not None
        hard = hard_limits(quota)
        name = quota["metadata"]["name"]
        if group == "" and plural == "pods":
            missing = _missing_constraints(attrs.obj, [key for key in hard if key in _MUST_SPECIFY])
            if missing:
                raise _forbidden(attrs, f"failed quota: {name}: must specify {missing}")
        requested = _requested(group, plural, attrs, hard)
        if not requested:
            return
        used = namespace_usage(self.store, attrs.namespace, list(requested), quota)
        exceeded = [key for key, amount in requested.items() if used[key] + amount > hard[key]]
        if exceeded:
            raise _forbidden(attrs, f"exceeded quota: {name}, requested: {_pretty(requested, exceeded)}, "
                                    f"used: {_pretty(used, exceeded)}, limited: {_pretty(hard, exceeded)}")


_CHARGED_UPDATES = frozenset({("", "services"), ("", "persistentvolumeclaims")})


def _requested(group: str, plural: str, attrs: AdmissionAttributes, hard: dict[str, Fraction]) -> dict[str, Fraction]:
    """What the request adds: the new object's usage, less the old one's on an update (never negative)."""
    assert attrs.obj is not None
    requested = object_usage(group, plural, attrs.obj, hard)
    if attrs.operation == UPDATE and attrs.old is not None:
        previous = object_usage(group, plural, attrs.old, hard)
        requested = {key: amount - previous.get(key, Fraction(0)) for key, amount in requested.items()}
    return {key: amount for key, amount in requested.items() if amount > 0}


def _missing_constraints(pod: dict[str, Any], required: list[str]) -> str:
    missing: dict[str, list[str]] = {}
    spec = pod.get("spec") or {}
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        resources = container.get("resources") or {}
        for name in required:
            section, resource = _COMPUTE[name]
            if resource not in (resources.get(section) or {}):
                missing.setdefault(name, []).append(str(container.get("name", "")))
    return "; ".join(f"{name} for: {','.join(sorted(missing[name]))}" for name in sorted(missing))


def _forbidden(attrs: AdmissionAttributes, reason: str) -> Forbidden:
    resource = qualified_resource(attrs.rt.group, attrs.rt.plural)
    name = attrs.name
    message = f'{resource} "{name}" is forbidden: {reason}' if name else f"{resource} is forbidden: {reason}"
    details: dict[str, Any] = {"name": name} if name else {}
    if attrs.rt.group:
        details["group"] = attrs.rt.group
    details["kind"] = attrs.rt.plural
    return Forbidden(message, details=details)
