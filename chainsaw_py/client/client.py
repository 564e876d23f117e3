"""A thin facade over the ``kubernetes`` package's ``ApiClient``: CRUD, patch and list by apiVersion +
kind on unstructured objects (dicts), a lazily filled REST mapper, ``fieldValidation=Strict`` on writes
(as Chainsaw's client does), and errors shaped like apimachinery's.

The REST mapper asks discovery only for the group-versions it needs and asks again when a kind is
unknown, so a kind registered by a CRD a moment ago is found on the next call.

Besides the JSON API, the client reads what the kubectl-like helpers need: server-side ``Table``
renderings (what ``kubectl get`` prints), pod logs, raw paths (``proxy``), and a change feed built on
watches that lets polling loops wake as soon as an object of the watched kind changes.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from chainsaw_py.client.deadline import bounded_timeout
from chainsaw_py.client.errors import ApiError, ConnectionFailed, NoKindMatchError, NotFoundError
from chainsaw_py.client.secrets import SecretCatalog
from chainsaw_py.client.watch import ChangeFeeds, Waker
from chainsaw_py.util.masking import register_secrets

JSON = "application/json"
TABLE = ("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
         "application/json")
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

    @property
    def kubectl_name(self) -> str:
        """How kubectl names the resource unambiguously: ``pods``, ``deployments.v1.apps``."""
        return f"{self.plural}.{self.version}.{self.group}" if self.group else self.plural

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
    """``apps/v1`` -> (``apps``, ``v1``); ``v1`` -> (``""``, ``v1``); more than one ``/`` is invalid
    (Go's ``schema.ParseGroupVersion``)."""
    if api_version.count("/") > 1:
        raise ApiError(f"unexpected GroupVersion string: {api_version}")
    if "/" in api_version:
        group, _, version = api_version.partition("/")
        return group, version
    return "", api_version


class RestMapper:
    """Kind -> resource mapping from discovery, cached per group-version and refreshed on a miss."""

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
        if not version:
            return {}
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        try:
            listing = self._fetch(path)
        except NotFoundError:
            return {}
        resources: dict[str, Resource] = {}
        for entry in (listing or {}).get("resources", []):
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
        self._feeds = ChangeFeeds(self._open_watch)
        self.secrets = SecretCatalog(self)
        """The cluster's Secrets known to the run's masker (``refresh()`` before showing a program's output)."""

    # ------------------------------------------------------------------------------ transport

    def request(self, method: str, path: str, *, query: list[tuple[str, str]] | None = None,
                body: Any = None, content_type: str = JSON, accept: str = JSON) -> Any:
        """One API call; the decoded JSON response (``None`` when empty)."""
        secrets = "/secrets" in path  # every Secret value the run sees is masked in its output
        if secrets:
            register_secrets(body)
        data = self.request_bytes(method, path, query=query, body=body, content_type=content_type,
                                  accept=accept)
        decoded = json.loads(data) if data else None
        if secrets:
            register_secrets(decoded)
        return decoded

    def request_bytes(self, method: str, path: str, *, query: list[tuple[str, str]] | None = None,
                      body: Any = None, content_type: str = JSON, accept: str = JSON,
                      timeout: float | None = None) -> bytes:
        response = self._call(method, path, query=query, body=body, content_type=content_type, accept=accept,
                              timeout=timeout, stream=False)
        return bytes(response.data or b"")

    def _call(self, method: str, path: str, *, query: list[tuple[str, str]] | None, body: Any,
              content_type: str, accept: str, timeout: float | None, stream: bool) -> Any:
        from kubernetes.client.exceptions import ApiException

        headers = {"Accept": accept, "Content-Type": content_type}
        limit = timeout if timeout is not None else self.request_timeout
        request_timeout = limit if stream else bounded_timeout(limit)
        try:
            pool = self._direct_pool()
            if pool is not None:
                return self._send(pool, method, path, query or [], headers, body, request_timeout)
            return self.api_client.call_api(
                path, method, query_params=query or [], header_params=headers, body=body,
                auth_settings=["BearerToken"], _preload_content=False, _return_http_data_only=True,
                _request_timeout=request_timeout)
        except ApiException as err:
            raise api_error(err.status, err.reason, err.body) from None
        except Exception as err:  # urllib3 raises its own exception tree (MaxRetryError, ...)
            if isinstance(err, OSError) or type(err).__module__.startswith("urllib3"):
                raise connection_error(method, self.api_client.configuration.host + path, err) from None
            raise

    def _direct_pool(self) -> Any:
        """The connection pool of the API server's host, when requests may go to it directly (no proxy):
        ``ApiClient.call_api`` and urllib3's ``PoolManager`` parse, copy and re-encode every request (~0.13 ms
        of the client's ~0.43 ms per GET) for features these requests do not use."""
        pool = self.__dict__.get("_pool", False)
        if pool is False:
            import urllib3

            manager = self.api_client.rest_client.pool_manager
            pool = None
            if not isinstance(manager, urllib3.ProxyManager) and not self.api_client.configuration.proxy:
                pool = manager.connection_from_url(self.api_client.configuration.host)
            self.__dict__["_pool"] = pool
        return pool

    def _send(self, pool: Any, method: str, path: str, query: list[tuple[str, str]], headers: dict[str, str],
              body: Any, request_timeout: float | None) -> Any:
        """What ``call_api(..., _preload_content=False)`` and the kubernetes package's REST client send and
        raise, straight through the host's connection pool."""
        import urllib3
        from kubernetes.client.exceptions import ApiException

        api = self.api_client
        headers.update(api.default_headers)
        if api.cookie:
            headers["Cookie"] = api.cookie
        api.update_params_for_auth(headers, query, ["BearerToken"])
        url = self._base_path + path + ("?" + urlencode(query) if query else "")
        timeout = urllib3.Timeout(total=request_timeout) if request_timeout else None
        encoded: Any = None
        if method != "GET" and method != "HEAD":
            encoded = _encoded_body(body, headers)
        try:
            response = pool.urlopen(method, url, body=encoded, headers=headers, preload_content=False,
                                    timeout=timeout)
        except urllib3.exceptions.SSLError as err:
            raise ApiException(status=0, reason=f"{type(err).__name__}\n{err}") from None
        if not 200 <= response.status <= 299:
            raise api_error(response.status, response.reason, response.data.decode("utf-8", "replace"))
        return response

    @property
    def _base_path(self) -> str:
        """The path part of the configured host (a server URL may carry one, e.g. behind a gateway)."""
        base = self.__dict__.get("_base")
        if base is None:
            from urllib.parse import urlsplit

            base = self.__dict__["_base"] = urlsplit(self.api_client.configuration.host).path.rstrip("/")
        return str(base)

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
        if not name:
            raise ApiError("resource name may not be empty")
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
             labels: dict[str, str] | str | None = None, fields: str | None = None) -> dict[str, Any]:
        """A List object; every item carries apiVersion and kind (as Go's UnstructuredList does)."""
        resource = self.resource(api_version, kind)
        listing = self.request("GET", resource.path(namespace), query=_selectors(labels, fields)) or {}
        listing["items"] = [_with_type(item, resource) for item in listing.get("items") or []]
        return listing

    def table(self, api_version: str, kind: str, namespace: str = "", name: str = "",
              labels: str | None = None) -> dict[str, Any]:
        """The server-side ``Table`` rendering of one object or a list (what ``kubectl get`` prints)."""
        resource = self.resource(api_version, kind)
        query = _selectors(labels, None) if not name else []
        query.append(("includeObject", "Object"))
        return dict(self.request("GET", resource.path(namespace, name), query=query, accept=TABLE) or {})

    def pod_logs(self, namespace: str, name: str, container: str, tail: int | None = None) -> str:
        query = [("container", container)]
        if tail is not None and tail >= 0:
            query.append(("tailLines", str(tail)))
        path = f"/api/v1/namespaces/{quote(namespace, safe='')}/pods/{quote(name, safe='')}/log"
        return self.request_bytes("GET", path, query=query, accept="*/*").decode(errors="replace")

    def raw_get(self, path: str) -> bytes:
        """``kubectl get --raw PATH``: the response body as it is."""
        return self.request_bytes("GET", path, accept="application/json, */*")

    # ------------------------------------------------------------------------------ writes

    def create(self, obj: dict[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
        resource, namespace, _ = self._locate(obj)
        created = self.request("POST", resource.path(namespace), query=_write_query(dry_run), body=obj)
        return _with_type(created, resource)

    def update(self, obj: dict[str, Any], *, dry_run: bool = False, subresource: str = "") -> dict[str, Any]:
        resource, namespace, name = self._locate(obj, named=True)
        updated = self.request("PUT", resource.path(namespace, name, subresource), query=_write_query(dry_run),
                               body=obj)
        return _with_type(updated, resource)

    def patch(self, obj: dict[str, Any], patch: Any, *, patch_type: str = "merge", dry_run: bool = False,
              subresource: str = "", field_manager: str | None = None, force: bool = False) -> dict[str, Any]:
        """Patch the object ``obj`` names (apiVersion, kind, namespace, name) with ``patch``."""
        resource, namespace, name = self._locate(obj, named=True)
        query = _write_query(dry_run)
        if field_manager:
            query.append(("fieldManager", field_manager))
        if force:
            query.append(("force", "true"))
        patched = self.request("PATCH", resource.path(namespace, name, subresource), query=query, body=patch,
                               content_type=PATCH_TYPES[patch_type])
        return _with_type(patched, resource)

    def delete(self, api_version: str, kind: str, namespace: str, name: str, *,
               propagation: str | None = None, dry_run: bool = False,
               grace_period_seconds: int | None = None) -> dict[str, Any] | None:
        if not name:
            raise ApiError("resource name may not be empty")
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

    def _locate(self, obj: dict[str, Any], named: bool = False) -> tuple[Resource, str, str]:
        meta = obj.get("metadata") or {}
        name = str(meta.get("name") or "")
        if named and not name:
            raise ApiError("resource name may not be empty")
        resource = self.resource(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
        return resource, str(meta.get("namespace") or ""), name

    # ------------------------------------------------------------------------------ change feed

    def change_waiter(self, api_version: str, kind: str) -> Waker | None:
        """A ``wake(seconds)`` callable for polling loops: it returns as soon as an object of this kind
        changes (or after ``seconds``). None when the kind is unknown or cannot be watched."""
        try:
            resource = self.resource(api_version, kind)
        except ApiError:
            return None
        return self._feeds.waker(resource)

    def close(self) -> None:
        self._feeds.close()

    def _open_watch(self, resource: Resource, resource_version: str, timeout_seconds: int) -> Any:
        """A streamed watch of every object of ``resource``, from ``resource_version`` or from now (the
        version of a one-item list, so that existing objects are not replayed as ADDED events)."""
        if not resource_version:
            listing = self.request("GET", resource.path(), query=[("limit", "1")]) or {}
            resource_version = str((listing.get("metadata") or {}).get("resourceVersion") or "")
        query = [("watch", "true"), ("allowWatchBookmarks", "true"), ("timeoutSeconds", str(timeout_seconds))]
        if resource_version:
            query.append(("resourceVersion", resource_version))
        return self._call("GET", resource.path(), query=query, body=None, content_type=JSON, accept=JSON,
                          timeout=None, stream=True)


def _selectors(labels: dict[str, str] | str | None, fields: str | None) -> list[tuple[str, str]]:
    query: list[tuple[str, str]] = []
    if labels:
        selector = labels if isinstance(labels, str) else ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
        query.append(("labelSelector", selector))
    if fields:
        query.append(("fieldSelector", fields))
    return query


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


def _encoded_body(body: Any, headers: dict[str, str]) -> Any:
    """The request body as the kubernetes package's REST client encodes it."""
    content_type = headers["Content-Type"]
    if "json" in content_type.lower() or content_type == "application/apply-patch+yaml":
        if content_type == "application/json-patch+json" and not isinstance(body, list):
            headers["Content-Type"] = "application/strategic-merge-patch+json"
        return json.dumps(body) if body is not None else None
    if isinstance(body, (str, bytes)):
        return body
    raise ApiError(f"cannot send a {type(body).__name__} body as {content_type}")


def api_error(code: int, reason: str, body: Any) -> ApiError:
    """An ``ApiError`` from a failed response, with the ``Status`` message the way Go's client shows it."""
    status: dict[str, Any] = {}
    if body:
        try:
            parsed = json.loads(body)
            status = parsed if isinstance(parsed, dict) else {}
        except (TypeError, ValueError):
            status = {}
    message = str(status.get("message") or "") or _fallback_message(code, body)
    status_reason = str(status.get("reason") or "") or _reason_for_code(code) or str(reason or "")
    if code == 404 or status_reason == "NotFound":
        return NotFoundError(message, code=code, reason=status_reason or "NotFound", details=status.get("details"))
    return ApiError(message, code=code, reason=status_reason, details=status.get("details"))


def connection_error(method: str, url: str, err: Exception) -> ConnectionFailed:
    """Go's ``*url.Error`` wording: ``Get "https://host/path": <cause>``."""
    cause = getattr(err, "reason", None) or err
    return ConnectionFailed(f'{method.capitalize()} "{url}": {cause}', code=0, reason="ConnectionError")


_CODE_REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
                 406: "NotAcceptable", 409: "Conflict", 410: "Expired", 413: "RequestEntityTooLarge",
                 415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests", 500: "InternalError",
                 503: "ServiceUnavailable", 504: "Timeout"}


def _reason_for_code(code: int) -> str:
    return _CODE_REASONS.get(code, "")


def _fallback_message(code: int, body: Any) -> str:
    """client-go's messages for responses that carry no ``Status`` (``newUnstructuredResponseError``)."""
    text = body.decode(errors="replace") if isinstance(body, bytes) else str(body or "")
    if code == 404:
        return "the server could not find the requested resource"
    if code == 409:
        return "the server reported a conflict"
    if code == 401:
        return "the server has asked for the client to provide credentials"
    if code == 403:
        return text.strip() or "the server does not allow access to the requested resource"
    if code == 503:
        return "the server is currently unable to handle the request"
    if not text.strip():
        return f"the server responded with the status code {code} but did not return more information"
    return f"an error on the server ({text.strip()}) has prevented the request from succeeding"
