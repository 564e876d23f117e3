"""``/api/v1/componentstatuses``: kube-apiserver's read-only view of the control plane's health (pkg/registry/core/
componentstatus), computed at each request and never stored, answered with its deprecation warning. The embedded
server is its own scheduler, controller manager and etcd, all healthy while it serves."""

from __future__ import annotations

from typing import Any

from chainsaw_py.embedded.apierrors import ApiError, MethodNotAllowed
from chainsaw_py.embedded.codec import warning_headers
from chainsaw_py.embedded.httpserver import Request, Response
from chainsaw_py.embedded.resources import ResourceType
from chainsaw_py.embedded.routing import ResourcePath
from chainsaw_py.embedded.selection import build_filter
from chainsaw_py.embedded.store import encode
from chainsaw_py.embedded.tables import TablePrinter

DEPRECATION = "v1 ComponentStatus is deprecated in v1.19+"
COMPONENTS = ("controller-manager", "scheduler", "etcd-0")


def _component(name: str) -> dict[str, Any]:
    return {"kind": "ComponentStatus", "apiVersion": "v1", "metadata": {"name": name, "creationTimestamp": None},
            "conditions": [{"type": "Healthy", "status": "True", "message": "ok"}]}


def _fields(obj: dict[str, Any]) -> dict[str, str]:
    return {"metadata.name": obj["metadata"]["name"]}


def component_statuses(request: Request, rt: ResourceType, path: ResourcePath, table_type: str,
                       tables: TablePrinter) -> Response:
    """GET the list or one component (a Table when ``table_type`` is the negotiated Table content type)."""
    if request.method != "GET" or path.subresource or request.flag("watch"):
        raise MethodNotAllowed()
    selector = build_filter(None, request.param("labelSelector"), request.param("fieldSelector"), _fields,
                            lambda name: name == "metadata.name")
    items = [item for item in map(_component, COMPONENTS) if selector.matches(item)]
    if path.name:
        items = [item for item in items if item["metadata"]["name"] == path.name]
        if not items:   # the registry's plain error, which the apiserver answers as an Unknown 500
            raise ApiError(f"Component not found: {path.name}", code=500, reason="Unknown")
    headers = warning_headers([DEPRECATION])
    if table_type:
        return Response(200, encode(tables.table(rt, items, request.param("includeObject"), None, "", None)),
                        table_type, headers)
    body = items[0] if path.name else {"kind": "ComponentStatusList", "apiVersion": "v1", "metadata": {},
                                       "items": items}
    return Response(200, encode(body), "application/json", headers)
