"""A thin facade over the ``kubernetes`` package's ``ApiClient``: CRUD, patch and list by apiVersion +
kind on unstructured objects (dicts), a lazily filled REST mapper, ``fieldValidation=Strict`` on writes
(as Chainsaw's client does), and errors shaped like apimachinery's.

The REST mapper asks discovery only for the group-versions it needs and asks again when a kind is
unknown, so a kind registered by a CRD a moment ago is found on the next call.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from chainsaw_py.client.errors import ApiError, NoKindMatchError, NotFoundError

JSON = "application/json"
PATCH_TYPES = {
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "apply": "application/apply-patch+yaml",
}


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str = "", name: str = "", subresource: str = "") -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.plural}"
        if name:
            base += f"/{quote(name, safe='')}"
        if subresource:
            base += f"/{subresource}"
        return base


def split_api_version(api_version: str) -> tuple[str, str]:
    if "/" in api_version:
        group, _, version = api_version.partition("/")
        return group, version
    return "", api_version


class RestMapper:
    def __init__(self, fetch: Any) -> None:
        self._fetch = fetch
        self._lock = threading.Lock()
        self._cache: dict[str, dict[str, Resource]] = {}

    def resource_for(self, api_version: str, kind: str) -> Resource:
        with self._lock:
            known = self._cache.get(api_version)
            if known is not None and kind in known:
                return known[kind]
            self._cache[api_version] = known = self._discover(api_version)
            if kind in known:
                return known[kind]
        raise NoKindMatchError(f'no matches for kind "{kind}" in version "{api_version}"', code=404,
                               reason="NotFound")

    def invalidate(self) -> None:
        with self._lock:
            self._cache.clear()

    def _discover(self, api_version: str) -> dict[str, Resource]:
        group, version = split_api_version(api_version)
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        try:
            listing = self._fetch(path)
        except NotFoundError:
            return {}
        resources: dict[str, Resource] = {}
        for entry in listing.get("resources", []):
            name = entry.get("name", "")
            if "/" in name:
                continue
            resources.setdefault(entry["kind"], Resource(group, version, entry["kind"], name,
                                                          bool(entry.get("namespaced"))))
        return resources


class Client:
    """Unstructured access to one cluster. Thread-safe: tests run in parallel threads."""

    def __init__(self, api_client: Any, request_timeout: float | None = None) -> None:
        self.api_client = api_client
        self.request_timeout = request_timeout
        self.mapper = RestMapper(lambda path: self.request("GET", path))

    # ------------------------------------------------------------------------------ transport

    def request(self, method: str, path: str, *, query: list[tuple[str, str]] | None = None,
                body: Any = None, content_type: str = JSON) -> Any:
        from kubernetes.client.exceptions import ApiException

        headers = {"Accept": JSON, "Content-Type": content_type}
        try:
            response = self.api_client.call_api(
                path, method, query_params=query or [], header_params=headers, body=body,
                auth_settings=["BearerToken"], _preload_content=False, _return_http_data_only=True,
                _request_timeout=self.request_timeout)
        except ApiException as err:
            raise api_error(err.status, err.reason, err.body) from None
        except OSError as err:
            raise ApiError(f"{method} {path}: {err}", code=0, reason="ConnectionError") from err
        except Exception as err:  # urllib3 raises its own exception tree (MaxRetryError, ...)
            if type(err).__module__.startswith("urllib3"):
                raise ApiError(f"{method} {path}: {err}", code=0, reason="ConnectionError") from err
            raise
        data = response.data
        return json.loads(data) if data else None

    # ------------------------------------------------------------------------------ mapping

    def resource(self, api_version: str, kind: str) -> Resource:
        return self.mapper.resource_for(api_version, kind)

    def is_namespaced(self, api_version: str, kind: str) -> bool:
        return self.resource(api_version, kind).namespaced

    def resource_exists(self, api_version: str, kind: str) -> bool:
        try:
            self.resource(api_version, kind)
        except NoKindMatchError:
            return False
        return True

    # ------------------------------------------------------------------------------ reads

    def get(self, api_version: str, kind: str, namespace: str, name: str, subresource: str = "") -> dict[str, Any]:
        resource = self.resource(api_version, kind)
        obj = self.request("GET", resource.path(namespace, name, subresource))
        return _with_type(obj, resource)

    def exists(self, api_version: str, kind: str, namespace: str, name: str) -> bool:
        try:
            self.get(api_version, kind, namespace, name)
        except NotFoundError:
            return False
        return True

    def list(self, api_version: str, kind: str, namespace: str = "",
             labels: dict[str, str] | str | None = None) -> dict[str, Any]:
        """A List object; every item carries apiVersion and kind (as Go's UnstructuredList does)."""
        resource = self.resource(api_version, kind)
        query = []
        if labels:
            selector = labels if isinstance(labels, str) else ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
            query.append(("labelSelector", selector))
        listing = self.request("GET", resource.path(namespace), query=query) or {}
        listing["items"] = [_with_type(item, resource) for item in listing.get("items") or []]
        return listing

    # ------------------------------------------------------------------------------ writes

    def create(self, obj: dict[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
        resource, namespace, _ = self._locate(obj)
        created = self.request("POST", resource.path(namespace), query=_write_query(dry_run), body=obj)
        return _with_type(created, resource)

    def update(self, obj: dict[str, Any], *, dry_run: bool = False, subresource: str = "") -> dict[str, Any]:
        resource, namespace, name = self._locate(obj)
        updated = self.request("PUT", resource.path(namespace, name, subresource), query=_write_query(dry_run),
                               body=obj)
        return _with_type(updated, resource)

    def patch(self, obj: dict[str, Any], patch: Any, *, patch_type: str = "merge", dry_run: bool = False,
              subresource: str = "", field_manager: str | None = None, force: bool = False) -> dict[str, Any]:
        resource, namespace, name = self._locate(obj)
        query = _write_query(dry_run)
        if field_manager:
            query.append(("fieldManager", field_manager))
        if force:
            query.append(("force", "true"))
        body = patch if patch_type != "apply" else json.dumps(patch)
        patched = self.request("PATCH", resource.path(namespace, name, subresource), query=query, body=body,
                               content_type=PATCH_TYPES[patch_type])
        return _with_type(patched, resource)

    def delete(self, api_version: str, kind: str, namespace: str, name: str, *,
               propagation: str | None = None, dry_run: bool = False,
               grace_period_seconds: int | None = None) -> dict[str, Any] | None:
        resource = self.resource(api_version, kind)
        options: dict[str, Any] = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if propagation:
            options["propagationPolicy"] = propagation
        if grace_period_seconds is not None:
            options["gracePeriodSeconds"] = grace_period_seconds
        if dry_run:
            options["dryRun"] = ["All"]
        result = self.request("DELETE", resource.path(namespace, name), body=options)
        return result if isinstance(result, dict) else None

    def server_version(self) -> dict[str, Any]:
        return dict(self.request("GET", "/version") or {})

    def _locate(self, obj: dict[str, Any]) -> tuple[Resource, str, str]:
        meta = obj.get("metadata") or {}
        resource = self.resource(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
        return resource, str(meta.get("namespace") or ""), str(meta.get("name") or "")


def _write_query(dry_run: bool) -> list[tuple[str, str]]:
    query = [("fieldValidation", "Strict")]
    if dry_run:
        query.append(("dryRun", "All"))
    return query


def _with_type(obj: Any, resource: Resource) -> dict[str, Any]:
    if not isinstance(obj, dict):
        return {}
    obj.setdefault("apiVersion", resource.api_version)
    obj.setdefault("kind", resource.kind)
    return obj


def api_error(code: int, reason: str, body: Any) -> ApiError:
    """An ``ApiError`` from a failed response, with the ``Status`` message the way Go's client shows it."""
    status: dict[str, Any] = {}
    if body:
        try:
            parsed = json.loads(body)
            status = parsed if isinstance(parsed, dict) else {}
        except (TypeError, ValueError):
            status = {}
    message = str(status.get("message") or "") or _fallback_message(code, reason, body)
    status_reason = str(status.get("reason") or reason or "")
    if code == 404 or status_reason == "NotFound":
        return NotFoundError(message, code=code, reason=status_reason or "NotFound", details=status.get("details"))
    return ApiError(message, code=code, reason=status_reason, details=status.get("details"))


def _fallback_message(code: int, reason: str, body: Any) -> str:
    text = body.decode() if isinstance(body, bytes) else str(body or "")
    if code == 404:
        return "the server could not find the requested resource"
    return f"the server responded with the status code {code} but did not return more information" \
        if not text.strip() else f"an error on the server ({text.strip()}) has prevented the request from succeeding"
