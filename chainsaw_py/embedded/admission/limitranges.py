"""LimitRanger (plugin/pkg/admission/limitranger): on pod create, containers get the ``default`` limits and
``defaultRequest`` requests of the namespace's LimitRanges (type Container), then pods and containers are
checked against ``min``, ``max`` and ``maxLimitRequestRatio``:

    pods "web" is forbidden: maximum cpu usage per Container is 1, but limit is 2
    pods "web" is forbidden: minimum memory usage per Container is 64Mi, but request is 32Mi

Also ``type: PersistentVolumeClaim`` storage bounds. Several violations are joined with ``, ``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from chainsaw_py.embedded.admission.quota import quantity
from chainsaw_py.embedded.admission.storeview import StoreView
from chainsaw_py.embedded.admission.types import CREATE, AdmissionAttributes
from chainsaw_py.embedded.apierrors import Forbidden, qualified_resource
from chainsaw_py.embedded.resources import ResourceRegistry
from chainsaw_py.embedded.store import Store


class LimitRanger:
    name = "LimitRanger"

    def __init__(self, store: Store, registry: ResourceRegistry) -> None:
        self.store = store
        self._present = StoreView(store, "", ("limitranges",), lambda s: s.count("", "limitranges") > 0)

    def active(self) -> bool:
        return self._present.get()

    def _limits(self, attrs: AdmissionAttributes, kind: str) -> list[dict[str, Any]]:
        if attrs.operation != CREATE or attrs.subresource or attrs.rt.group != "" or attrs.obj is None:
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
        for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
            resources = container.setdefault("resources", {})
            for limit in limits:
                for name, value in (limit.get("default") or {}).items():
                    resources.setdefault("limits", {}).setdefault(name, value)
                for name, value in (limit.get("defaultRequest") or {}).items():
                    resources.setdefault("requests", {}).setdefault(name, value)
            requests = resources.get("requests") or {}
            for name, value in (resources.get("limits") or {}).items():
                if name not in requests:
                    resources.setdefault("requests", {})[name] = value

    def validate(self, attrs: AdmissionAttributes) -> None:
        if attrs.obj is None:
            return
        problems: list[str] = []
        if attrs.rt.plural == "pods":
            spec = attrs.obj.get("spec") or {}
            for limit in self._limits(attrs, "Container"):
                for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
                    problems += _bounds(limit, container.get("resources") or {}, "Container")
        elif attrs.rt.plural == "persistentvolumeclaims":
            resources = (attrs.obj.get("spec") or {}).get("resources") or {}
            for limit in self._limits(attrs, "PersistentVolumeClaim"):
                problems += _bounds(limit, resources, "PersistentVolumeClaim")
        if problems:
            resource = qualified_resource(attrs.rt.group, attrs.rt.plural)
            raise Forbidden(f'{resource} "{attrs.name}" is forbidden: {", ".join(problems)}',
                            details={"name": attrs.name, "kind": attrs.rt.plural})


def _bounds(limit: dict[str, Any], resources: dict[str, Any], kind: str) -> list[str]:
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    problems: list[str] = []
    for name, bound in (limit.get("min") or {}).items():
        request = requests.get(name)
        if request is None:
            problems.append(f"minimum {name} usage per {kind} is {bound}.  No request is specified")
        elif quantity(request) < quantity(bound):
            problems.append(f"minimum {name} usage per {kind} is {bound}, but request is {request}")
    for name, bound in (limit.get("max") or {}).items():
        value = limits.get(name) if kind == "Container" else requests.get(name)
        label = "limit" if kind == "Container" else "request"
        if value is None:
            problems.append(f"maximum {name} usage per {kind} is {bound}.  No {label} is specified")
        elif quantity(value) > quantity(bound):
            problems.append(f"maximum {name} usage per {kind} is {bound}, but {label} is {value}")
    for name, ratio in (limit.get("maxLimitRequestRatio") or {}).items():
        request, upper = requests.get(name), limits.get(name)
        if request is None or upper is None or quantity(request) == 0:
            continue
        actual = quantity(upper) / quantity(request)
        if actual > quantity(ratio):
            problems.append(f"{name} max limit to request ratio per {kind} is {ratio}, but provided ratio is "
                            f"{_ratio(actual)}")
    return problems


def _ratio(value: Fraction) -> str:
    return f"{float(value):.6f}"
