"""Keeps the resource registry in step with CustomResourceDefinitions, synchronously with each write,
so a new CRD's resources are in discovery the moment the create/update returns."""

from __future__ import annotations

from chainsaw_py.embedded.kinds.apiext import resource_types_for
from chainsaw_py.embedded.resources import ResourceRegistry
from chainsaw_py.embedded.store import DELETED, StoreEvent


class CrdRegistrar:
    def __init__(self, registry: ResourceRegistry) -> None:
        self.registry = registry

    def on_event(self, event: StoreEvent) -> None:
        if (event.group, event.plural) != ("apiextensions.k8s.io", "customresourcedefinitions"):
            return
        name = event.obj["metadata"]["name"]
        if event.type == DELETED:
            self.registry.remove_custom(name)
            return
        old_types = resource_types_for(event.old.obj) if event.old is not None else None
        new_types = resource_types_for(event.obj)
        if old_types != new_types or self._schemas_changed(event):
            self.registry.replace_custom(name, new_types)

    @staticmethod
    def _schemas_changed(event: StoreEvent) -> bool:
        if event.old is None:
            return True
        return (event.old.obj.get("spec") or {}).get("versions") != (event.obj.get("spec") or {}).get("versions")
