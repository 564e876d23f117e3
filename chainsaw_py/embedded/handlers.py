"""HTTP handling of the Kubernetes REST API on top of :class:`ApiServer`.

Maps paths and verbs to API operations, negotiates JSON vs. ``Table`` output, decodes bodies (JSON or YAML),
streams watches (chunked, bookmarks, timeouts) and renders every failure as a ``Status`` object.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from chainsaw_py.embedded.apierrors import (
    ApiError,
    BadRequest,
    FieldErrors,
    Gone,
    InternalError,
    MethodNotAllowed,
    NotAcceptable,
    NotFound,
    RequestEntityTooLarge,
    TooManyRequests,
    Unauthorized,
)
from chainsaw_py.embedded.apimetrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from chainsaw_py.embedded.apimetrics import metrics_text
from chainsaw_py.embedded.apiserver import ApiServer
from chainsaw_py.embedded.auth.attributes import RequestAttributes
from chainsaw_py.embedded.auth.identity import ADMIN, acting_as
from chainsaw_py.embedded.codec import (
    decode_body,
    delete_options,
    int64_param,
    parse_resource_version,
    patch_content_type,
    warning_headers,
    watch_timeout,
    write_options,
)
from chainsaw_py.embedded.componentstatus import component_statuses
from chainsaw_py.embedded.connect import CONNECT_SUBRESOURCES, connect, connect_options
from chainsaw_py.embedded.discovery import AGGREGATED_V2, AGGREGATED_V2BETA1, Discovery
from chainsaw_py.embedded.health import health_answer
from chainsaw_py.embedded.httpserver import Request, Response, StreamBody
from chainsaw_py.embedded.limits import Limits
from chainsaw_py.embedded.metrics import MetricsApi
from chainsaw_py.embedded.resources import ResourceType
from chainsaw_py.embedded.routing import GroupVersionPath, ResourcePath, parse_path
from chainsaw_py.embedded.store import StoredObject, encode
from chainsaw_py.embedded.subresources import Subresources
from chainsaw_py.embedded.watch import bookmark
from chainsaw_py.embedded.writes import (
    Result,
)

log = logging.getLogger("chainsaw_py.embedded")

_PUBLIC_PATHS = ("/healthz", "/livez", "/readyz", "/version")
_API_PREFIXES = ("/api/", "/apis/")
_JSON = "application/json"
METRICS_GROUP = "metrics.k8s.io"
_REASONS = {400: "BadRequest", 500: "InternalError", 503: "ServiceUnavailable"}


@dataclass
class MediaType:
    type: str
    params: dict[str, str] = field(default_factory=dict)


def parse_accept(header: str) -> list[MediaType]:
    result: list[MediaType] = []
    for part in header.split(","):
        pieces = [piece.strip() for piece in part.split(";")]
        if not pieces[0]:
            continue
        params = {}
        for piece in pieces[1:]:
            key, _, value = piece.partition("=")
            params[key.strip()] = value.strip()
        result.append(MediaType(pieces[0].lower(), params))
    return result or [MediaType("*/*")]


@dataclass(frozen=True)
class Negotiated:
    table: bool = False
    partial_metadata: bool = False
    content_type: str = _JSON


@lru_cache(maxsize=256)     # clients send the same few Accept headers; a refused one raises again each time
def negotiate(accept: str) -> Negotiated:
    """The response's media type for an Accept header (clients send few distinct ones: the answer is cached,
    and must not be modified)."""
    for media in parse_accept(accept):
        if media.type not in (_JSON, "application/*", "*/*", "application/yaml"):
            continue
        kind = media.params.get("as", "")
        if kind == "Table" and media.params.get("g") == "meta.k8s.io":
            version = media.params.get("v", "v1")
            return Negotiated(table=True, content_type=f"{_JSON};as=Table;v={version};g=meta.k8s.io")
        if kind in ("PartialObjectMetadata", "PartialObjectMetadataList"):
            continue
        if kind == "":
            return Negotiated()
    raise NotAcceptable("only the following media types are accepted: application/json, application/yaml, "
                        "application/vnd.kubernetes.protobuf")


class ApiHandler:
    """The HTTP server's :class:`~chainsaw_py.embedded.httpserver.Application`: authentication on the head
    (before any body is read), then routing of complete requests."""

    def __init__(self, server: ApiServer, discovery: Discovery, token: str, version_info: dict[str, Any],
                 subresources: Subresources, openapi: Any, tables: Any, bookmark_interval: float = 1.0,
                 limits: Limits | None = None) -> None:
        self.server = server
        self.discovery = discovery
        self.token = token
        self.version_info = version_info
        self.subresources = subresources
        self.openapi = openapi
        self.tables = tables
        self.bookmark_interval = bookmark_interval
        self.limits = limits or Limits()
        self._auth_header = f"Bearer {token}"
        self.metrics = MetricsApi(server)
        self.access: Any = None        # auth.access.AccessControl, set by the cluster
        self.pod_access: Any = None
        """Answers exec/attach/portforward/proxy for pods that run as local processes
        (``runtime.access.PodAccess``), or None."""

    def admit(self, request: Request) -> Response | None:
        """Authentication (and impersonation), on the request head alone: the body of a refused request is
        never read. The identity is kept on the request for :meth:`handle`."""
        try:
            request.identity = self._identify(request)
        except ApiError as err:
            return _status_response(err)
        return None

    def _identify(self, request: Request) -> Any:
        if self.access is not None:
            return self.access.identify(request)
        if request.header("authorization") != self._auth_header and not request.path.startswith(_PUBLIC_PATHS):
            raise Unauthorized()
        return ADMIN

    def error(self, request: Request, status: int, message: str) -> Response:
        if status == 413:
            return _status_response(RequestEntityTooLarge(message.removeprefix("Request entity too large: ")))
        if status == 429:
            response = _status_response(TooManyRequests(message))
            response.headers.append(("Retry-After", "1"))
            return response
        return _status_response(ApiError(message, code=status, reason=_REASONS.get(status, "InternalError")))

    def __call__(self, request: Request) -> Response:
        return self.handle(request)

    def handle(self, request: Request) -> Response:
        try:
            user = request.identity if request.identity is not None else self._identify(request)
            with acting_as(user):
                if self.pod_access is not None:
                    answer = self.pod_access.handle(request, self._allowed(user), self._admit_connect)
                    if answer is not None:
                        return answer
                return _newline_terminated(self._route(request), request.path)
        except ApiError as err:
            return _status_response(err)
        except Exception as err:
            log.exception("internal error serving %s %s", request.method, request.path)
            return _status_response(InternalError(f"Internal error occurred: {err}"))

    # --- routing ----------------------------------------------------------------------------------------

    def _admit_connect(self, resource: str, subresource: str, namespace: str, name: str, request: Request) -> None:
        """CONNECT admission of a request to a pod (or service) that runs as processes; raises the denial."""
        rt = self.server.registry.lookup("", "v1", resource)
        if rt is not None:
            self.server.admit_connect(rt, namespace, name, subresource, connect_options(rt, subresource, request))

    def _allowed(self, user: Any) -> Any:
        """``allowed(verb, resource, subresource, namespace, name)`` for ``user`` (RBAC, when enforced)."""
        def allowed(verb: str, resource: str, subresource: str, namespace: str, name: str) -> bool:
            if self.access is None:
                return True
            attrs = RequestAttributes(user, verb, True, "", "v1", resource, subresource, namespace, name)
            return bool(self.access.decide(attrs).allowed)
        return allowed

    def _route(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        if not path.startswith(_API_PREFIXES):      # (no special path is below /api/ or /apis/)
            special = self._special(request, path)
            if special is not None:
                return special
        parsed = parse_path(path, self._is_resource)
        if isinstance(parsed, GroupVersionPath):
            return self._discovery(request, parsed)
        if isinstance(parsed, ResourcePath):
            return self._resource(request, parsed)
        return Response(404, b"404 page not found\n", "text/plain; charset=utf-8")

    def _is_resource(self, group: str, version: str, plural: str) -> bool:
        return self.server.registry.lookup(group, version, plural) is not None

    def _special(self, request: Request, path: str) -> Response | None:
        if path == "/version":
            return Response(200, encode(self.version_info))
        if path in ("/healthz", "/livez", "/readyz") or path.startswith(("/healthz/", "/livez/", "/readyz/")):
            answer = health_answer(path, request.query)
            if answer is None:
                return Response(404, b"404 page not found\n", "text/plain; charset=utf-8")
            return Response(200, answer.encode(), "text/plain; charset=utf-8")
        if path == "/metrics" and request.method == "GET":
            return Response(200, metrics_text(self.server, self.version_info).encode(), METRICS_CONTENT_TYPE)
        if path == "/api":
            return self._legacy_or_aggregated(request, core=True)
        if path == "/apis":
            return self._legacy_or_aggregated(request, core=False)
        if path.startswith("/openapi/"):
            return self.openapi.handle(request, path)
        if path == "/":
            paths = ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/metrics", "/openapi/v2", "/openapi/v3", "/readyz",
                     "/version"]
            return Response(200, encode({"paths": paths}))
        return None

    def _legacy_or_aggregated(self, request: Request, core: bool) -> Response:
        accept = request.header("accept")
        for media in parse_accept(accept):
            if media.params.get("as") == "APIGroupDiscoveryList" and media.params.get("g") == "apidiscovery.k8s.io":
                version = media.params.get("v", "v2")
                if version in ("v2", "v2beta1"):
                    content_type = AGGREGATED_V2 if version == "v2" else AGGREGATED_V2BETA1
                    return Response(200, self.discovery.aggregated(core, version), content_type)
            if media.type in (_JSON, "*/*", "application/*") and not media.params.get("as"):
                break
        body = self.discovery.api_versions() if core else self.discovery.api_group_list()
        return Response(200, body)

    def _discovery(self, request: Request, parsed: GroupVersionPath) -> Response:
        if request.method != "GET":
            raise MethodNotAllowed()
        if not parsed.version:
            body = self.discovery.api_group(parsed.group)
        else:
            body = self.discovery.resource_list(parsed.group, parsed.version)
        if body is None:
            raise NotFound.generic()
        return Response(200, body)

    # --- resources --------------------------------------------------------------------------------------

    def _resource(self, request: Request, path: ResourcePath) -> Response:
        rt = self.server.registry.lookup(path.group, path.version, path.plural)
        if rt is None:
            raise NotFound.generic()
        if path.namespace is not None and not rt.namespaced:
            raise NotFound.generic()
        if rt.group == METRICS_GROUP:
            negotiated = negotiate(request.header("accept"))
            return self.metrics.handle(request, rt, path, negotiated.content_type if negotiated.table else "")
        if rt.group_resource == ("", "componentstatuses"):
            negotiated = negotiate(request.header("accept"))
            return component_statuses(request, rt, path, negotiated.content_type if negotiated.table else "",
                                      self.tables)
        if path.subresource:
            if rt.subresource(path.subresource) is None:
                raise NotFound.generic()
            if path.subresource in CONNECT_SUBRESOURCES:
                return connect(self.server, request, rt, path.namespace or "", path.name, path.subresource)
            if rt.subresource(path.subresource) is None:
                raise NotFound.generic()
            return self.subresources.handle(self, request, rt, path)
        method = request.method
        namespace = path.namespace if rt.namespaced else None
        if not path.name:
            return self._collection(request, rt, namespace, path)
        ns = namespace or ""
        if method == "GET":
            self._require_verb(rt, "get")
            if request.param("resourceVersion"):
                _parse_rv(request.param("resourceVersion"))
            return self.object_response(request, rt, self.server.get(rt, ns, path.name))
        if method == "PUT":
            self._require_verb(rt, "update")
            options = write_options(request)
            body = decode_body(request, options.duplicate_fields, rt, self.limits.max_json_depth)
            return self.result_response(request, rt, self.server.update(rt, ns, path.name, body, options))
        if method == "PATCH":
            self._require_verb(rt, "patch")
            content_type = patch_content_type(request)
            options = write_options(request)
            body = decode_body(request, options.duplicate_fields, rt, self.limits.max_json_depth)
            return self.result_response(request, rt, self.server.patch(rt, ns, path.name, content_type, body, options))
        if method == "DELETE":
            self._require_verb(rt, "delete")
            result = self.server.delete(rt, ns, path.name, delete_options(request))
            return self.result_response(request, rt, result)
        raise MethodNotAllowed()

    def _collection(self, request: Request, rt: ResourceType, namespace: str | None, path: ResourcePath) -> Response:
        method = request.method
        if method == "GET":
            if path.legacy_watch or request.flag("watch"):
                self._require_verb(rt, "watch")
                return self._watch(request, rt, namespace)
            self._require_verb(rt, "list")
            return self._list(request, rt, namespace)
        if method == "POST":
            self._require_verb(rt, "create")
            if rt.namespaced and namespace is None:
                raise MethodNotAllowed()
            options = write_options(request)
            body = decode_body(request, options.duplicate_fields, rt, self.limits.max_json_depth)
            virtual = self.subresources.virtual_create(rt, namespace or "", body)
            if virtual is not None:
                return Response(201, encode(virtual))
            result = self.server.create(rt, namespace or "", body, options)
            return self.result_response(request, rt, result)
        if method == "DELETE":
            self._require_verb(rt, "deletecollection")
            deleted = self.server.delete_collection(rt, namespace, request.param("labelSelector"),
                                                    request.param("fieldSelector"), delete_options(request))
            body = {"kind": rt.list_kind_name, "apiVersion": rt.api_version,
                    "metadata": {"resourceVersion": str(self.server.store.resource_version)}, "items": deleted}
            return Response(200, encode(body))
        raise MethodNotAllowed()

    @staticmethod
    def _require_verb(rt: ResourceType, verb: str) -> None:
        if verb not in rt.verbs:
            raise MethodNotAllowed()

    def _list(self, request: Request, rt: ResourceType, namespace: str | None) -> Response:
        negotiated = negotiate(request.header("accept"))
        limit = _int_param(request, "limit", 0)
        _int_param(request, "timeoutSeconds", 0)
        exact_rv = _exact_resource_version(request)
        _check_list_resource_version(request, limit)
        limit = max(limit, 0)  # a negative limit lists everything, as etcd3 and the watch cache do
        if request.param("continue") and (request.param("resourceVersion") or "0") != "0":
            raise BadRequest("specifying resource version is not allowed when using continue")
        result = self.server.list(rt, namespace, request.param("labelSelector"), request.param("fieldSelector"),
                                  limit, request.param("continue"), exact_rv)
        if negotiated.table:
            table = self.tables.table(rt, [item.obj for item in result.items], request.param("includeObject"),
                                      str(result.resource_version), result.continue_token, result.remaining)
            return Response(200, encode(table), negotiated.content_type)
        metadata: dict[str, Any] = {"resourceVersion": str(result.resource_version)}
        if result.continue_token:
            metadata["continue"] = result.continue_token
            metadata["remainingItemCount"] = result.remaining
        head = encode({"kind": rt.list_kind_name, "apiVersion": rt.api_version, "metadata": metadata})
        body = head[:-1] + b',"items":[' + b",".join(item.encoded() for item in result.items) + b"]}"
        return Response(200, body)

    def object_response(self, request: Request, rt: ResourceType, stored: StoredObject,
                         status: int = 200, warnings: list[str] | None = None,
                         encoded: bytes | None = None) -> Response:
        negotiated = negotiate(request.header("accept"))
        headers = warning_headers(warnings or [])
        if negotiated.table:
            table = self.tables.table(rt, [stored.obj], request.param("includeObject"), None, "", None)
            return Response(status, encode(table), negotiated.content_type, headers)
        return Response(status, stored.encoded_as(encoded) if encoded is not None else stored.encoded(), _JSON,
                        headers)

    def result_response(self, request: Request, rt: ResourceType, result: Result) -> Response:
        if result.stored is not None:
            return self.object_response(request, rt, result.stored, result.code, result.warnings, result.encoded)
        return Response(result.code, encode(result.obj), _JSON, warning_headers(result.warnings))

    # --- watch ------------------------------------------------------------------------------------------

    def _watch(self, request: Request, rt: ResourceType, namespace: str | None) -> Response:
        negotiated = negotiate(request.header("accept"))
        selector = self.server.make_filter(rt, namespace, request.param("labelSelector"),
                                           request.param("fieldSelector"))
        timeout = watch_timeout(_int_param(request, "timeoutSeconds", 0))
        _int_param(request, "limit", 0)
        rv_text = request.param("resourceVersion")
        send_initial = request.flag("sendInitialEvents")
        since = None if rv_text in ("", "0") or send_initial else _parse_rv(rv_text)
        try:
            stream = self.server.watch(rt, since, selector)
        except Gone as err:
            # like the watch cache: a 200 response carrying one ERROR event with the 410 Status
            error_event = encode({"type": "ERROR", "object": err.status_body()}) + b"\n"
            return Response(200, stream=iter([error_event]), content_type=negotiated.content_type)
        bookmarks = request.flag("allowWatchBookmarks")
        request.on_close(stream.stop)      # a departed client ends the watch at once
        events = self._watch_events(request, rt, stream, namespace, since is None, send_initial, bookmarks,
                                    timeout, negotiated.table, request.param("includeObject"))
        return Response(200, stream=StreamBody(events, stream.stop), content_type=negotiated.content_type)

    def _watch_events(self, request: Request, rt: ResourceType, stream: Any, namespace: str | None,
                      initial: bool, send_initial: bool, bookmarks: bool, timeout: float, table: bool,
                      include_object: str) -> Iterator[bytes]:
        deadline = time.monotonic() + timeout
        try:
            if timeout <= 0:  # a negative timeoutSeconds: Go's timer fires at once, the watch ends empty
                return
            if initial:
                for kind, stored in stream.initial_state(namespace):
                    yield self._event_bytes(rt, kind, stored, table, include_object)
                if send_initial:
                    yield encode({"type": "BOOKMARK", "object": bookmark(rt, stream.last_rv, initial_end=True)}) + b"\n"
            next_bookmark = time.monotonic() + self.bookmark_interval
            while True:
                now = time.monotonic()
                if now >= deadline:
                    return
                # block until an event, the next bookmark or the deadline; stop() (client gone) wakes it
                wake = min(deadline, next_bookmark) if bookmarks else deadline
                item = stream.next(max(0.0, wake - now))
                if item is not None:
                    yield self._event_bytes(rt, item[0], item[1], table, include_object)
                    continue
                if stream.watcher.closed or request.client_gone():
                    return
                if bookmarks and time.monotonic() >= next_bookmark:
                    next_bookmark = time.monotonic() + self.bookmark_interval
                    yield encode({"type": "BOOKMARK", "object": bookmark(rt, self._bookmark_rv(stream))}) + b"\n"
        finally:
            stream.stop()

    def _bookmark_rv(self, stream: Any) -> int:
        return max(int(stream.last_rv), 0) or self.server.store.resource_version

    def _event_bytes(self, rt: ResourceType, kind: str, stored: StoredObject, table: bool,
                     include_object: str) -> bytes:
        if table:
            payload = encode(self.tables.table(rt, [stored.obj], include_object, stored.obj["metadata"].get(
                "resourceVersion"), "", None, watch=True))
        else:
            payload = stored.encoded()
        return b'{"type":"' + kind.encode() + b'","object":' + payload + b"}\n"

    # --- request decoding -------------------------------------------------------------------------------

def _int_param(request: Request, name: str, default: int) -> int:
    """An int64 query parameter as apimachinery's conversion reads it (``strconv.ParseInt`` of the first
    value, ``?limit=`` included); its error is the 400's message."""
    value = int64_param(request, name)
    return default if value is None else value


