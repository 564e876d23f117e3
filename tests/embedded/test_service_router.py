"""The service router: a loopback address per Service forwarding its TCP ports to ready endpoints."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from chainsaw_py.embedded.runtime.pods import POD_ADDRESSES
from chainsaw_py.embedded.runtime.services import ServiceRouter, host_names


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(1024):
            self.request.sendall(b"echo:" + data)


@pytest.fixture
def endpoint() -> Iterator[tuple[str, int]]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "127.0.0.1", server.server_address[1]
    server.shutdown()
    server.server_close()


def _until(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)
    return value


def _service(target: Any) -> dict[str, Any]:
    return {"metadata": {"name": "echo", "namespace": "ns"},
            "spec": {"selector": {"app": "echo"}, "ports": [{"port": 9090, "targetPort": target}]}}


def test_routes_follow_the_service(endpoint: tuple[str, int]) -> None:
    ip, port = endpoint
    pod = {"spec": {"containers": [{"ports": [{"name": "echo", "containerPort": port}]}]}}
    selectors: list[dict[str, str]] = []
    changes: list[str] = []

    def endpoints(namespace: str, selector: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
        selectors.append(selector)
        return [(ip, pod)]

    router = ServiceRouter(POD_ADDRESSES.allocate, POD_ADDRESSES.release, endpoints, changes.append)
    try:
        router.changed("ns", "echo", _service("echo"))
        address = _until(lambda: router.address("ns", "echo"))
        with socket.create_connection((address, 9090), timeout=5) as client:
            client.sendall(b"hi")
            assert client.recv(100) == b"echo:hi"
        assert selectors == [{"app": "echo"}] and changes == ["ns"]
        assert router.hosts_entries("ns") == [f"{address}\t{' '.join(host_names('echo', 'ns', True))}"]
        assert router.hosts_entries("other")[0].endswith("echo.ns.svc.cluster.local echo.ns.svc echo.ns")
        router.changed("ns", "echo", None)
        _until(lambda: router.address("ns", "echo") is None)
        with pytest.raises(OSError):
            socket.create_connection((address, 9090), timeout=5).close()
        assert changes == ["ns", "ns"]
    finally:
        router.stop()


def test_no_ready_endpoint_closes_the_connection() -> None:
    router = ServiceRouter(POD_ADDRESSES.allocate, POD_ADDRESSES.release, lambda _ns, _selector: [],
                           lambda _ns: None)
    try:
        router.changed("ns", "echo", _service(80))
        address = _until(lambda: router.address("ns", "echo"))
        with socket.create_connection((address, 9090), timeout=5) as client:
            client.settimeout(5)
            assert client.recv(100) == b""
    finally:
        router.stop()
