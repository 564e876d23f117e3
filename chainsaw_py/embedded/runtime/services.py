"""Services in front of pods that run as processes: a userspace kube-proxy and the names pods resolve.

Cluster IPs (10.96.x.y) are not routed to this host, so each Service with a selector gets a loopback address
of its own (127.x.y.z, like pod IPs) on which every TCP port of the Service accepts connections and forwards
each one to a ready pod that runs as processes (round robin), at the port's ``targetPort`` (a number or a
container port's name). ``<SVC>_SERVICE_HOST`` variables and the pods' ``/etc/hosts`` entries
(``<svc>``, ``<svc>.<ns>``, ``<svc>.<ns>.svc``, ``<svc>.<ns>.svc.cluster.local``) give that address.
"""

from __future__ import annotations

import contextlib
import ipaddress
import itertools
import logging
import queue
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chainsaw_py.embedded.runtime.netns import Dial, host_dial, splice

log = logging.getLogger("chainsaw_py.embedded.runtime")

_MAX_CONNECTIONS = 256        # per Service port at once
_CONNECT_TIMEOUT = 5.0
_ACCEPT_POLL = 0.5
CLUSTER_DOMAIN = "cluster.local"

Endpoints = Callable[[str, dict[str, str]], list[tuple[str, dict[str, Any]]]]
"""(namespace, selector) -> (pod IP, pod) of the ready pods that run as processes."""


def target_port(port: dict[str, Any], pod: dict[str, Any]) -> int:
    """The pod's port a Service port sends to: ``targetPort`` as a number, or the container port of that name."""
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    for container in (pod.get("spec") or {}).get("containers") or []:
        for entry in container.get("ports") or []:
            if entry.get("name") == target:
                return int(entry.get("containerPort") or 0)
    text = str(target)
    return int(text) if text.isdigit() else 0


def _cluster_ip(spec: dict[str, Any]) -> str:
    """The Service's IPv4 cluster IP ("" when headless or not one)."""
    try:
        address = ipaddress.ip_address(str(spec.get("clusterIP") or ""))
    except ValueError:
        return ""
    return str(address) if address.version == 4 else ""


def host_names(name: str, namespace: str, same_namespace: bool) -> list[str]:
    names = [f"{name}.{namespace}.svc.{CLUSTER_DOMAIN}", f"{name}.{namespace}.svc", f"{name}.{namespace}"]
    return names + [name] if same_namespace else names


@dataclass
class _Listener:
    sock: socket.socket
    port: dict[str, Any]
    slots: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(_MAX_CONNECTIONS))


@dataclass
class _Route:
    namespace: str
    name: str
    address: str
    selector: dict[str, str]
    spec: tuple[Any, Any]          # (selector, ports) as written: what the routing depends on
    listeners: list[_Listener] = field(default_factory=list)
    headless: bool = False         # clusterIP: None (a cluster DNS gives its pods' IPs instead)
    cluster_ip: str = ""           # spec.clusterIP as the API assigned it (routed pods reach it too)
    turn: itertools.count[int] = field(default_factory=itertools.count)


