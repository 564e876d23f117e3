"""Endpoints and EndpointSlices for Services with a selector, from the pods that match it; CRD status and
clean-up of custom resources when a CRD is deleted."""

from __future__ import annotations

from typing import Any

from chainsaw_py.embedded.apierrors import AlreadyExists, NotFound
from chainsaw_py.embedded.controllers.base import TypedController
from chainsaw_py.embedded.controllers.context import ReconcileContext, Runtime
from chainsaw_py.embedded.controllers.util import is_deleting, pod_ready, pod_terminal
from chainsaw_py.embedded.kinds.apiext import CLEANUP_FINALIZER as CRD_FINALIZER
from chainsaw_py.embedded.store import StoreEvent
from chainsaw_py.embedded.writes import DeleteOptions
from chainsaw_py.util.labels import selector_from_set

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"


def endpoints_controller(runtime: Runtime) -> TypedController:
    def services_for_pod(event: StoreEvent) -> list[tuple[str, str]]:
        return _services_selecting(runtime, event)

    return TypedController("endpoint-controller", "", "services", "Service", reconcile_service,
                           on_delete=_drop_endpoints, watches=(("", "pods", services_for_pod),))


def _services_selecting(runtime: Runtime, event: StoreEvent) -> list[tuple[str, str]]:
    """Services of the pod's namespace whose selector matches the pod's old or new labels."""
    items, _rv = runtime.server.store.list("", "services", event.namespace)
    labels = [event.obj["metadata"].get("labels") or {}]
    if event.old is not None:
        labels.append(event.old.obj["metadata"].get("labels") or {})
    keys = []
    for item in items:
        selector = (item.obj.get("spec") or {}).get("selector")
        if selector and any(selector_from_set(selector).matches(entry) for entry in labels):
            keys.append((event.namespace, item.obj["metadata"]["name"]))
    return keys


def _target_port(port: dict[str, Any], pod: dict[str, Any]) -> int | None:
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    for container in (pod.get("spec") or {}).get("containers") or []:
        for container_port in container.get("ports") or []:
            if container_port.get("name") == target:
                return int(container_port.get("containerPort", 0))
    return None


def reconcile_service(service: dict[str, Any], ctx: ReconcileContext) -> None:
    spec, meta = service.get("spec") or {}, service["metadata"]
    selector = spec.get("selector")
    if not selector or is_deleting(service) or spec.get("type") == "ExternalName":
        return
    pods = [pod for pod in ctx.list("v1", "Pod", meta["namespace"], selector_from_set(selector))
            if (pod.get("status") or {}).get("podIP") and not pod_terminal(pod)]
    _write_endpoints(service, pods, ctx)
    _write_slice(service, pods, ctx)


def _address(pod: dict[str, Any]) -> dict[str, Any]:
    meta = pod["metadata"]
    return {"ip": pod["status"]["podIP"], "nodeName": (pod.get("spec") or {}).get("nodeName", ""),
            "targetRef": {"kind": "Pod", "namespace": meta["namespace"], "name": meta["name"], "uid": meta["uid"]}}


