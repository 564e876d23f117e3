"""A read-only client over local documents, for ``chainsaw assert --resource FILE`` (Chainsaw asserts
against a fake client then). Unlike Chainsaw's fake, which answers every GET with the first document and
every LIST with all of them, lookups here match apiVersion, kind, name and labels, so an assertion only
passes against the document it designates. Every kind counts as cluster-scoped, as in Chainsaw."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chainsaw_py.client.errors import ApiError, NotFoundError


class LocalClient:
    def __init__(self, documents: Sequence[dict[str, Any]]) -> None:
        self.documents = [copy.deepcopy(doc) for doc in documents]

    def is_namespaced(self, api_version: str, kind: str) -> bool:
        return False

    def resource_exists(self, api_version: str, kind: str) -> bool:
        return any(_same_type(doc, api_version, kind) for doc in self.documents)

    def get(self, api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any]:
        for doc in self.documents:
            meta = doc.get("metadata") or {}
            if _same_type(doc, api_version, kind) and meta.get("name") == name and \
                    (not namespace or not meta.get("namespace") or meta.get("namespace") == namespace):
                return copy.deepcopy(doc)
        raise NotFoundError(f'{kind.lower()} "{name}" not found')

    def exists(self, api_version: str, kind: str, namespace: str, name: str) -> bool:
        try:
            self.get(api_version, kind, namespace, name)
        except NotFoundError:
            return False
        return True

    def list(self, api_version: str, kind: str, namespace: str = "",
             labels: dict[str, str] | str | None = None) -> dict[str, Any]:
        if isinstance(labels, str):
            raise ApiError("label selectors are not supported for local resources")
        wanted = labels or {}
        items = [copy.deepcopy(doc) for doc in self.documents
                 if _same_type(doc, api_version, kind)
                 and all(((doc.get("metadata") or {}).get("labels") or {}).get(k) == v for k, v in wanted.items())]
        return {"apiVersion": api_version, "kind": f"{kind}List", "items": items}

    def server_version(self) -> dict[str, Any]:
        raise ApiError("local resources have no server version")


class LocalCluster:
    """A cluster handle whose client reads local documents."""

    def __init__(self, documents: Sequence[dict[str, Any]]) -> None:
        self.client = LocalClient(documents)
        self.config = None

    def write_kubeconfig(self, path: Path) -> None:
        raise ApiError("local resources have no kubeconfig")


def _same_type(doc: dict[str, Any], api_version: str, kind: str) -> bool:
    return doc.get("apiVersion") == api_version and doc.get("kind") == kind
