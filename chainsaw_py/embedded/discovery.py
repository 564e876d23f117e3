"""Discovery documents: legacy (/api, /apis, /apis/<g>, /apis/<g>/<v>) and aggregated (apidiscovery.k8s.io/v2).

kubectl 1.32 asks /api and /apis for the aggregated form (``as=APIGroupDiscoveryList``), the Python client's
DynamicClient walks the legacy documents. Both are rendered from the :class:`ResourceRegistry` and cached
until the registry changes (a CRD is added, updated or removed).
"""

from __future__ import annotations

import threading
from typing import Any

from chainsaw_py.embedded.resources import ResourceRegistry, ResourceType
from chainsaw_py.embedded.store import encode

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGGREGATED_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"


class Discovery:
    def __init__(self, registry: ResourceRegistry, server_address: str) -> None:
        self.registry = registry
        self.server_address = server_address
        self._cache: dict[tuple[str, ...], bytes] = {}
        self._generation = -1
        self._lock = threading.Lock()

    def _cached(self, key: tuple[str, ...], build: Any) -> bytes:
        with self._lock:
            if self._generation != self.registry.generation:
                self._cache.clear()
                self._generation = self.registry.generation
            if key not in self._cache:
                self._cache[key] = encode(build())
            return self._cache[key]

    # --- legacy -----------------------------------------------------------------------------------------

    def api_versions(self) -> bytes:
        return self._cached(("api",), lambda: {
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": self.server_address}]})

    def api_group_list(self) -> bytes:
        return self._cached(("apis",), lambda: {
            "kind": "APIGroupList", "apiVersion": "v1",
            "groups": [self._group(group) for group in self.registry.groups() if group]})

    def api_group(self, group: str) -> bytes | None:
        if group not in self.registry.groups() or not group:
            return None
        return self._cached(("group", group), lambda: {"kind": "APIGroup", "apiVersion": "v1", **self._group(group)})

    def _group(self, group: str) -> dict[str, Any]:
        versions = [{"groupVersion": f"{group}/{version}", "version": version}
                    for version in self.registry.versions(group)]
        return {"name": group, "versions": versions, "preferredVersion": versions[0]}

    def resource_list(self, group: str, version: str) -> bytes | None:
        resources = self.registry.resources(group, version)
        if not resources:
            return None
        group_version = f"{group}/{version}" if group else version
        return self._cached(("resources", group, version), lambda: {
            "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
            "resources": [entry for rt in sorted(resources, key=lambda r: r.plural) for entry in _legacy_entries(rt)]})

    # --- aggregated -------------------------------------------------------------------------------------

    def aggregated(self, legacy_core: bool, version: str = "v2") -> bytes:
        def build() -> dict[str, Any]:
            groups = [""] if legacy_core else [g for g in self.registry.groups() if g]
            return {"kind": "APIGroupDiscoveryList", "apiVersion": f"apidiscovery.k8s.io/{version}",
                    "metadata": {}, "items": [self._aggregated_group(group) for group in groups]}

        return self._cached(("aggregated", str(legacy_core), version), build)

    def _aggregated_group(self, group: str) -> dict[str, Any]:
        versions = []
        for version in self.registry.versions(group):
            resources = sorted(self.registry.resources(group, version), key=lambda r: r.plural)
            versions.append({"version": version, "resources": [_aggregated_entry(rt) for rt in resources],
                             "freshness": "Current"})
        return {"metadata": {"name": group, "creationTimestamp": None}, "versions": versions}


def _legacy_entries(rt: ResourceType) -> list[dict[str, Any]]:
    main: dict[str, Any] = {"name": rt.plural, "singularName": rt.singular_name, "namespaced": rt.namespaced,
                            "kind": rt.kind, "verbs": list(rt.verbs)}
    if rt.short_names:
        main["shortNames"] = list(rt.short_names)
    if rt.categories:
        main["categories"] = list(rt.categories)
    entries = [main]
    for sub in rt.subresources:
        entry: dict[str, Any] = {"name": f"{rt.plural}/{sub.name}", "singularName": "", "namespaced": rt.namespaced,
                                 "kind": sub.kind, "verbs": list(sub.verbs)}
        if sub.foreign:
            entry["group"], entry["version"] = sub.group, sub.version
        entries.append(entry)
    return entries


def _aggregated_entry(rt: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "resource": rt.plural, "responseKind": {"group": "", "version": "", "kind": rt.kind},
        "scope": "Namespaced" if rt.namespaced else "Cluster", "singularResource": rt.singular_name,
        "verbs": list(rt.verbs)}
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    if rt.subresources:
        entry["subresources"] = [{
            "subresource": sub.name,
            "responseKind": {"group": sub.group if sub.foreign else "", "version": sub.version if sub.foreign else "",
                             "kind": sub.kind},
            "verbs": list(sub.verbs)} for sub in rt.subresources]
    return entry
