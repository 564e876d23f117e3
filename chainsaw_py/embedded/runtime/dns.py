"""A small DNS server for pods that have a network namespace of their own (``netns.py``): cluster names only.

Each pod's namespace gets a UDP socket at ``NAMESERVER:53`` (created inside it, read by this process), named in
the pod's ``/etc/resolv.conf`` with the kubelet's search domains. One thread answers every pod from
:class:`ClusterNames` — as CoreDNS's kubernetes plugin does for:

- ``<svc>.<ns>.svc.cluster.local`` A: the Service's address (the service router's), or for a headless Service
  (``clusterIP: None``) its ready pods' IPs;
- ``<hostname>.<subdomain>.<ns>.svc.cluster.local`` A: a pod with that ``hostname`` and ``subdomain``;
- ``<a-b-c-d>.<ns>.pod.cluster.local`` A: that IP;
- ``_<port name>._<protocol>.<svc>.<ns>.svc.cluster.local`` SRV: the Service's named port, with the Service's
  name as target (each pod's name for a headless Service).

Any other name is ``NXDOMAIN`` (the pod's network has no route out); a known name asked for another type gets an
empty answer. Only UDP; an answer is cut to fit 512 bytes.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chainsaw_py.embedded.runtime.selecting import SocketLoop
from chainsaw_py.embedded.runtime.services import CLUSTER_DOMAIN, target_port

log = logging.getLogger("chainsaw_py.embedded.runtime")

NAMESERVER = "127.0.0.10"
"""The nameserver's address inside every pod's namespace (loopback there: no route needed)."""
_TYPE_A, _TYPE_SRV = 1, 33
_CLASS_IN = 1
_TTL = 5
_MAX_UDP = 512
_NXDOMAIN, _FORMERR, _NOERROR = 3, 1, 0


def resolv_conf(namespace: str, spec: dict[str, Any]) -> str | None:
    """The pod's ``/etc/resolv.conf`` as the kubelet writes it: the cluster's nameserver and search domains for
    ``dnsPolicy: ClusterFirst`` (the default; ``ClusterFirstWithHostNet`` too), ``dnsConfig`` alone for ``None``,
    with ``dnsConfig``'s additions; None for ``Default`` (the host's file)."""
    policy = str(spec.get("dnsPolicy") or "ClusterFirst")
    if policy == "Default":
        return None
    config = spec.get("dnsConfig") or {}
    servers = [str(s) for s in config.get("nameservers") or []]
    searches = [str(s) for s in config.get("searches") or []]
    options = [f"{o['name']}:{o['value']}" if o.get("value") is not None else str(o.get("name", ""))
               for o in config.get("options") or [] if o.get("name")]
    if policy != "None":
        servers = [NAMESERVER, *servers]
        searches = [f"{namespace}.svc.{CLUSTER_DOMAIN}", f"svc.{CLUSTER_DOMAIN}", CLUSTER_DOMAIN, *searches]
        if not any(option.startswith("ndots") for option in options):
            options = ["ndots:5", *options]
    lines = [f"nameserver {server}" for server in servers[:3]]
    if searches:
        lines.append("search " + " ".join(searches[:32]))
    if options:
        lines.append("options " + " ".join(options))
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Record:
    kind: int                      # _TYPE_A or _TYPE_SRV
    address: str = ""              # A
    port: int = 0                  # SRV
    target: str = ""               # SRV


class ClusterNames:
    """Names to records, from the cluster's state through plain callables (never the server itself)."""

    def __init__(self, services: Callable[[str], list[dict[str, Any]]], service_address: Callable[[str, str], str | None],
                 pods: Callable[[str], list[tuple[str, dict[str, Any], bool]]]) -> None:
        self._services = services               # namespace -> Service objects
        self._service_address = service_address  # (namespace, name) -> the router's address
        self._pods = pods                       # namespace -> (IP, pod, ready) of the pods that run as processes

    def resolve(self, name: str) -> list[Record] | None:
        """The records of ``name`` (every type); None when the name does not exist."""
        labels = name.lower().rstrip(".").split(".")
        suffix = CLUSTER_DOMAIN.split(".")
        if labels[-len(suffix):] != suffix or len(labels) < len(suffix) + 2:
            return None
        labels = labels[:-len(suffix)]
        if labels[-1] == "pod" and len(labels) == 3:
            address = labels[0].replace("-", ".")
            return [Record(_TYPE_A, address)] if _is_ipv4(address) else None
        if labels[-1] != "svc" or len(labels) < 3:
            return None
        namespace, rest = labels[-2], labels[:-2]
        service = next((s for s in self._services(namespace) if (s.get("metadata") or {}).get("name") == rest[-1]),
                       None)
        if service is None:
            return None
        if len(rest) == 1:
            return self._service_records(namespace, service)
        if len(rest) == 3 and rest[0].startswith("_") and rest[1].startswith("_"):
            return self._srv_records(namespace, service, rest[0][1:], rest[1][1:])
        if len(rest) == 2:
            return [Record(_TYPE_A, ip) for ip, _pod, _ready in self._members(namespace, service)
                    if _pod_host(_pod) == rest[0]] or None
        return None

    def _headless(self, service: dict[str, Any]) -> bool:
        return str((service.get("spec") or {}).get("clusterIP") or "") == "None"

    def _members(self, namespace: str, service: dict[str, Any]) -> list[tuple[str, dict[str, Any], bool]]:
        """The pods behind ``service``: selected by it, or (a pod's subdomain) named after it."""
        selector = (service.get("spec") or {}).get("selector") or {}
        name = (service.get("metadata") or {}).get("name")
        found = []
        for ip, pod, ready in self._pods(namespace):
            labels = pod["metadata"].get("labels") or {}
            if (selector and all(labels.get(k) == v for k, v in selector.items())) \
                    or (pod.get("spec") or {}).get("subdomain") == name:
                found.append((ip, pod, ready))
        return found

    def _service_records(self, namespace: str, service: dict[str, Any]) -> list[Record]:
        if self._headless(service):
            return [Record(_TYPE_A, ip) for ip, _pod, ready in self._members(namespace, service) if ready]
        address = self._service_address(namespace, str(service["metadata"]["name"]))
        return [Record(_TYPE_A, address)] if address else []

    def _srv_records(self, namespace: str, service: dict[str, Any], port_name: str,
                     protocol: str) -> list[Record] | None:
        name = str(service["metadata"]["name"])
        port = next((p for p in (service.get("spec") or {}).get("ports") or []
                     if str(p.get("name", "")).lower() == port_name
                     and str(p.get("protocol") or "TCP").lower() == protocol), None)
        if port is None:
            return None
        base = f"{name}.{namespace}.svc.{CLUSTER_DOMAIN}"
        if not self._headless(service):
            return [Record(_TYPE_SRV, port=int(port.get("port") or 0), target=base)]
        return [Record(_TYPE_SRV, port=target_port(port, pod), target=f"{_pod_host(pod) or ip.replace('.', '-')}.{base}")
                for ip, pod, ready in self._members(namespace, service) if ready]


