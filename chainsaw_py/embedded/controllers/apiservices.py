"""APIServices: the local ones kube-apiserver registers for what it serves (the autoregister controller's
``onstart`` entries for built-in group versions, ``true`` for the group versions CustomResourceDefinitions serve),
and their availability, as kube-aggregator's availability controller reports it.

A local APIService (no ``spec.service``) is served by the apiserver itself and is always available. One backed
by a service is checked like the aggregator does: the service must exist and have endpoints; the embedded
cluster does not proxy to aggregated servers, so a service with endpoints fails the discovery check.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

from chainsaw_py.embedded.apierrors import AlreadyExists
from chainsaw_py.embedded.controllers.base import TypedController
from chainsaw_py.embedded.controllers.context import ReconcileContext, Runtime
from chainsaw_py.embedded.store import StoreEvent

AUTOMANAGED = "kube-aggregator.kubernetes.io/automanaged"
# pkg/controlplane/apiserver's apiVersionPriorities (groupPriorityMinimum, versionPriority); other local groups
# (metrics.k8s.io here) as metrics-server registers itself, CRD groups as the crdregistration controller does.
_PRIORITIES = {
    ("", "v1"): (18000, 1), ("apiregistration.k8s.io", "v1"): (18000, 15), ("apps", "v1"): (17800, 15),
    ("events.k8s.io", "v1"): (17750, 15), ("authentication.k8s.io", "v1"): (17700, 15),
    ("authorization.k8s.io", "v1"): (17600, 15), ("autoscaling", "v1"): (17500, 15),
    ("autoscaling", "v2"): (17500, 30), ("batch", "v1"): (17400, 15), ("certificates.k8s.io", "v1"): (17300, 15),
    ("networking.k8s.io", "v1"): (17200, 15), ("policy", "v1"): (17100, 15),
    ("rbac.authorization.k8s.io", "v1"): (17000, 15), ("storage.k8s.io", "v1"): (16800, 15),
    ("apiextensions.k8s.io", "v1"): (16700, 15), ("admissionregistration.k8s.io", "v1"): (16700, 15),
    ("scheduling.k8s.io", "v1"): (16600, 15), ("coordination.k8s.io", "v1"): (16500, 15),
    ("node.k8s.io", "v1"): (16300, 15), ("discovery.k8s.io", "v1"): (16200, 15),
    ("flowcontrol.apiserver.k8s.io", "v1"): (16100, 21), ("resource.k8s.io", "v1beta1"): (15900, 9),
}
_CRD_PRIORITY = (1000, 100)


def apiservice_object(group: str, version: str, managed: str) -> dict[str, Any]:
    """A local APIService as the autoregister controller writes it (``managed``: ``onstart`` or ``true``)."""
    minimum, priority = _PRIORITIES.get((group, version), _CRD_PRIORITY if managed == "true" else (100, 100))
    return {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
            "metadata": {"name": f"{version}.{group}", "labels": {AUTOMANAGED: managed}},
            "spec": {"group": group, "version": version, "groupPriorityMinimum": minimum,
                     "versionPriority": priority}}


@dataclass
class OnStartRegistration:
    """The autoregister controller's ``onstart`` APIServices (one per built-in group version), written once after
    the start as kube-apiserver's post-start hook does — off the path to ``ready``; one deleted later stays
    deleted, as there."""

    runtime: Runtime
    name: str = "apiservice-autoregister"
    _started: bool = False

    def interests(self) -> Iterable[tuple[str, str]]:
        return ()

    def keys_for(self, event: StoreEvent) -> Iterable[Hashable]:
        return ()

    def resync_keys(self) -> Iterable[Hashable]:
        if not self._started:
            self._started = True
            yield "onstart"

    def process(self, key: Hashable, ctx: ReconcileContext) -> None:
        served = sorted({(rt.group, rt.version) for rt in self.runtime.server.registry.all() if rt.builtin})
        for group, version in served:
            try:
                ctx.create(apiservice_object(group, version, "onstart"))
            except AlreadyExists:
                pass


def crd_registration_controller() -> TypedController:
    return TypedController("crd-autoregister-controller", "apiextensions.k8s.io", "customresourcedefinitions",
                           "CustomResourceDefinition", reconcile_crd_registration, on_delete=reconcile_crd_registration)


def reconcile_crd_registration(crd: dict[str, Any], ctx: ReconcileContext) -> None:
    """The group versions the CRDs of ``crd``'s group serve have an APIService; the others lose theirs."""
    group = (crd.get("spec") or {}).get("group", "")
    served = {version.get("name", "")
              for other in ctx.list("apiextensions.k8s.io/v1", "CustomResourceDefinition")
              if (other.get("spec") or {}).get("group") == group and not other["metadata"].get("deletionTimestamp")
              for version in (other.get("spec") or {}).get("versions") or [] if version.get("served")}
    registered = {(item.get("spec") or {}).get("version", ""): item
                  for item in ctx.list("apiregistration.k8s.io/v1", "APIService", label_selector={AUTOMANAGED: "true"})
                  if (item.get("spec") or {}).get("group") == group}
    for version in sorted(served - set(registered)):
        try:
            ctx.create(apiservice_object(group, version, "true"))
        except AlreadyExists:
            pass
    for version in sorted(set(registered) - served):
        ctx.delete("apiregistration.k8s.io/v1", "APIService", registered[version]["metadata"]["name"])


