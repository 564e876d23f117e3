"""Learning the values of every Secret a program's output could contain, so that the run's masker
(``util.masking``) hides them: a script may print ``kubectl get secret -A -o yaml``, read ``kube-system``'s
Secrets, or a Secret an operator made in a namespace the run never named.

The first time a run needs it, every Secret of the cluster is listed (in pages; reading them registers
their values, see ``Client.request``). After that each refresh reads only the names and resource versions
of the Secrets (a metadata-only list, ``PartialObjectMetadataList``) and fetches the new and changed ones,
so that a Secret written a moment ago by the program that just ended is known before its output is shown
(a watch could still be behind). When listing Secrets cluster-wide is refused (RBAC), the Secrets of the
namespaces the program ran against are read instead, as many as ``MAX_NAMESPACES``.

What the masker keeps is bounded (``limits.MAX_MASKED_VALUES``/``MAX_MASKED_BYTES``); so is what a catalog
keeps (one resource version per Secret, at most ``MAX_SECRETS``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from chainsaw_py.client.errors import ApiError, NotFoundError
from chainsaw_py.errors import ChainsawError
from chainsaw_py.util.masking import active_maskers, collecting

if TYPE_CHECKING:
    from chainsaw_py.client.client import Client

PAGE_SIZE = 100
"""Secrets per page of a full list (a Secret holds up to 1 MiB)."""
METADATA_PAGE_SIZE = 1000
MAX_FETCHES = 20
"""Beyond this many new or changed Secrets, one full list is cheaper than a GET for each."""
MAX_SECRETS = 100_000
"""Most Secrets a catalog follows; Secrets beyond are not learned."""
MAX_NAMESPACES = 8
"""When cluster-wide listing is refused: at most this many namespaces are read per program run."""
METADATA = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"

Key = tuple[str, str]


class SecretCatalog:
    """The Secrets of one cluster known to the current run's maskers, by namespace and name."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._versions: dict[Key, str] = {}
        self._learned_for: tuple[int, ...] = ()
        self._cluster_wide = True

    def refresh(self, namespaces: Iterable[str] = ()) -> None:
        """Make the active maskers know the value of every Secret that exists now (best effort: a refusal
        or an error leaves what is known as it is)."""
        if not collecting():
            return
        with self._lock:
            maskers = active_maskers()
            if maskers != self._learned_for:  # another run: learn everything again
                self._versions.clear()
                self._learned_for = maskers
            if self._cluster_wide:
                try:
                    self._refresh_cluster()
                    return
                except ApiError as error:
                    if error.code not in (401, 403):
                        return
                    self._cluster_wide = False
                except (ChainsawError, OSError, ValueError):
                    return
            self._read_namespaces(namespaces)

    def _refresh_cluster(self) -> None:
        if not self._versions:
            self._list_all()
            return
        current = self._metadata()
        changed = [key for key, version in current.items() if self._versions.get(key) != version]
        if len(changed) > MAX_FETCHES:
            self._list_all()
            return
        for namespace, name in changed:
            try:
                self._client.request("GET", f"/api/v1/namespaces/{quote(namespace, safe='')}/secrets/"
                                            f"{quote(name, safe='')}")
            except NotFoundError:
                continue
        self._versions = current

    def _list_all(self) -> None:
        """Every Secret, page by page (reading them registers their values)."""
        versions: dict[Key, str] = {}
        for page in self._pages(PAGE_SIZE, "application/json"):
            versions.update(_versions_of(page))
            if len(versions) >= MAX_SECRETS:
                break
        self._versions = versions

    def _metadata(self) -> dict[Key, str]:
        versions: dict[Key, str] = {}
        for page in self._pages(METADATA_PAGE_SIZE, METADATA):
            versions.update(_versions_of(page))
            if len(versions) >= MAX_SECRETS:
                break
        return versions

    def _pages(self, size: int, accept: str) -> Iterable[dict[str, Any]]:
        token = ""
        while True:
            query = [("limit", str(size))] + ([("continue", token)] if token else [])
            page = self._client.request("GET", "/api/v1/secrets", query=query, accept=accept) or {}
            yield page
            token = str((page.get("metadata") or {}).get("continue") or "")
            if not token:
                return

    def _read_namespaces(self, namespaces: Iterable[str]) -> None:
        for namespace in list(dict.fromkeys(namespaces))[:MAX_NAMESPACES]:
            try:
                self._client.request("GET", f"/api/v1/namespaces/{quote(namespace, safe='')}/secrets")
            except (ChainsawError, OSError, ValueError):
                continue


def _versions_of(page: dict[str, Any]) -> dict[Key, str]:
    versions: dict[Key, str] = {}
    for item in page.get("items") or []:
        meta = item.get("metadata") if isinstance(item, dict) else None
        if isinstance(meta, dict):
            key = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
            versions[key] = str(meta.get("resourceVersion") or "")
    return versions
