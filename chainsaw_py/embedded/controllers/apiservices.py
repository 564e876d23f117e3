"""APIService availability, as kube-aggregator's availability controller reports it.

A local APIService (no ``spec.service``) is served by the apiserver itself and is always available. One backed
by a service is checked like the aggregator does: the service must exist and have endpoints; the embedded
cluster does not proxy to aggregated servers, so a service with endpoints fails the discovery check.
"""

from __future__ import annotations

from typing import Any

from chainsaw_py.embedded.controllers.base import TypedController
from chainsaw_py.embedded.controllers.context import ReconcileContext, Runtime
from chainsaw_py.embedded.store import StoreEvent


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
