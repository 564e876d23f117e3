"""``metrics.k8s.io/v1beta1``: simulated Pod and Node metrics, shaped as metrics-server serves them.

Every running pod's containers report a usage: their requests, or the pod's ``sim.chainsaw-py.io/cpu-usage`` /
``sim.chainsaw-py.io/memory-usage`` annotations (per container), else a small idle figure. A node reports the
sum of its pods plus the system's own share. ``kubectl top`` and metrics-based assertions work on these.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from chainsaw_py.embedded.apierrors import MethodNotAllowed, NotFound
from chainsaw_py.embedded.apiserver import ApiServer
from chainsaw_py.embedded.decoding import now_rfc3339
from chainsaw_py.embedded.httpserver import Request, Response
from chainsaw_py.embedded.resources import ResourceType
from chainsaw_py.embedded.routing import ResourcePath
from chainsaw_py.embedded.store import encode
from chainsaw_py.golang.quantity import QuantityError, parse_quantity

API_VERSION = "metrics.k8s.io/v1beta1"
CPU_USAGE = "sim.chainsaw-py.io/cpu-usage"
MEMORY_USAGE = "sim.chainsaw-py.io/memory-usage"
_IDLE = {"cpu": Fraction(1, 1000), "memory": Fraction(4 * 1024 * 1024)}
_SYSTEM = {"cpu": Fraction(1, 10), "memory": Fraction(512 * 1024 * 1024)}
_WINDOW = "10s"


def _usage_text(resource: str, value: Fraction) -> str:
    if resource == "cpu":
        return f"{math.ceil(value * 10 ** 9)}n"
    return f"{math.ceil(value / 1024)}Ki"


def _quantity(text: Any) -> Fraction | None:
    try:
        return parse_quantity(str(text))[0]
    except QuantityError:
        return None


def container_usage(pod: dict[str, Any], container: dict[str, Any]) -> dict[str, Fraction]:
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    requests = (container.get("resources") or {}).get("requests") or {}
    usage: dict[str, Fraction] = {}
    for resource, annotation in (("cpu", CPU_USAGE), ("memory", MEMORY_USAGE)):
        value = _quantity(annotations[annotation]) if annotation in annotations else None
        if value is None and resource in requests:
            value = _quantity(requests[resource])
        usage[resource] = _IDLE[resource] if value is None else value
    return usage


_COLUMNS = [("Name", "string", "name", "Name of the resource"), ("CPU", "string", "", "CPU usage"),
            ("Memory", "string", "", "Memory usage"), ("Window", "string", "", "Time window")]


def _table(items: list[dict[str, Any]]) -> dict[str, Any]:
    rows = []
    for item in items:
        usages = [item["usage"]] if "usage" in item else [c["usage"] for c in item.get("containers") or []]
        totals = {resource: sum((_quantity(usage.get(resource, "0")) or Fraction(0) for usage in usages),
                                Fraction(0)) for resource in ("cpu", "memory")}
        rows.append({"cells": [item["metadata"]["name"], _usage_text("cpu", totals["cpu"]),
                               _usage_text("memory", totals["memory"]), item.get("window", "")],
                     "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                "metadata": item["metadata"]}})
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {},
            "columnDefinitions": [{"name": name, "type": kind, "format": fmt, "description": text, "priority": 0}
                                  for name, kind, fmt, text in _COLUMNS],
            "rows": rows}


class MetricsApi:
    def __init__(self, server: ApiServer) -> None:
        self.server = server

    def handle(self, request: Request, rt: ResourceType, path: ResourcePath, table_type: str = "") -> Response:
        """GET a list or one object; ``table_type`` (a negotiated Table content type) asks for metrics-server's
        columns (Name, CPU, Memory, Window)."""
        if request.method != "GET" or path.subresource:
            raise MethodNotAllowed()
        selector = self.server.make_filter(self._source(rt), path.namespace, request.param("labelSelector"),
                                           request.param("fieldSelector"))
        items = [item for item in self._items(rt, path.namespace) if selector.matches(item)]
        if path.name:
            found = [item for item in items if item["metadata"]["name"] == path.name]
            if not found:
                raise NotFound.for_object(rt.group, rt.plural, path.name)
            items = found
        if table_type:
            return Response(200, encode(_table(items)), table_type)
        if path.name:
            return Response(200, encode(items[0]))
        return Response(200, encode({"kind": f"{rt.kind}List", "apiVersion": API_VERSION, "metadata": {},
                                     "items": items}))

    def _source(self, rt: ResourceType) -> ResourceType:
        source = self.server.registry.lookup("", "v1", rt.plural)
        assert source is not None
        return source

    def _running_pods(self, namespace: str | None) -> list[dict[str, Any]]:
        pods, _rv = self.server.store.list("", "pods", namespace)
        return [pod.obj for pod in pods if (pod.obj.get("status") or {}).get("phase") == "Running"]

    def _items(self, rt: ResourceType, namespace: str | None) -> list[dict[str, Any]]:
        now = now_rfc3339()
        if rt.plural == "pods":
            return [self._pod_metrics(pod, now) for pod in self._running_pods(namespace)]
        nodes, _rv = self.server.store.list("", "nodes")
        pods = self._running_pods(None)
        return [self._node_metrics(node.obj, pods, now) for node in nodes]

    @staticmethod
    def _meta(obj: dict[str, Any], now: str) -> dict[str, Any]:
        meta = obj.get("metadata") or {}
        result = {key: meta[key] for key in ("name", "namespace", "labels") if key in meta}
        result["creationTimestamp"] = now
        return result

    def _pod_metrics(self, pod: dict[str, Any], now: str) -> dict[str, Any]:
        containers = [{"name": container.get("name", ""), "usage": {
            resource: _usage_text(resource, value) for resource, value in container_usage(pod, container).items()}}
            for container in (pod.get("spec") or {}).get("containers") or []]
        return {"kind": "PodMetrics", "apiVersion": API_VERSION, "metadata": self._meta(pod, now), "timestamp": now,
                "window": _WINDOW, "containers": containers}

    def _node_metrics(self, node: dict[str, Any], pods: list[dict[str, Any]], now: str) -> dict[str, Any]:
        name = node["metadata"]["name"]
        total = dict(_SYSTEM)
        for pod in pods:
            if (pod.get("spec") or {}).get("nodeName") != name:
                continue
            for container in (pod.get("spec") or {}).get("containers") or []:
                for resource, value in container_usage(pod, container).items():
                    total[resource] += value
        usage = {resource: _usage_text(resource, value) for resource, value in total.items()}
        return {"kind": "NodeMetrics", "apiVersion": API_VERSION, "metadata": self._meta(node, now), "timestamp": now,
                "window": _WINDOW, "usage": usage}
