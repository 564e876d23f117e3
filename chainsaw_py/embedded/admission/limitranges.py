"""LimitRanger (plugin/pkg/admission/limitranger): on pod create, containers get the ``default`` limits and
``defaultRequest`` requests of the namespace's LimitRanges (type Container), then each container (type
Container) and the pod as a whole (type Pod: containers and sidecars summed, init containers as floors) are
checked against ``min``, ``max`` and ``maxLimitRequestRatio``:

    pods "web" is forbidden: maximum cpu usage per Container is 1, but limit is 2
    pods "web" is forbidden: minimum memory usage per Pod is 64Mi, but request is 32Mi

``type: PersistentVolumeClaim`` bounds a claim's storage request on create and on update (resize). Several
violations are listed as ``[a, b]``.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from chainsaw_py.embedded.admission.storeview import StoreView
from chainsaw_py.embedded.admission.types import CREATE, UPDATE, AdmissionAttributes
from chainsaw_py.embedded.apierrors import Forbidden, qualified_resource
from chainsaw_py.embedded.resources import ResourceRegistry
from chainsaw_py.embedded.store import Store
from chainsaw_py.golang.quantity import QuantityError, format_quantity, parse_quantity

_ANNOTATION = "kubernetes.io/limit-ranger"


class LimitRanger:
    name = "LimitRanger"

    def __init__(self, store: Store, registry: ResourceRegistry) -> None:
        self.store = store
        self._present = StoreView(store, "", ("limitranges",), lambda s: s.count("", "limitranges") > 0)

    def active(self) -> bool:
        return self._present.get()

    def _limits(self, attrs: AdmissionAttributes, kind: str, updates: bool = False) -> list[dict[str, Any]]:
        """The namespace's limits of ``kind``; pods are checked on create only, claims also on update."""
        allowed = (CREATE, UPDATE) if updates else (CREATE,)
        if attrs.operation not in allowed or attrs.subresource or attrs.rt.group != "" or attrs.obj is None:
            return []
        items = self.store.list("", "limitranges", attrs.namespace)[0]
        return [limit for item in items for limit in (item.obj.get("spec") or {}).get("limits") or []
                if limit.get("type") == kind]

    def mutate(self, attrs: AdmissionAttributes) -> None:
        if attrs.rt.plural != "pods":
            return
        limits = self._limits(attrs, "Container")
        if not limits or attrs.obj is None:
            return
        spec = attrs.obj.setdefault("spec", {})
        notes: list[str] = []
        for label, key in (("container", "containers"), ("init container", "initContainers")):
            for container in spec.get(key) or []:
                notes += _apply_defaults(container, limits, label)
        if notes:
            annotations = attrs.obj.setdefault("metadata", {}).setdefault("annotations", {})
            annotations[_ANNOTATION] = "LimitRanger plugin set: " + "; ".join(notes)

    def validate(self, attrs: AdmissionAttributes) -> None:
        if attrs.obj is None:
            return
        problems: list[str] = []
        if attrs.rt.plural == "pods":
            for limit in self._limits(attrs, "Container"):
                problems += _container_problems(limit, attrs.obj.get("spec") or {})
            for limit in self._limits(attrs, "Pod"):
                problems += _checked(limit, "Pod", pod_total(attrs.obj, "requests"), pod_total(attrs.obj, "limits"))
        elif attrs.rt.plural == "persistentvolumeclaims":
            requests = _resource_list(((attrs.obj.get("spec") or {}).get("resources") or {}).get("requests"))
            for limit in self._limits(attrs, "PersistentVolumeClaim", updates=True):
                problems += _claim_problems(limit, requests)
        if problems:
            resource = qualified_resource(attrs.rt.group, attrs.rt.plural)
            raise Forbidden(f'{resource} "{attrs.name}" is forbidden: {_aggregate(problems)}',
                            details={"name": attrs.name, "kind": attrs.rt.plural})


def _apply_defaults(container: dict[str, Any], limits: list[dict[str, Any]], label: str) -> list[str]:
    """Fill the container's missing limits (``default``) and requests (``defaultRequest``, else the limit, as
    LimitRange defaulting does); the annotation's notes on what was set."""
    resources = container.setdefault("resources", {})
    set_limits: list[str] = []
    set_requests: list[str] = []
    for limit in limits:
        for name, value in (limit.get("default") or {}).items():
            if name not in resources.setdefault("limits", {}):
                resources["limits"][name] = value
                set_limits.append(str(name))
        for name, value in ((limit.get("default") or {}) | (limit.get("defaultRequest") or {})).items():
            if name not in resources.setdefault("requests", {}):
                resources["requests"][name] = value
                set_requests.append(str(name))
    for name, value in (resources.get("limits") or {}).items():
        resources["requests"].setdefault(name, value)       # pod defaulting: a limit alone is also the request
    for section in ("limits", "requests"):
        if not resources.get(section):
            resources.pop(section, None)
    name = container.get("name", "")
    notes = [f"{', '.join(sorted(set_requests))} request for {label} {name}"] if set_requests else []
    return notes + ([f"{', '.join(sorted(set_limits))} limit for {label} {name}"] if set_limits else [])


_Amount = tuple[Fraction, str]           # a quantity's value and its Go format, as Quantity.String() needs them


def _resource_list(values: Any) -> dict[str, _Amount]:
    listed: dict[str, _Amount] = {}
    for name, text in (values or {}).items():
        try:
            listed[str(name)] = parse_quantity(str(text))
        except QuantityError:
            continue
    return listed


