"""DefaultStorageClass and DefaultIngressClass (plugin/pkg/admission/storage/storageclass/setdefault,
plugin/pkg/admission/network/defaultingressclass): a claim created without spec.storageClassName gets the default
StorageClass, an Ingress created without spec.ingressClassName (nor the legacy kubernetes.io/ingress.class
annotation) the default IngressClass; several defaults: the newest one (then by name)."""

from __future__ import annotations

from typing import Any

from chainsaw_py.embedded.admission.storeview import StoreView
from chainsaw_py.embedded.admission.types import CREATE, AdmissionAttributes
from chainsaw_py.embedded.store import Store

_STORAGE_DEFAULT = "storageclass.kubernetes.io/is-default-class"
_INGRESS_DEFAULT = "ingressclass.kubernetes.io/is-default-class"
_LEGACY_INGRESS_CLASS = "kubernetes.io/ingress.class"


def _newest_default(store: Store, group: str, plural: str, annotation: str) -> str | None:
    defaults = [item.obj["metadata"] for item in store.list(group, plural, None)[0]
                if (item.obj["metadata"].get("annotations") or {}).get(annotation) == "true"]
    if not defaults:
        return None
    newest = max(defaults, key=lambda meta: (str(meta.get("creationTimestamp") or ""), meta["name"]))
    return str(newest["name"])


class DefaultClasses:
    name = "DefaultStorageClass,DefaultIngressClass"

    def __init__(self, store: Store) -> None:
        self._storage = StoreView(store, "storage.k8s.io", ("storageclasses",),
                                  lambda s: _newest_default(s, "storage.k8s.io", "storageclasses", _STORAGE_DEFAULT) or "")
        self._ingress = StoreView(store, "networking.k8s.io", ("ingressclasses",),
                                  lambda s: _newest_default(s, "networking.k8s.io", "ingressclasses", _INGRESS_DEFAULT)
                                  or "")

    def active(self) -> bool:
        return bool(self._storage.get() or self._ingress.get())

    def mutate(self, attrs: AdmissionAttributes) -> None:
        if attrs.operation != CREATE or attrs.subresource or not isinstance(attrs.obj, dict):
            return
        spec: Any = attrs.obj.get("spec")
        if not isinstance(spec, dict):
            return
        if attrs.rt.group_resource == ("", "persistentvolumeclaims") and spec.get("storageClassName") is None:
            default = self._storage.get()
            if default:
                spec["storageClassName"] = default
        elif attrs.rt.group_resource == ("networking.k8s.io", "ingresses") and spec.get("ingressClassName") is None:
            annotations = (attrs.obj.get("metadata") or {}).get("annotations") or {}
            default = self._ingress.get()
            if default and _LEGACY_INGRESS_CLASS not in annotations:
                spec["ingressClassName"] = default

    def validate(self, attrs: AdmissionAttributes) -> None:
        """Nothing to check: these plugins only default."""
