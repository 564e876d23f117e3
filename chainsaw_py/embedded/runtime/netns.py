"""A network namespace per pod that runs as processes, so that programs binding ``0.0.0.0`` do not clash.

A pod's namespace is made by a short-lived thread that ``unshare(CLONE_NEWNET)``s, brings ``lo`` up (so
127.0.0.0/8, the pod IP included, is local inside) and opens ``/proc/thread-self/ns/net``: that descriptor is the
pod's "pause" holder. Containers (and commands exec'd in them) join it in their launcher (``podview.py``, given
the descriptor); the namespace goes when the descriptor and the last socket and process in it are gone.

A socket belongs to the namespace it was created in, whoever uses it later. So the runtime reaches into a pod by
creating a socket from a thread that has ``setns()``'d into the pod's namespace (:meth:`PodNetwork.socket`;
:func:`dial` is the one place that connects to a pod), and a pod reaches out through listeners created the same
way inside its namespace — at the API server's and the local S3's ``127.0.0.1:port`` and, unless the pods are
routed to each other (``nodenet.py``), at each Service address and port and at other pods' IPs and declared
container ports — whose connections a :class:`Forwarder` relays to the same address and port as the runtime sees
it. Creating a network namespace needs ``CAP_SYS_ADMIN``
(root): elsewhere pods share the host's network (docs/embedded.md).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import functools
import http.client
import logging
import os
import socket
import ssl
import struct
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from chainsaw_py.embedded.runtime.selecting import SocketLoop

log = logging.getLogger("chainsaw_py.embedded.runtime")

CLONE_NEWNET = 0x40000000
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1
_MAX_CONNECTIONS = 1024        # forwarded connections at once, every pod together
MAX_LISTENERS_PER_POD = 512
_CONNECT_TIMEOUT = 5.0

Dial = Callable[[str, int, float], socket.socket]
"""(host, port, timeout) -> a connected socket; raises OSError."""
Address = tuple[str, int]
T = TypeVar("T")


class NetworkError(Exception):
    pass


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        raise NetworkError(f"{what}: {os.strerror(ctypes.get_errno())}")


def _in_thread(function: Callable[[], T], name: str) -> T:
    """``function()`` on a new thread (namespace changes stay with that thread, which then ends)."""
    result: list[T] = []
    error: list[BaseException] = []

    def run() -> None:
        try:
            result.append(function())
        except BaseException as err:   # handed to the caller
            error.append(err)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


def _bring_loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        request = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(probe, _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(probe, _SIOCSIFFLAGS, struct.pack("16sh", b"lo", flags | _IFF_UP))


def _new_namespace() -> int:
    """(On a throw-away thread.) A new network namespace with ``lo`` up; its descriptor."""
    _check(_libc().unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)")
    _bring_loopback_up()
    return os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)


class PodNetwork:
    """One pod's network namespace, held by a descriptor (:attr:`fd`, given to the containers' launcher)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._lock = threading.Lock()

    @classmethod
    def create(cls) -> PodNetwork:
        return cls(_in_thread(_new_namespace, "pod-network"))

    def inside(self, function: Callable[[], T]) -> T:
        """``function()`` on a thread that has joined the namespace: the sockets it makes and the processes it
        starts belong to the namespace."""
        def run() -> T:
            with self._lock:
                if self.fd < 0:
                    raise NetworkError("the pod's network is gone")
                _check(_libc().setns(self.fd, CLONE_NEWNET), "setns")
            return function()
        return _in_thread(run, "pod-network")

    def sockets(self, count: int = 1, kind: int = socket.SOCK_STREAM) -> list[socket.socket]:
        """``count`` sockets (TCP, or ``kind``) that live in the pod's namespace."""
        return self.inside(lambda: [socket.socket(socket.AF_INET, kind) for _ in range(count)])

    def dial(self, host: str, port: int, timeout: float) -> socket.socket:
        """A connection to ``host:port`` as seen from inside the pod."""
        sock = self.sockets()[0]
        try:
            sock.settimeout(timeout)
            sock.connect((host, port))
        except OSError:
            sock.close()
            raise
        return sock

    def close(self) -> None:
        with self._lock:
            fd, self.fd = self.fd, -1
        if fd >= 0:
            os.close(fd)


