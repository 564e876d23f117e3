"""Connect subresources (``exec``, ``attach``, ``portforward``, ``proxy``) of pods, services and nodes.

The simulated pods run no processes, so these answer the way a real cluster answers when the container is not
running: the apiserver's own checks first (container name, host assigned, ``Upgrade request required``), then
what the kubelet says (``container not found ("main")`` for exec/attach, ``pod not found`` for port-forward),
and for proxies the apiserver's ``error trying to reach service`` after a refused connection. Clients fail at
once with the message they would print against a real cluster.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import replace
from typing import Any

from chainsaw_py.embedded.apierrors import ApiError, BadRequest, NotFound
from chainsaw_py.embedded.apiserver import ApiServer
from chainsaw_py.embedded.httpserver import Request, Response
from chainsaw_py.embedded.resources import ResourceType
from chainsaw_py.embedded.runtime.access import forward_http

CONNECT_SUBRESOURCES = ("exec", "attach", "portforward", "proxy")
KUBELET_PORT = 10250
_STREAMING = ("exec", "attach", "portforward")


class ServiceUnavailable(ApiError):
    code = 503
    reason = "ServiceUnavailable"


def connect(server: ApiServer, request: Request, rt: ResourceType, namespace: str, name: str,
            subresource: str) -> Response:
    """Answer a connect request for an object whose processes do not run (after CONNECT admission)."""
    server.admit_connect(rt, namespace, _split_target(name)[0], subresource,
                         connect_options(rt, subresource, request))
    if rt.plural == "pods" and subresource in _STREAMING:
        return _pod_stream(server, request, rt, namespace, name, subresource)
    if subresource == "proxy" and rt.plural == "services":
        forwarded = _forward_to_loopback(server, request, rt, namespace, name)
        if forwarded is not None:
            return forwarded
    if subresource == "proxy" and rt.plural in ("pods", "services", "nodes"):
        raise ServiceUnavailable(f"error trying to reach service: {_proxy_failure(server, rt, namespace, name)}")
    raise NotFound.generic()


_OPTIONS_KINDS = {"exec": "PodExecOptions", "attach": "PodAttachOptions", "portforward": "PodPortForwardOptions"}
_PROXY_KINDS = {"pods": "PodProxyOptions", "services": "ServiceProxyOptions", "nodes": "NodeProxyOptions"}


def connect_options(rt: ResourceType, subresource: str, request: Request) -> dict[str, Any]:
    """The options object CONNECT admission sees (PodExecOptions, PodProxyOptions, ...)."""
    kind = _OPTIONS_KINDS.get(subresource) if subresource != "proxy" else _PROXY_KINDS.get(rt.plural)
    options: dict[str, Any] = {"kind": kind or "", "apiVersion": "v1"}
    if subresource in ("exec", "attach"):
        for flag in ("stdin", "stdout", "stderr", "tty"):
            if request.flag(flag):
                options[flag] = True
        if request.param("container"):
            options["container"] = request.param("container")
        if subresource == "exec":
            options["command"] = list(request.query.get("command") or [])
    elif subresource == "portforward":
        options["ports"] = [int(port) for port in request.query.get("ports") or [] if port.isdigit()]
    return options


def _pod_stream(server: ApiServer, request: Request, rt: ResourceType, namespace: str, name: str,
                subresource: str) -> Response:
    pod = server.get(rt, namespace, name).obj
    spec = pod.get("spec") or {}
    container = ""
    if subresource != "portforward":
        container = _container_name(pod, request.param("container"))
    if not spec.get("nodeName"):
        raise BadRequest(f"pod {name} does not have a host assigned")
    if not _is_upgrade(request):
        raise BadRequest("Upgrade request required")
    if subresource == "portforward":
        message = f'pod not found ("{name}_{namespace}")'
    else:
        message = f'container not found ("{container}")'
    # the kubelet's answer, relayed unchanged by the apiserver's upgrade-aware proxy
    return Response(500, message.encode(), "text/plain; charset=utf-8")


def _container_name(pod: dict[str, Any], requested: str) -> str:
    spec, name = pod.get("spec") or {}, pod["metadata"]["name"]
    containers = [c.get("name", "") for c in spec.get("containers") or []]
    init = [c.get("name", "") for c in spec.get("initContainers") or []]
    ephemeral = [c.get("name", "") for c in spec.get("ephemeralContainers") or []]
    if not requested:
        if len(containers) == 1:
            return containers[0]
        message = f"a container name must be specified for pod {name}, choose one of: [{' '.join(containers)}]"
        if init:
            message += f" or one of the init containers: [{' '.join(init)}]"
        if ephemeral:
            message += f" or one of the ephemeral containers: [{' '.join(ephemeral)}]"
        raise BadRequest(message)
    if requested not in containers + init + ephemeral:
        raise BadRequest(f"container {requested} is not valid for pod {name}")
    return requested


def _is_upgrade(request: Request) -> bool:
    return "upgrade" in request.header("connection").lower() and bool(request.header("upgrade"))


def _split_target(name: str) -> tuple[str, str]:
    """``name``, ``name:port`` or ``scheme:name:port`` -> (name, port)."""
    parts = name.split(":")
    if len(parts) == 3:
        return parts[1], parts[2]
    if len(parts) == 2:
        return parts[0], parts[1]
    return name, ""


def _proxy_failure(server: ApiServer, rt: ResourceType, namespace: str, target: str) -> str:
    name, port = _split_target(target)
    obj = server.get(rt, namespace, name).obj
    if rt.plural == "nodes":
        addresses = (obj.get("status") or {}).get("addresses") or []
        internal = [a.get("address", "") for a in addresses if a.get("type") == "InternalIP"]
        return _refused(internal[0] if internal else name, port or str(KUBELET_PORT))
    if rt.plural == "pods":
        ip = (obj.get("status") or {}).get("podIP") or ""
        if not ip:
            raise BadRequest("address not allowed")
        return _refused(ip, port or "80")
    return _service_failure(server, obj, port)


def _service_failure(server: ApiServer, service: dict[str, Any], port: str) -> str:
    return _refused(*_service_endpoint(server, service, port))


def _forward_to_loopback(server: ApiServer, request: Request, rt: ResourceType, namespace: str,
                         target: str) -> Response | None:
    """A service whose endpoint listens on the host's loopback — the ``kubernetes`` service (the API server
    itself), a webhook or operator run on the host — is proxied to, as the apiserver dials a real endpoint. The
    request goes on without the caller's credentials (the apiserver's authentication drops them), so the API
    server sees it as anonymous."""
    name, port = _split_target(target)
    host, endpoint_port = _service_endpoint(server, server.get(rt, namespace, name).obj, port)
    if not _is_loopback(host) or not _listening(host, int(endpoint_port)):
        return None
    scheme = target.split(":")[0] if target.count(":") == 2 else "http"
    rest = request.path.partition(f"/{target}/proxy")[2] or "/"
    headers = {key: value for key, value in request.headers.items() if not key.startswith("impersonate-")}
    return forward_http(replace(request, headers=headers), scheme, host, int(endpoint_port), rest)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _service_endpoint(server: ApiServer, service: dict[str, Any], port: str) -> tuple[str, str]:
    """The endpoint a service proxy would dial: the service port named (or numbered) ``port``, by its name."""
    meta = service["metadata"]
    service_ports = (service.get("spec") or {}).get("ports") or []
    wanted = [p.get("name", "") for p in service_ports if port in ("", p.get("name", ""), str(p.get("port")))]
    stored = server.store.get("", "endpoints", meta.get("namespace", ""), meta["name"])
    for subset in (stored.obj.get("subsets") or []) if stored else []:
        addresses = subset.get("addresses") or []
        for endpoint_port in subset.get("ports") or []:
            if addresses and endpoint_port.get("name", "") in wanted[:1]:
                return addresses[0].get("ip", ""), str(endpoint_port.get("port"))
    raise ServiceUnavailable(f'no endpoints available for service "{meta["name"]}"')


def _refused(host: str, port: str) -> str:
    return f"dial tcp {host}:{port}: connect: connection refused"
