"""Selecting the cluster objects an assertion-like operation looks at (Chainsaw's
``pkg/engine/operations/internal/read.go``): templating of
the resource reference, the namespacer, and GET by name or LIST by namespace and labels."""

from __future__ import annotations

from typing import Any

from chainsaw_py.expressions import ExpressionError, template
from chainsaw_py.operations.base import ClusterHandle, OperationContext, OperationError
from chainsaw_py.util.maps import merge


def string_labels(obj: dict[str, Any]) -> dict[str, str] | None:
    labels = (obj.get("metadata") or {}).get("labels")
    if not isinstance(labels, dict):
        return None
    return {k: v for k, v in labels.items() if isinstance(v, str)}


def template_reference(obj: dict[str, Any], ctx: OperationContext) -> dict[str, Any]:
    """Template only apiVersion, kind, metadata.name, metadata.namespace and string labels, and merge
    the result over the object (Chainsaw's ``templating.ResourceRef``)."""
    if not obj.get("apiVersion") or not obj.get("kind"):
        return obj
    meta = obj.get("metadata") or {}
    reference: dict[str, Any] = {"apiVersion": obj["apiVersion"], "kind": obj["kind"]}
    ref_meta = {key: meta[key] for key in ("name", "namespace") if isinstance(meta.get(key), str) and meta[key]}
    labels = string_labels(obj)
    if labels:
        ref_meta["labels"] = labels
    if ref_meta:
        reference["metadata"] = ref_meta
    try:
        templated = template(reference, reference, ctx.bindings, ctx.compiler)
    except ExpressionError as err:
        raise OperationError(str(err)) from err
    return merge(obj, templated)



def apply_namespace(obj: dict[str, Any], cluster: ClusterHandle, namespace: str | None) -> dict[str, Any]:
    """The namespacer: set the test namespace on namespaced kinds that have none."""
    meta = obj.get("metadata")
    if namespace is None or (isinstance(meta, dict) and meta.get("namespace")):
        return obj
    if not cluster.client.is_namespaced(str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")):
        return obj
    result = dict(obj)
    result["metadata"] = {**(meta if isinstance(meta, dict) else {}), "namespace": namespace}
    return result


def read_candidates(obj: dict[str, Any], cluster: ClusterHandle) -> list[dict[str, Any]]:
    """GET by name, or LIST by namespace and (string-only) labels; NotFound propagates. The client's
    ``list`` returns a List object (``items``), as ``x_k8s_list`` expects."""
    meta = obj.get("metadata") or {}
    api_version, kind = str(obj["apiVersion"]), str(obj["kind"])
    namespace = meta.get("namespace") if isinstance(meta.get("namespace"), str) else ""
    name = meta.get("name") if isinstance(meta.get("name"), str) else ""
    if name:
        return [cluster.client.get(api_version, kind, namespace, name)]
    labels = meta.get("labels")
    selector = None
    if isinstance(labels, dict) and labels and all(isinstance(v, str) for v in labels.values()):
        selector = labels
    return list(cluster.client.list(api_version, kind, namespace, selector).get("items") or [])
