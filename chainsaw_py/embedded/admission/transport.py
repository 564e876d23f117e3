"""Calling a webhook over HTTPS: ``clientConfig.url`` as given, or ``clientConfig.service`` resolved to a ready
endpoint of the Service (for a server on this host, an EndpointSlice or Endpoints address on 127.0.0.0/8).

The TLS peer is verified with ``caBundle`` (the system roots when it is empty) against the URL's host name, or
``<service>.<namespace>.svc`` for a Service, as the apiserver does. Failures are returned as Go-style texts
(``Post "https://...": dial tcp ...: connect: connection refused``) for the apiserver's error messages.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import json
import socket
import ssl
import urllib.parse
from dataclasses import dataclass
from typing import Any

from chainsaw_py.embedded.store import Store

_MAX_RESPONSE_BYTES = 3 * 1024 * 1024


class CallFailed(Exception):
    """The webhook could not be called or did not answer usably (``ErrCallingWebhook``'s reason)."""


@dataclass(frozen=True)
class Target:
    url: str             # what error messages show
    address: str         # where to connect
    port: int
    server_name: str     # TLS name to verify
    path_and_query: str
    ca_bundle: bytes | None


def resolve(client_config: dict[str, Any], store: Store, timeout_seconds: int) -> Target:
    ca_bundle = _ca_bundle(client_config.get("caBundle"))
    query = f"timeout={timeout_seconds}s"
    if client_config.get("url"):
        url = str(client_config["url"])
        parsed = urllib.parse.urlsplit(url)
        separator = "&" if parsed.query else "?"
        full = url + separator + query
        path = (parsed.path or "/") + "?" + (parsed.query + "&" if parsed.query else "") + query
        host = parsed.hostname or ""
        return Target(full, host, parsed.port or 443, host, path, ca_bundle)
    service = client_config.get("service") or {}
    name, namespace = str(service.get("name", "")), str(service.get("namespace", ""))
    port = int(service["port"]) if isinstance(service.get("port"), int) else 443
    path = str(service.get("path") or "/")
    server_name = f"{name}.{namespace}.svc"
    url = f"https://{server_name}:{port}{path}?{query}"
    address, target_port = _service_endpoint(store, namespace, name, port, url)
    return Target(url, address, target_port, server_name, f"{path}?{query}", ca_bundle)


def _ca_bundle(value: Any) -> bytes | None:
    if not value:
        return None
    try:
        return base64.b64decode(str(value), validate=True)
    except ValueError:
        raise CallFailed("failed to call webhook: invalid caBundle") from None


def _service_endpoint(store: Store, namespace: str, name: str, port: int, url: str) -> tuple[str, int]:
    stored = store.get("", "services", namespace, name)
    if stored is None:
        raise CallFailed(f'failed to call webhook: Post "{url}": service "{name}" not found')
    spec = stored.obj.get("spec") or {}
    service_port = next((entry for entry in spec.get("ports") or [] if int(entry.get("port", 0)) == port), None)
    if service_port is None:
        raise CallFailed(f'failed to call webhook: Post "{url}": no service port {port} found for service "{name}"')
    for address, endpoint_port in _ready_endpoints(store, namespace, name, service_port):
        if _is_loopback(address):
            return address, endpoint_port
    raise CallFailed(f'failed to call webhook: Post "{url}": no endpoints available for service "{name}"')


def _ready_endpoints(store: Store, namespace: str, name: str, service_port: dict[str, Any]) -> list[tuple[str, int]]:
    port_name = str(service_port.get("name") or "")
    target = service_port.get("targetPort", service_port.get("port"))
    default_port = int(str(target)) if str(target).isdigit() else int(service_port["port"])
    found: list[tuple[str, int]] = []
    slices, _rv = store.list("discovery.k8s.io", "endpointslices", namespace)
    for item in slices:
        labels = (item.obj.get("metadata") or {}).get("labels") or {}
        if labels.get("kubernetes.io/service-name") != name:
            continue
        ports = item.obj.get("ports") or []
        number = next((int(p["port"]) for p in ports if str(p.get("name") or "") == port_name and p.get("port")),
                      default_port)
        for endpoint in item.obj.get("endpoints") or []:
            if (endpoint.get("conditions") or {}).get("ready") is False:
                continue
            found += [(str(address), number) for address in endpoint.get("addresses") or []]
    endpoints = store.get("", "endpoints", namespace, name)
    for subset in (endpoints.obj.get("subsets") or []) if endpoints else []:
        ports = subset.get("ports") or []
        number = next((int(p["port"]) for p in ports if str(p.get("name") or "") == port_name and p.get("port")),
                      default_port)
        found += [(str(address.get("ip")), number) for address in subset.get("addresses") or []]
    return found


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address == "localhost"


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to ``address`` but verifies the certificate for ``host`` (the Service's DNS name)."""

    def __init__(self, target: Target, context: ssl.SSLContext, timeout: float) -> None:
        super().__init__(target.server_name, target.port, timeout=timeout, context=context)
        self._address = target.address
        self._tls = context

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def post_json(target: Target, body: dict[str, Any], timeout: float) -> dict[str, Any]:
    """POST ``body``; the decoded JSON answer, or CallFailed with the apiserver's wording."""
    context = ssl.create_default_context(cadata=target.ca_bundle.decode("ascii", "replace")) \
        if target.ca_bundle else ssl.create_default_context()
    connection = _PinnedHTTPSConnection(target, context, timeout)
    payload = json.dumps(body, separators=(",", ":")).encode()
    prefix = f'failed to call webhook: Post "{target.url}": '
    try:
        connection.request("POST", target.path_and_query, payload, {
            "Content-Type": "application/json", "Accept": "application/json, */*"})
        response = connection.getresponse()
        data = response.read(_MAX_RESPONSE_BYTES + 1)
    except TimeoutError:
        raise CallFailed(prefix + "context deadline exceeded") from None
    except ssl.SSLCertVerificationError as err:
        raise CallFailed(prefix + f"tls: failed to verify certificate: x509: {err.verify_message}") from None
    except ConnectionRefusedError:
        raise CallFailed(prefix + f"dial tcp {target.address}:{target.port}: connect: connection refused") from None
    except (OSError, http.client.HTTPException) as err:
        raise CallFailed(prefix + str(err)) from None
    finally:
        connection.close()
    if len(data) > _MAX_RESPONSE_BYTES:
        raise CallFailed("failed to call webhook: response body too large")
    if not 200 <= response.status < 300:
        raise CallFailed(f"failed to call webhook: an error on the server (\"{data[:200].decode(errors='replace')}\") "
                         "has prevented the request from succeeding")
    try:
        decoded = json.loads(data)
    except ValueError as err:
        raise CallFailed(f"failed to call webhook: {err}") from None
    if not isinstance(decoded, dict):
        raise CallFailed("failed to call webhook: the response is not a JSON object")
    return decoded