@functools.cache
def networks_supported() -> bool:
    """Whether network namespaces can be made and entered here (Linux, with ``CAP_SYS_ADMIN``)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        network = PodNetwork.create()
    except (OSError, NetworkError):
        return False
    try:
        [listener] = network.sockets()
        with listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            network.dial("127.0.0.1", listener.getsockname()[1], 2.0).close()
        return True
    except (OSError, NetworkError):
        return False
    finally:
        network.close()


def networks_wanted() -> bool:
    """``CHAINSAW_PY_POD_NETNS=0`` keeps every pod in the host's network; otherwise a namespace per pod where
    :func:`networks_supported`."""
    return os.environ.get("CHAINSAW_PY_POD_NETNS", "1") != "0" and networks_supported()


def host_dial(host: str, port: int, timeout: float) -> socket.socket:
    return socket.create_connection((host, port), timeout=timeout)


def http_connection(scheme: str, host: str, port: int, timeout: float,
                    dial: Dial = host_dial) -> http.client.HTTPConnection:
    """An HTTP(S) connection to ``host:port`` opened with ``dial`` (HTTPS without verification, as the
    kubelet's probes and the apiserver's proxy to pods)."""
    if scheme.lower() == "https":
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        return _DialedHTTPS(host, port, timeout, dial, context)
    return _DialedHTTP(host, port, timeout, dial)


def _seconds(timeout: float | None) -> float:
    return timeout if isinstance(timeout, (int, float)) else _CONNECT_TIMEOUT


class _DialedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, timeout: float, dial: Dial) -> None:
        super().__init__(host, port, timeout=timeout)
        self._dial = dial

    def connect(self) -> None:
        self.sock = self._dial(self.host, self.port, _seconds(self.timeout))


class _DialedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, timeout: float, dial: Dial, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._dial, self._tls = dial, context

    def connect(self) -> None:
        sock = self._dial(self.host, self.port, _seconds(self.timeout))
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def splice(one: socket.socket, other: socket.socket) -> None:
    """Copy both ways until both directions have ended."""
    def copy(source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                target.shutdown(socket.SHUT_WR)

    back = threading.Thread(target=copy, args=(other, one), daemon=True)
    back.start()
    one.settimeout(None)
    copy(one, other)
    back.join()


@dataclass
class _Owner:
    network: PodNetwork | None
    listeners: dict[Address, socket.socket] = field(default_factory=dict)
    connections: set[socket.socket] = field(default_factory=set)


class Forwarder:
    """Listeners inside pods' namespaces; a connection to one is relayed to the same address and port dialled
    with ``dial`` (the runtime's view: the host's network, or another pod's). One selector thread accepts; each
    connection is copied by two threads, at most ``max_connections`` connections at once (more are closed)."""

    def __init__(self, dial: Dial, max_connections: int = _MAX_CONNECTIONS) -> None:
        self._dial = dial
        self._owners: dict[str, _Owner] = {}
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_connections)
        self._stopped = False
        self._loop = SocketLoop("pod-network-forwarder", lambda sock, data: self._accept(sock, *data))

    def listening(self, owner: str) -> set[Address]:
        with self._lock:
            found = self._owners.get(owner)
            return set(found.listeners) if found is not None else set()

    def update(self, owner: str, network: PodNetwork | None, wanted: set[Address]) -> None:
        """Make the listeners of ``owner`` (in a pod's ``network``, or the host's when None) exactly ``wanted``."""
        with self._lock:
            if self._stopped:
                return
            entry = self._owners.setdefault(owner, _Owner(network))
            gone = [address for address in entry.listeners if address not in wanted]
            new = sorted(wanted - set(entry.listeners))
            for address in gone:
                self._loop.close(entry.listeners.pop(address))
        if not new:
            return
        try:
            sockets = network.sockets(len(new)) if network is not None else \
                [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in new]
        except (OSError, NetworkError) as err:
            log.warning("pod network %s: cannot open forwarders: %s", owner, err)
            return
        for address, sock in zip(new, sockets, strict=True):
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(address)
                sock.listen(128)
                sock.setblocking(False)
            except OSError as err:
                sock.close()
                log.warning("pod network %s: cannot listen on %s:%s: %s", owner, address[0], address[1], err)
                continue
            with self._lock:
                if self._stopped or self._owners.get(owner) is not entry:
                    sock.close()
                    continue
                entry.listeners[address] = sock
                self._loop.watch(sock, (owner, address))

    def drop(self, owner: str) -> None:
        """Close the listeners of ``owner`` and the connections they accepted."""
        with self._lock:
            entry = self._owners.pop(owner, None)
        if entry is None:
            return
        with self._lock:
            for sock in entry.listeners.values():
                self._loop.close(sock)
            connections = list(entry.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            owners = list(self._owners)
        for owner in owners:
            self.drop(owner)
        self._loop.stop()

    def _accept(self, listener: socket.socket, owner: str, address: Address) -> None:
        try:
            client, _peer = listener.accept()
        except OSError:
            return
        with self._lock:
            entry = self._owners.get(owner)
            admitted = entry is not None and self._slots.acquire(blocking=False)
            if admitted and entry is not None:
                entry.connections.add(client)
        if not admitted:
            client.close()
            return
        threading.Thread(target=self._relay, args=(owner, client, address), daemon=True,
                         name=f"pod-network-{address[0]}:{address[1]}").start()

    def _relay(self, owner: str, client: socket.socket, address: Address) -> None:
        upstream: socket.socket | None = None
        try:
            client.setblocking(True)
            upstream = self._dial(address[0], address[1], _CONNECT_TIMEOUT)
            upstream.settimeout(None)
            with self._lock:
                entry = self._owners.get(owner)
                if entry is None:
                    return
                entry.connections.add(upstream)
            splice(client, upstream)
        except OSError:
            pass
        finally:
            with self._lock:
                entry = self._owners.get(owner)
                if entry is not None:
                    entry.connections.difference_update({client, upstream})
            client.close()
            if upstream is not None:
                upstream.close()
            self._slots.release()