def apiservice_controller(runtime: Runtime) -> TypedController:
    def backed_by(event: StoreEvent) -> list[tuple[str, str]]:
        """The APIServices whose service (or its endpoints) the event is about."""
        wanted = (event.namespace, event.obj["metadata"]["name"])
        items, _rv = runtime.server.store.list("apiregistration.k8s.io", "apiservices")
        return [("", item.obj["metadata"]["name"]) for item in items
                if _service_key(item.obj) == wanted]

    return TypedController("apiservice-availability-controller", "apiregistration.k8s.io", "apiservices",
                           "APIService", reconcile_apiservice,
                           watches=(("", "services", backed_by), ("", "endpoints", backed_by)))


def _service_key(apiservice: dict[str, Any]) -> tuple[str, str] | None:
    target = (apiservice.get("spec") or {}).get("service")
    return (target.get("namespace", ""), target.get("name", "")) if target else None


def reconcile_apiservice(service: dict[str, Any], ctx: ReconcileContext) -> None:
    status, reason, message = _availability(service, ctx)
    if ctx.set_condition(service, "Available", status, reason, message):
        ctx.update_status(service)


def _availability(apiservice: dict[str, Any], ctx: ReconcileContext) -> tuple[str, str, str]:
    spec = apiservice.get("spec") or {}
    target = spec.get("service")
    if not target:
        return "True", "Local", "Local APIServices are always available"
    namespace, name = target.get("namespace", ""), target.get("name", "")
    service = ctx.get("v1", "Service", name, namespace)
    if service is None:
        return "False", "ServiceNotFound", f'service/{name} in "{namespace}" is not present'
    endpoints = ctx.get("v1", "Endpoints", name, namespace) or {}
    if not any(subset.get("addresses") for subset in endpoints.get("subsets") or []):
        return "False", "MissingEndpoints", f'endpoints for service/{name} in "{namespace}" have no addresses'
    group, version = spec.get("group", ""), spec.get("version", "")
    cluster_ip = (service.get("spec") or {}).get("clusterIP", "")
    port = target.get("port", 443)
    return ("False", "FailedDiscoveryCheck",
            f"failing or missing response from https://{cluster_ip}:{port}/apis/{group}/{version}: Get "
            f'"https://{cluster_ip}:{port}/apis/{group}/{version}": dial tcp {cluster_ip}:{port}: connect: '
            "connection refused")