def _sorted_addresses(addresses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """In RepackSubsets' order (LessEndpointAddress): by IP as a string, then by the target's uid."""
    return sorted(addresses, key=lambda address: (address["ip"].encode(), address["targetRef"]["uid"]))


def _write_endpoints(service: dict[str, Any], pods: list[dict[str, Any]], ctx: ReconcileContext) -> None:
    meta, spec = service["metadata"], service.get("spec") or {}
    ready = _sorted_addresses([_address(pod) for pod in pods if pod_ready(pod) and not is_deleting(pod)])
    not_ready = _sorted_addresses([_address(pod) for pod in pods if not (pod_ready(pod) and not is_deleting(pod))])
    subsets = []
    if pods:
        ports = []
        for port in spec.get("ports") or []:
            number = _target_port(port, pods[0])
            if number is not None:
                entry = {"port": number, "protocol": port.get("protocol", "TCP")}
                if port.get("name"):
                    entry["name"] = port["name"]
                ports.append(entry)
        subset: dict[str, Any] = {"ports": ports}
        if ready:
            subset["addresses"] = ready
        if not_ready:
            subset["notReadyAddresses"] = not_ready
        subsets.append(subset)
    endpoints: dict[str, Any] = {"apiVersion": "v1", "kind": "Endpoints",
                 "metadata": {"name": meta["name"], "namespace": meta["namespace"],
                              "labels": dict(meta.get("labels") or {})}}
    if subsets:
        endpoints["subsets"] = subsets
    current = ctx.get("v1", "Endpoints", meta["name"], meta["namespace"])
    if current is None:
        try:
            ctx.create(endpoints)
        except AlreadyExists:
            ctx.requeue_after(0.02)
        return
    if current.get("subsets") != endpoints.get("subsets") or current["metadata"].get("labels") != \
            endpoints["metadata"]["labels"]:
        current["subsets"] = endpoints.get("subsets")
        if current["subsets"] is None:
            del current["subsets"]
        current["metadata"]["labels"] = endpoints["metadata"]["labels"]
        ctx.update(current)


def _write_slice(service: dict[str, Any], pods: list[dict[str, Any]], ctx: ReconcileContext) -> None:
    meta, spec = service["metadata"], service.get("spec") or {}
    endpoints = []
    for pod in pods:
        address = _address(pod)
        ready = pod_ready(pod) and not is_deleting(pod)
        endpoints.append({"addresses": [address["ip"]],
                          "conditions": {"ready": ready, "serving": pod_ready(pod), "terminating": is_deleting(pod)},
                          "nodeName": address["nodeName"], "targetRef": address["targetRef"]})
    ports = []
    for port in spec.get("ports") or []:
        number = _target_port(port, pods[0]) if pods else None
        entry: dict[str, Any] = {"name": port.get("name", ""), "protocol": port.get("protocol", "TCP")}
        if number is not None:
            entry["port"] = number
        ports.append(entry)
    existing = list(ctx.list("discovery.k8s.io/v1", "EndpointSlice", meta["namespace"],
                             f"{SERVICE_NAME_LABEL}={meta['name']}"))
    desired = {"addressType": "IPv4", "endpoints": endpoints, "ports": ports}
    if existing:
        current = existing[0]
        if {key: current.get(key) for key in desired} != desired:
            current.update(desired)
            ctx.update(current)
        return
    endpoint_slice = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                      "metadata": {"generateName": f"{meta['name']}-", "namespace": meta["namespace"],
                                   "labels": {SERVICE_NAME_LABEL: meta["name"],
                                              MANAGED_BY: "endpointslice-controller.k8s.io"}},
                      **desired}
    ctx.set_owner(endpoint_slice, service)
    ctx.create(endpoint_slice)


def _drop_endpoints(service: dict[str, Any], ctx: ReconcileContext) -> None:
    meta = service["metadata"]
    ctx.delete("v1", "Endpoints", meta["name"], meta["namespace"])


# --- CustomResourceDefinitions ------------------------------------------------------------------------------



def crd_controller() -> TypedController:
    return TypedController("apiextensions-controller", "apiextensions.k8s.io", "customresourcedefinitions",
                           "CustomResourceDefinition", reconcile_crd)


def reconcile_crd(crd: dict[str, Any], ctx: ReconcileContext) -> None:
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    before = [dict(c) for c in (crd.get("status") or {}).get("conditions") or []]
    status = crd.setdefault("status", {})
    accepted = {key: names[key] for key in ("plural", "singular", "shortNames", "kind", "listKind", "categories")
                if names.get(key)}
    changed = status.get("acceptedNames") != accepted
    status["acceptedNames"] = accepted
    ctx.set_condition(crd, "NamesAccepted", "True", "NoConflicts", "no conflicts found")
    if is_deleting(crd):
        if _delete_instances(crd, ctx):
            ctx.set_condition(crd, "Terminating", "True", "InstanceDeletionInProgress",
                              "CustomResource deletion is in progress")
            ctx.requeue_after(0.05)
        else:
            crd["metadata"]["finalizers"] = [f for f in crd["metadata"].get("finalizers") or [] if f != CRD_FINALIZER]
            ctx.update(crd)
            return
    else:
        ctx.set_condition(crd, "Established", "True", "InitialNamesAccepted", "the initial names have been accepted")
    if changed or status.get("conditions") != before:
        ctx.update_status(crd)


def _delete_instances(crd: dict[str, Any], ctx: ReconcileContext) -> bool:
    """Delete every instance; True while some remain."""
    spec = crd.get("spec") or {}
    group, plural = spec.get("group", ""), (spec.get("names") or {}).get("plural", "")
    server = ctx.runtime.server
    rt = server.registry.any_version(group, plural)
    if rt is None:
        return False
    items, _rv = server.store.list(group, plural)
    for item in items:
        meta = item.obj["metadata"]
        if not meta.get("deletionTimestamp"):
            try:
                server.delete(rt, meta.get("namespace", ""), meta["name"], DeleteOptions())
            except NotFound:
                continue
    return server.store.count(group, plural) > 0