def _text(amount: _Amount) -> str:
    value, quantity_format = amount
    return format_quantity(Decimal(value.numerator) / Decimal(value.denominator), quantity_format)


def _add(total: dict[str, _Amount], more: dict[str, _Amount]) -> dict[str, _Amount]:
    result = dict(total)
    for name, (value, quantity_format) in more.items():
        current = result.get(name)
        result[name] = (current[0] + value, current[1]) if current else (value, quantity_format)
    return result


def _maximum(current: dict[str, _Amount], other: dict[str, _Amount]) -> dict[str, _Amount]:
    result = dict(current)
    for name, amount in other.items():
        if name not in result or amount[0] > result[name][0]:
            result[name] = amount
    return result


def pod_total(pod: dict[str, Any], section: str) -> dict[str, _Amount]:
    """The pod's requests or limits as the LimitRanger sums them: containers and restartable init containers
    (sidecars) add up; each other init container, plus the sidecars started before it, is a floor."""
    spec = pod.get("spec") or {}

    def listed(container: dict[str, Any]) -> dict[str, _Amount]:
        return _resource_list((container.get("resources") or {}).get(section))

    total: dict[str, _Amount] = {}
    for container in spec.get("containers") or []:
        total = _add(total, listed(container))
    sidecars: dict[str, _Amount] = {}
    init_floor: dict[str, _Amount] = {}
    for container in spec.get("initContainers") or []:
        if container.get("restartPolicy") == "Always":
            total = _add(total, listed(container))
            sidecars = _add(sidecars, listed(container))
            init_floor = _maximum(init_floor, sidecars)
        else:
            init_floor = _maximum(init_floor, _add(listed(container), sidecars))
    return _maximum(total, init_floor)


def _container_problems(limit: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        resources = container.get("resources") or {}
        problems += _checked(limit, "Container", _resource_list(resources.get("requests")),
                             _resource_list(resources.get("limits")))
    return problems


def _checked(limit: dict[str, Any], kind: str, requests: dict[str, _Amount],
             limits: dict[str, _Amount]) -> list[str]:
    """minConstraint, maxConstraint and limitRequestRatioConstraint over one set of requests and limits."""
    problems: list[str] = []
    for name, bound in _resource_list(limit.get("min")).items():
        problem = _minimum(name, kind, bound, requests.get(name), limits.get(name))
        if problem:
            problems.append(problem)
    for name, bound in _resource_list(limit.get("max")).items():
        problem = _maximum_problem(name, kind, bound, requests.get(name), limits.get(name))
        if problem:
            problems.append(problem)
    for name, ratio in _resource_list(limit.get("maxLimitRequestRatio")).items():
        problem = _ratio_problem(name, kind, ratio, requests.get(name), limits.get(name))
        if problem:
            problems.append(problem)
    return problems


def _minimum(name: str, kind: str, bound: _Amount, request: _Amount | None, upper: _Amount | None) -> str:
    prefix = f"minimum {name} usage per {kind} is {_text(bound)}"
    if request is None:
        return f"{prefix}.  No request is specified"
    if request[0] < bound[0]:
        return f"{prefix}, but request is {_text(request)}"
    if upper is not None and upper[0] < bound[0]:
        return f"{prefix}, but limit is {_text(upper)}"
    return ""


def _maximum_problem(name: str, kind: str, bound: _Amount, request: _Amount | None, upper: _Amount | None) -> str:
    prefix = f"maximum {name} usage per {kind} is {_text(bound)}"
    if upper is None:
        return f"{prefix}.  No limit is specified"
    if upper[0] > bound[0]:
        return f"{prefix}, but limit is {_text(upper)}"
    if request is not None and request[0] > bound[0]:
        return f"{prefix}, but request is {_text(request)}"
    return ""


def _ratio_problem(name: str, kind: str, ratio: _Amount, request: _Amount | None, upper: _Amount | None) -> str:
    prefix = f"{name} max limit to request ratio per {kind} is {_text(ratio)}"
    if request is None or request[0] == 0:
        return f"{prefix}, but no request is specified or request is 0"
    if upper is None or upper[0] == 0:
        return f"{prefix}, but no limit is specified or limit is 0"
    actual = upper[0] / request[0]
    return f"{prefix}, but provided ratio is {float(actual):.6f}" if actual > ratio[0] else ""


def _claim_problems(limit: dict[str, Any], requests: dict[str, _Amount]) -> list[str]:
    """Claims: ``min`` as for containers (a claim's limits are not user input), ``max`` against the request."""
    problems: list[str] = []
    for name, bound in _resource_list(limit.get("min")).items():
        problem = _minimum(name, "PersistentVolumeClaim", bound, requests.get(name), None)
        if problem:
            problems.append(problem)
    for name, bound in _resource_list(limit.get("max")).items():
        request = requests.get(name)
        prefix = f"maximum {name} usage per PersistentVolumeClaim is {_text(bound)}"
        if request is None:
            problems.append(f"{prefix}.  No request is specified")
        elif request[0] > bound[0]:
            problems.append(f"{prefix}, but request is {_text(request)}")
    return problems


def _aggregate(problems: list[str]) -> str:
    """``utilerrors.NewAggregate(...).Error()``: one message alone, several deduplicated in brackets."""
    unique = list(dict.fromkeys(problems))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"