def _exact_resource_version(request: Request) -> int | None:
    """The resourceVersion a list must be served at (resourceVersionMatch=Exact), after ListOptions validation."""
    match, rv_text = request.param("resourceVersionMatch"), request.param("resourceVersion")
    if not match:
        return None
    errors = FieldErrors()
    if match not in ("Exact", "NotOlderThan"):
        errors.not_supported("resourceVersionMatch", match, ["Exact", "NotOlderThan"])
    else:
        if not rv_text:
            errors.forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden unless resourceVersion is "
                                                     "provided")
        if request.param("continue"):
            errors.forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided")
        if match == "Exact" and rv_text == "0":
            errors.forbidden("resourceVersionMatch", 'resourceVersionMatch "exact" is forbidden for resourceVersion '
                                                     '"0"')
    errors.raise_if_any("ListOptions", "meta.k8s.io", "")
    if match != "Exact":
        return None
    try:  # an Exact list is always etcd's: its 400
        return parse_resource_version(rv_text)
    except ValueError as err:
        raise BadRequest(f"invalid resource version: {err}") from None


def _parse_rv(text: str) -> int:
    """A resourceVersion as the watch cache reads it: a malformed one is an error the apiserver does not
    classify (500, no reason; kubernetes/kubernetes#113939)."""
    try:
        return parse_resource_version(text)
    except ValueError as err:
        raise ApiError(str(err), reason="") from None


def _check_list_resource_version(request: Request, limit: int) -> None:
    """A malformed resourceVersion of a list: etcd's answer (400) for the lists the watch cache hands to it
    (a limit with a resourceVersion other than "0", a continue token, resourceVersionMatch=Exact), the
    watch cache's (500) for the others."""
    text = request.param("resourceVersion")
    try:
        parse_resource_version(text)
    except ValueError as err:
        from_storage = (limit > 0 and text != "0") or bool(request.param("continue")) \
            or request.param("resourceVersionMatch") == "Exact"
        if from_storage:
            raise BadRequest(f"invalid resource version: {err}") from None
        raise ApiError(str(err), reason="") from None


def _status_response(err: ApiError) -> Response:
    return Response(err.code, encode(err.status_body()) + b"\n")


def _newline_terminated(response: Response, path: str) -> Response:
    """The apiserver's serializers write JSON with encoding/json's Encoder, which ends every value with a newline
    (/version and the OpenAPI documents are written raw, without one)."""
    if response.stream is None and response.content_type.startswith(_JSON) and response.body \
            and not response.body.endswith(b"\n") and not path.startswith(("/openapi/", "/version")):
        response.body += b"\n"
    return response