class ServiceRouter:
    """Loopback addresses and forwarders for Services; fed with the Services' changes (:meth:`changed`), applied
    by one thread in order."""

    def __init__(self, allocate: Callable[[], str], release: Callable[[str | None], None], endpoints: Endpoints,
                 on_change: Callable[[str], None], dial: Dial = host_dial) -> None:
        self._allocate, self._release, self._endpoints, self._on_change = allocate, release, endpoints, on_change
        self._dial = dial
        self._routes: dict[tuple[str, str], _Route] = {}
        self._lock = threading.Lock()
        self._changes: queue.SimpleQueue[tuple[str, str, dict[str, Any] | None] | None] = queue.SimpleQueue()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._apply_changes, name="service-router", daemon=True)
        self._thread.start()

    def changed(self, namespace: str, name: str, service: dict[str, Any] | None) -> None:
        """A Service was written (``service``) or deleted (None)."""
        if not self._stopped.is_set():
            self._changes.put((namespace, name, service))

    def address(self, namespace: str, name: str) -> str | None:
        with self._lock:
            route = self._routes.get((namespace, name))
        return route.address if route is not None else None

    def hosts_entries(self, namespace: str, headless: bool = True) -> list[str]:
        """``/etc/hosts`` lines for the routed Services, as seen from a pod of ``namespace`` (without the headless
        ones unless ``headless``: a pod with the cluster's DNS resolves them to their pods)."""
        with self._lock:
            routes = sorted((r for r in self._routes.values() if headless or not r.headless),
                            key=lambda r: (r.namespace, r.name))
        return [f"{route.address}\t{' '.join(host_names(route.name, route.namespace, route.namespace == namespace))}"
                for route in routes]

    def listening(self) -> list[tuple[str, int]]:
        """The (address, port) pairs the routed Services listen on."""
        with self._lock:
            routes = list(self._routes.values())
        return [(route.address, int(listener.port.get("port") or 0)) for route in routes
                for listener in route.listeners]

    def cluster_listening(self) -> list[tuple[str, int]]:
        """The (cluster IP, port) pairs of the routed Services (reached at :meth:`address` here)."""
        with self._lock:
            routes = [route for route in self._routes.values() if route.cluster_ip]
        return [(route.cluster_ip, int(listener.port.get("port") or 0)) for route in routes
                for listener in route.listeners]

    def address_of_cluster_ip(self, ip: str) -> str | None:
        """The address here of the routed Service whose cluster IP is ``ip``."""
        with self._lock:
            return next((route.address for route in self._routes.values() if route.cluster_ip == ip), None)

    def target_ports(self, namespace: str, labels: dict[str, str]) -> set[int]:
        """The numeric target ports of the routed Services of ``namespace`` whose selector matches ``labels``."""
        with self._lock:
            routes = [route for route in self._routes.values() if route.namespace == namespace
                      and all(labels.get(key) == value for key, value in route.selector.items())]
        found = {str(port.get("targetPort", port.get("port", ""))) for route in routes for port in route.spec[1] or []
                 if str(port.get("protocol") or "TCP") == "TCP"}
        return {int(port) for port in found if port.isdigit()}

    def stop(self) -> None:
        self._stopped.set()
        self._changes.put(None)
        self._thread.join(5)
        with self._lock:
            routes, self._routes = list(self._routes.values()), {}
        for route in routes:
            self._close(route)

    # --- changes ----------------------------------------------------------------------------------------

    def _apply_changes(self) -> None:
        while (change := self._changes.get()) is not None:
            try:
                self._apply(*change)
            except Exception:
                log.exception("service %s/%s: cannot route it", change[0], change[1])

    def _apply(self, namespace: str, name: str, service: dict[str, Any] | None) -> None:
        spec = (service or {}).get("spec") or {}
        with self._lock:
            old = self._routes.get((namespace, name))
            if old is not None and service is not None and old.spec == (spec.get("selector"), spec.get("ports")):
                return   # a change that does not touch the routing (labels, status)
        if old is not None:
            self._close(old)
            with self._lock:
                self._routes.pop((namespace, name), None)
        routed = service is not None and spec.get("selector") and spec.get("type", "ClusterIP") != "ExternalName" \
            and any(str(p.get("protocol") or "TCP") == "TCP" for p in spec.get("ports") or [])
        if routed and not self._stopped.is_set():
            route = _Route(namespace, name, old.address if old is not None else self._allocate(),
                           {str(k): str(v) for k, v in spec["selector"].items()},
                           (spec.get("selector"), spec.get("ports")), headless=spec.get("clusterIP") == "None",
                           cluster_ip=_cluster_ip(spec))
            self._open(route, spec.get("ports") or [])
            with self._lock:
                self._routes[(namespace, name)] = route
        elif old is not None:
            self._release(old.address)
        if old is not None or routed:
            self._on_change(namespace)

    def _open(self, route: _Route, ports: list[dict[str, Any]]) -> None:
        for port in ports:
            if str(port.get("protocol") or "TCP") != "TCP":
                continue
            try:
                sock = socket.create_server((route.address, int(port.get("port") or 0)))
            except OSError as err:
                log.warning("service %s/%s: cannot listen on %s:%s: %s", route.namespace, route.name, route.address,
                            port.get("port"), err)
                continue
            sock.settimeout(_ACCEPT_POLL)
            listener = _Listener(sock, port)
            route.listeners.append(listener)
            threading.Thread(target=self._accept, args=(route, listener), daemon=True,
                             name=f"service-{route.namespace}/{route.name}:{port.get('port')}").start()

    def _close(self, route: _Route) -> None:
        for listener in route.listeners:
            with contextlib.suppress(OSError):
                listener.sock.shutdown(socket.SHUT_RDWR)   # wakes the accepting thread at once (Linux)
            with contextlib.suppress(OSError):
                listener.sock.close()

    # --- forwarding -------------------------------------------------------------------------------------

    def _accept(self, route: _Route, listener: _Listener) -> None:
        while not self._stopped.is_set():
            try:
                client, _peer = listener.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not listener.slots.acquire(blocking=False):
                client.close()
                continue
            threading.Thread(target=self._serve, args=(route, listener, client), daemon=True).start()

    def _serve(self, route: _Route, listener: _Listener, client: socket.socket) -> None:
        try:
            upstream = self._connect(route, listener.port)
            if upstream is None:
                return
            with upstream:
                splice(client, upstream)
        finally:
            client.close()
            listener.slots.release()

    def _connect(self, route: _Route, port: dict[str, Any]) -> socket.socket | None:
        """A connection to one of the ready endpoints (tried in turn); None when none answers."""
        endpoints = self._endpoints(route.namespace, route.selector)
        if not endpoints:
            return None
        start = next(route.turn)
        for index in range(len(endpoints)):
            ip, pod = endpoints[(start + index) % len(endpoints)]
            with contextlib.suppress(OSError):
                upstream = self._dial(ip, target_port(port, pod), _CONNECT_TIMEOUT)
                upstream.settimeout(None)
                return upstream
        return None