def _pod_host(pod: dict[str, Any]) -> str:
    spec = pod.get("spec") or {}
    return str(spec.get("hostname") or "") if spec.get("subdomain") else ""


def _is_ipv4(text: str) -> bool:
    try:
        socket.inet_aton(text)
    except OSError:
        return False
    return text.count(".") == 3


# --------------------------------------------------------------------------------------- wire format


def _read_name(message: bytes, offset: int) -> tuple[str, int]:
    labels: list[str] = []
    while True:
        if offset >= len(message):
            raise ValueError("name past the end")
        length = message[offset]
        if length == 0:
            return ".".join(labels), offset + 1
        if length & 0xC0:
            raise ValueError("compressed question name")   # questions are never compressed by stub resolvers
        labels.append(message[offset + 1:offset + 1 + length].decode("ascii", "replace"))
        offset += 1 + length


def _name(text: str) -> bytes:
    encoded = b""
    for label in text.rstrip(".").split("."):
        raw = label.encode("ascii", "replace")[:63]
        encoded += bytes([len(raw)]) + raw
    return encoded + b"\x00"


def answer(query: bytes, names: ClusterNames) -> bytes | None:
    """The response to a DNS query (None: not worth an answer)."""
    if len(query) < 12:
        return None
    ident, flags, questions = struct.unpack("!HHH", query[:6])
    if flags & 0x8000:
        return None   # a response, not a query
    recursion = flags & 0x0100
    if questions != 1:
        return struct.pack("!HHHHHH", ident, 0x8000 | recursion | _FORMERR, 0, 0, 0, 0)
    try:
        name, end = _read_name(query, 12)
        qtype, qclass = struct.unpack("!HH", query[end:end + 4])
    except (ValueError, struct.error):
        return struct.pack("!HHHHHH", ident, 0x8000 | recursion | _FORMERR, 0, 0, 0, 0)
    question = query[12:end + 4]
    records = names.resolve(name)
    code = _NXDOMAIN if records is None else _NOERROR
    answers = b""
    count = 0
    for record in records or []:
        if record.kind != qtype or qclass != _CLASS_IN:
            continue
        if record.kind == _TYPE_A:
            data = socket.inet_aton(record.address)
        else:
            data = struct.pack("!HHH", 0, 100, record.port) + _name(record.target)
        entry = b"\xc0\x0c" + struct.pack("!HHIH", record.kind, _CLASS_IN, _TTL, len(data)) + data
        if 12 + len(question) + len(answers) + len(entry) > _MAX_UDP:
            break
        answers += entry
        count += 1
    header = struct.pack("!HHHHHH", ident, 0x8000 | 0x0400 | recursion | 0x0080 | code, 1, count, 0, 0)
    return header + question + answers


# --------------------------------------------------------------------------------------- the server


class DnsServer:
    """Answers the queries of every pod's DNS socket from one thread."""

    def __init__(self, names: ClusterNames) -> None:
        self._names = names
        self._sockets: dict[str, socket.socket] = {}
        self._lock = threading.Lock()
        self._stopped = False
        self._loop = SocketLoop("pod-dns", lambda sock, _owner: self._answer(sock))

    def add(self, owner: str, sock: socket.socket) -> bool:
        """Serve ``sock`` (a UDP socket made in a pod's namespace) for ``owner``; False when it cannot be bound."""
        try:
            sock.bind((NAMESERVER, 53))
            sock.setblocking(False)
        except OSError as err:
            log.warning("pod %s: no DNS server in its network: %s", owner, err)
            sock.close()
            return False
        with self._lock:
            if self._stopped:
                sock.close()
                return False
            old = self._sockets.pop(owner, None)
            if old is not None:
                self._loop.close(old)
            self._sockets[owner] = sock
            self._loop.watch(sock, owner)
        return True

    def remove(self, owner: str) -> None:
        with self._lock:
            sock = self._sockets.pop(owner, None)
            if sock is not None:
                self._loop.close(sock)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            for sock in self._sockets.values():
                self._loop.close(sock)
            self._sockets.clear()
        self._loop.stop()

    def _answer(self, sock: socket.socket) -> None:
        try:
            query, peer = sock.recvfrom(4096)
        except OSError:
            return
        try:
            response = answer(query, self._names)
        except Exception:
            log.exception("pod DNS: cannot answer a query")
            return
        if response is not None:
            with contextlib.suppress(OSError):
                sock.sendto(response, peer)
