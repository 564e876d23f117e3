"""Namespace lifecycle: default ServiceAccount and kube-root-ca.crt in every active namespace; deletion of
all content of a Terminating namespace, its status conditions, then removal of the ``kubernetes`` finalizer."""

from __future__ import annotations

from typing import Any

from chainsaw_py.embedded.apierrors import AlreadyExists, NotFound
from chainsaw_py.embedded.controllers.base import TypedController
from chainsaw_py.embedded.controllers.context import ReconcileContext, Runtime
from chainsaw_py.embedded.controllers.util import is_deleting
from chainsaw_py.embedded.writes import DeleteOptions, WriteOptions

_RETRY = 0.05


def namespace_controller(runtime: Runtime, ca_pem: bytes | None) -> TypedController:
    def reconcile(namespace: dict[str, Any], ctx: ReconcileContext) -> None:
        if is_deleting(namespace):
            _terminate(namespace, ctx)
        else:
            _populate(namespace, ctx, ca_pem)

    return TypedController("namespace-controller", "", "namespaces", "Namespace", reconcile,
                           watches=(("", "serviceaccounts", _namespace_key), ("", "configmaps", _namespace_key)))


def _namespace_key(event: Any) -> list[tuple[str, str]]:
    name = event.obj["metadata"].get("name")
    if event.type == "DELETED" and name in ("default", "kube-root-ca.crt"):
        return [("", event.namespace)]
    return []


def _populate(namespace: dict[str, Any], ctx: ReconcileContext, ca_pem: bytes | None) -> None:
    name = namespace["metadata"]["name"]
    wanted: list[dict[str, Any]] = [{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": name}}]
    if ca_pem is not None:
        wanted.append({"apiVersion": "v1", "kind": "ConfigMap",
                       "metadata": {"name": "kube-root-ca.crt", "namespace": name,
                                    "annotations": {"kubernetes.io/description": (
                                        "Contains a CA bundle that can be used to verify the kube-apiserver when "
                                        "using internal endpoints such as the internal service IP or "
                                        "kubernetes.default.svc. No other usage is guaranteed across distributions "
                                        "of Kubernetes clusters.")}},
                       "data": {"ca.crt": ca_pem.decode()}})
    for obj in wanted:
        if ctx.get("v1", obj["kind"], obj["metadata"]["name"], name) is None:
            try:
                ctx.create(obj)
            except (AlreadyExists, NotFound):
                continue


def _terminate(namespace: dict[str, Any], ctx: ReconcileContext) -> None:
    name = namespace["metadata"]["name"]
    server = ctx.runtime.server
    remaining: dict[str, int] = {}
    finalizers: set[str] = set()
    for group, plural in server.registry.group_resources():
        rt = server.registry.any_version(group, plural)
        if rt is None or not rt.namespaced or "list" not in rt.verbs:
            continue
        items, _rv = server.store.list(group, plural, name)
        for item in items:
            meta = item.obj["metadata"]
            if not meta.get("deletionTimestamp"):
                try:
                    server.delete(rt, name, meta["name"], DeleteOptions(propagation="Background"))
                except NotFound:
                    continue
            finalizers.update(meta.get("finalizers") or [])
        left = server.store.count(group, plural, name)
        if left:
            remaining[f"{plural}.{group}" if group else plural] = left
    _write_conditions(namespace, ctx, remaining, finalizers)
    if remaining:
        ctx.requeue_after(_RETRY)
        return
    finalized = dict(namespace, spec={"finalizers": []})
    rt = server.registry.lookup("", "v1", "namespaces")
    assert rt is not None
    server.update(rt, "", name, finalized, WriteOptions(), subresource="finalize")


def _write_conditions(namespace: dict[str, Any], ctx: ReconcileContext, remaining: dict[str, int],
                      finalizers: set[str]) -> None:
    before = [dict(c) for c in (namespace.get("status") or {}).get("conditions") or []]
    set_ = ctx.set_condition
    set_(namespace, "NamespaceDeletionDiscoveryFailure", "False", "ResourcesDiscovered",
         "All resources successfully discovered")
    set_(namespace, "NamespaceDeletionGroupVersionParsingFailure", "False", "ParsedGroupVersions",
         "All legacy kube types successfully parsed")
    set_(namespace, "NamespaceDeletionContentFailure", "False", "ContentDeleted",
         "All content successfully deleted, may be waiting on finalization")
    if remaining:
        details = ", ".join(f"{resource} has {count} resource instances" for resource, count in sorted(remaining.items()))
        set_(namespace, "NamespaceContentRemaining", "True", "SomeResourcesRemain",
             f"Some resources are remaining: {details}")
    else:
        set_(namespace, "NamespaceContentRemaining", "False", "ContentRemoved", "All content successfully removed")
    if finalizers:
        set_(namespace, "NamespaceFinalizersRemaining", "True", "SomeFinalizersRemain",
             "Some content in the namespace has finalizers remaining: " + ", ".join(sorted(finalizers)))
    else:
        set_(namespace, "NamespaceFinalizersRemaining", "False", "ContentHasNoFinalizers",
             "All content-preserving finalizers finished")
    if namespace["status"].get("conditions") != before:
        try:
            ctx.update_status(namespace)
        except NotFound:
            return
