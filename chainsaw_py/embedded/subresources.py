"""Subresources (status, scale, log, binding, eviction, token, finalize) and create-only virtual kinds
(access reviews, token reviews, bindings) that are answered without being stored."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from typing import Any

from chainsaw_py.embedded.apierrors import (
    BadRequest,
    Conflict,
    FieldErrors,
    Invalid,
    MethodNotAllowed,
    NotFound,
)
from chainsaw_py.embedded.apiserver import (
    ApiServer,
    apply_patch_document,
    refuse_strategic_patch_of_custom_resource,
)
from chainsaw_py.embedded.codec import Responder, decode_body, int64_param, patch_content_type, write_options
from chainsaw_py.embedded.decoding import format_time
from chainsaw_py.embedded.eviction import evict
from chainsaw_py.embedded.httpserver import Request, Response
from chainsaw_py.embedded.kinds.apiext import dotted_value
from chainsaw_py.embedded.logs import LogStore, since_time
from chainsaw_py.embedded.resources import ResourceType
from chainsaw_py.embedded.routing import ResourcePath
from chainsaw_py.embedded.store import encode
from chainsaw_py.embedded.writes import MERGE_PATCH, DeleteOptions, WriteOptions
from chainsaw_py.util.labels import SelectorError, selector_from_label_selector, selector_from_set

ADMIN_USER = {"username": "kubernetes-admin", "groups": ["system:masters", "system:authenticated"]}


class Subresources:
    def __init__(self, server: ApiServer, logs: LogStore) -> None:
        self.server = server
        self.access: Any = None        # auth.access.AccessControl, set by the cluster
        self.logs = logs

    def handle(self, handler: Responder, request: Request, rt: ResourceType, path: ResourcePath) -> Response:
        name, sub = path.name, path.subresource
        namespace = path.namespace or ""
        if not name:
            raise NotFound.generic()
        if sub in ("status", "finalize", "ephemeralcontainers", "approval"):
            return self._status_like(handler, request, rt, namespace, name, sub)
        if sub == "scale":
            return self._scale(handler, request, rt, namespace, name)
        if sub == "log" and request.method == "GET":
            return self._log(request, rt, namespace, name)
        if sub == "binding" and request.method == "POST":
            self.bind(namespace, name, decode_body(request))
            return Response(201, encode(_success()))
        if sub == "eviction" and request.method == "POST":
            body = decode_body(request)
            options = DeleteOptions.from_body((body or {}).get("deleteOptions") if isinstance(body, dict) else None)
            evict(self.server, rt, namespace, name, options)
            return Response(201, encode(_success()))
        if sub == "token" and request.method == "POST":
            return Response(201, encode(self._token(namespace, name, decode_body(request))))
        raise MethodNotAllowed()

    # --- status / finalize ------------------------------------------------------------------------------

    def _status_like(self, handler: Responder, request: Request, rt: ResourceType, namespace: str, name: str,
                     sub: str) -> Response:
        if request.method == "GET" and sub in ("status", "ephemeralcontainers", "approval"):
            return handler.object_response(request, rt, self.server.get(rt, namespace, name))
        if request.method == "PUT":
            result = self.server.update(rt, namespace, name, decode_body(request),
                                        write_options(request), subresource=sub)
            return handler.result_response(request, rt, result)
        if request.method == "PATCH" and sub in ("status", "ephemeralcontainers", "approval"):
            result = self.server.patch(rt, namespace, name, patch_content_type(request), decode_body(request),
                                       write_options(request), subresource=sub)
            return handler.result_response(request, rt, result)
        raise MethodNotAllowed()

    # --- scale ------------------------------------------------------------------------------------------

    def _scale(self, handler: Responder, request: Request, rt: ResourceType, namespace: str, name: str) -> Response:
        current = self.server.get(rt, namespace, name).obj
        if request.method == "GET":
            return Response(200, encode(scale_of(rt, current)))
        if request.method not in ("PUT", "PATCH"):
            raise MethodNotAllowed()
        body = decode_body(request)
        scale = scale_of(rt, current)
        if request.method == "PATCH":
            refuse_strategic_patch_of_custom_resource(rt, patch_content_type(request))
            scale = apply_patch_document(scale, patch_content_type(request), body, None)
        elif isinstance(body, dict):
            requested_rv = (body.get("metadata") or {}).get("resourceVersion")
            if requested_rv and requested_rv != current["metadata"]["resourceVersion"]:
                raise Conflict.modified(rt.group, rt.plural, name)
            scale = body
        replicas = (scale.get("spec") or {}).get("replicas") if isinstance(scale, dict) else None
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            errors = FieldErrors()
            errors.invalid("spec.replicas", replicas, "must be greater than or equal to 0")
            raise Invalid("Scale", "autoscaling", name, errors.causes)
        updated = self._set_replicas(rt, namespace, name, replicas, write_options(request))
        return Response(200, encode(scale_of(rt, updated)))

    def _set_replicas(self, rt: ResourceType, namespace: str, name: str, replicas: int,
                      options: WriteOptions) -> dict[str, Any]:
        spec_path = rt.scale_paths[0] if not rt.builtin else ".spec.replicas"
        patch: dict[str, Any] = {}
        cursor = patch
        parts = [p for p in spec_path.lstrip(".").split(".") if p]
        for part in parts[:-1]:
            cursor = cursor.setdefault(part, {})
        cursor[parts[-1]] = replicas

        return self.server.patch(rt, namespace, name, MERGE_PATCH, patch, options).obj

    # --- logs -------------------------------------------------------------------------------------------

    def _log(self, request: Request, rt: ResourceType, namespace: str, name: str) -> Response:
        tail, since_seconds = int64_param(request, "tailLines"), int64_param(request, "sinceSeconds")
        limit = int64_param(request, "limitBytes")  # malformed: 400 before the pod is read, as the codec does
        pod = self.server.get(rt, namespace, name).obj
        container = self._container(pod, request.param("container"))
        status = _container_status(pod, container)
        state = (status or {}).get("state") or {}
        ran_before = "terminated" in ((status or {}).get("lastState") or {})
        if request.flag("previous"):
            if not ran_before:
                raise BadRequest(f'previous terminated container "{container}" in pod "{name}" not found')
        elif status is None or ("waiting" in state and not ran_before):
            # A crash-looping container serves the log of its last run, as the kubelet does. One buffer holds
            # every run of a container, so `previous` and the current run read the same lines.
            reason = (state.get("waiting") or {}).get("reason", "ContainerCreating")
            raise BadRequest(f'container "{container}" in pod "{name}" is waiting to start: {reason}')
        key = (namespace, name, container)
        timestamps = request.flag("timestamps")
        since = since_time(since_seconds or None, request.param("sinceTime") or None)
        lines = self.logs.read(key, tail if tail is not None and tail >= 0 else None, since,
                               previous=request.flag("previous"))
        text = "".join(line.render(timestamps) + "\n" for line in lines).encode()
        if limit is not None and limit >= 0:
            text = text[:limit]
        if not request.flag("follow"):
            return Response(200, text, "text/plain")
        request.on_close(self.logs.wake)        # a departed client ends the follow at once
        return Response(200, content_type="text/plain",
                        stream=self._follow(request, rt, namespace, name, container, key, text, timestamps))

    def _follow(self, request: Request, rt: ResourceType, namespace: str, name: str, container: str, key: Any,
                first: bytes, timestamps: bool) -> Iterator[bytes]:
        yield first

        def stopped() -> bool:
            current = self.server.store.get("", "pods", namespace, name)
            if current is None or request.client_gone():
                return True
            state = (_container_status(current.obj, container) or {}).get("state") or {}
            return "terminated" in state

        for line in self.logs.follow(key, self.logs.size(key), stopped):
            yield (line.render(timestamps) + "\n").encode()

    @staticmethod
    def _container(pod: dict[str, Any], requested: str) -> str:
        names = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]
        init_names = [c.get("name", "") for c in (pod.get("spec") or {}).get("initContainers") or []]
        ephemeral = [c.get("name", "") for c in (pod.get("spec") or {}).get("ephemeralContainers") or []]
        name = pod["metadata"]["name"]
        if requested:
            if requested not in names + init_names + ephemeral:
                raise BadRequest(f"container {requested} is not valid for pod {name}")
            return requested
        if len(names) == 1:
            return names[0]
        default = (pod["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
        if default in names:
            return str(default)
        raise BadRequest(f"a container name must be specified for pod {name}, choose one of: [{' '.join(names)}]"
                         + (f" or one of the init containers: [{' '.join(init_names)}]" if init_names else ""))

    # --- binding / token --------------------------------------------------------------------------------

    def bind(self, namespace: str, name: str, binding: Any) -> None:
        target = (binding or {}).get("target") or {} if isinstance(binding, dict) else {}
        node = target.get("name")
        if not node:
            raise BadRequest("Binding target must be a node")
        pods = self.server.registry.lookup("", "v1", "pods")
        assert pods is not None
        current = self.server.get(pods, namespace, name).obj
        if (current.get("spec") or {}).get("nodeName"):
            raise Conflict.with_reason("", "pods", name, f"pod {name} is already assigned to node "
                                       f"\"{current['spec']['nodeName']}\"")
        self.server.assign_node(namespace, name, str(node))

    def _token(self, namespace: str, name: str, body: Any) -> dict[str, Any]:
        accounts = self.server.registry.lookup("", "v1", "serviceaccounts")
        assert accounts is not None
        account = self.server.get(accounts, namespace, name).obj
        spec = (body or {}).get("spec") or {} if isinstance(body, dict) else {}
        seconds = int(spec.get("expirationSeconds") or 3600)
        expiry = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
        audiences = list(spec.get("audiences") or ["https://kubernetes.default.svc.cluster.local"])
        token = secrets.token_urlsafe(32)
        if self.access is not None:
            token, _expires = self.access.authenticator.tokens.issue(
                namespace, name, account["metadata"].get("uid", ""), seconds, audiences, spec.get("boundObjectRef"))
        return {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
                "metadata": {"name": name, "namespace": namespace, "creationTimestamp": None},
                "spec": {"audiences": audiences, "expirationSeconds": seconds,
                         "boundObjectRef": spec.get("boundObjectRef")},
                "status": {"token": token, "expirationTimestamp": format_time(expiry)}}

    # --- create-only kinds ------------------------------------------------------------------------------

    def virtual_create(self, rt: ResourceType, namespace: str, body: Any) -> dict[str, Any] | None:
        """Answer access/token reviews and bindings (never stored); None for ordinary kinds."""
        if not isinstance(body, dict):
            return None
        if self.access is not None and rt.group in ("authorization.k8s.io", "authentication.k8s.io"):
            answer = self.access.review(rt, namespace, body)
            if answer is not None:
                return answer
        if rt.group == "authorization.k8s.io":
            return _review(rt, body, {"allowed": True, "reason": "the embedded cluster allows every request"}
                           if rt.plural != "selfsubjectrulesreviews" else _all_rules())
        if rt.group == "authentication.k8s.io" and rt.plural == "selfsubjectreviews":
            return _review(rt, body, {"userInfo": ADMIN_USER})
        if rt.group == "authentication.k8s.io" and rt.plural == "tokenreviews":
            return _review(rt, body, {"authenticated": True, "user": ADMIN_USER, "audiences": []})
        if rt.group == "" and rt.plural == "bindings":
            name = (body.get("metadata") or {}).get("name", "")
            self.bind(namespace, name, body)
            return _success()
        return None


def _review(rt: ResourceType, body: dict[str, Any], status: dict[str, Any]) -> dict[str, Any]:
    metadata = dict(body.get("metadata") or {})
    metadata.setdefault("creationTimestamp", None)
    return {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": metadata, "spec": body.get("spec") or {},
            "status": status}


def _all_rules() -> dict[str, Any]:
    return {"resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
            "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}], "incomplete": False}


def _success() -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


def _container_status(pod: dict[str, Any], container: str) -> dict[str, Any] | None:
    status = pod.get("status") or {}
    for entry in (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or []) \
            + (status.get("ephemeralContainerStatuses") or []):
        if entry.get("name") == container:
            return dict(entry)
    return None


def scale_of(rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    """The autoscaling/v1 Scale view of a scalable object."""
    meta = obj["metadata"]
    if rt.builtin:
        spec_replicas = (obj.get("spec") or {}).get("replicas", 0)
        status_replicas = (obj.get("status") or {}).get("replicas", 0)
        selector = _selector_string((obj.get("spec") or {}).get("selector"))
    else:
        spec_path, status_path, selector_path = rt.scale_paths
        spec_replicas = dotted_value(obj, spec_path) or 0
        status_replicas = dotted_value(obj, status_path) or 0
        selector = str(dotted_value(obj, selector_path) or "") if selector_path else ""
    status: dict[str, Any] = {"replicas": status_replicas}
    if selector:
        status["selector"] = selector
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {"name": meta["name"], "namespace": meta.get("namespace", ""), "uid": meta.get("uid"),
                         "resourceVersion": meta.get("resourceVersion"),
                         "creationTimestamp": meta.get("creationTimestamp")},
            "spec": {"replicas": spec_replicas}, "status": status}


def _selector_string(selector: Any) -> str:
    if not isinstance(selector, dict):
        return ""
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        return str(selector_from_set({str(k): str(v) for k, v in selector.items()}))
    try:
        parsed = selector_from_label_selector(selector)
    except SelectorError:
        return ""
    return str(parsed) if parsed is not None else ""
