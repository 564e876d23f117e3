"""The HTTP server's worker completes a keep-alive client's next request itself when its parts arrive quickly
(urllib3, and so the kubernetes Python client, sends a body in a write of its own after the head): no hand-over
to the reactor and back. Slower parts still go to the reactor, whose timeouts bound them, and a client that
trickles its body holds a worker for a bounded time only."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from chainsaw_py.embedded.httpserver import HttpServer, Request, Response
from chainsaw_py.embedded.limits import Limits

LIMITS = Limits(header_timeout=1.0, body_timeout=1.0, idle_timeout=2.0, max_workers=4)


def _echo(request: Request) -> Response:
    return Response(200, request.method.encode() + b" " + request.body)


class _CountingServer(HttpServer):
    """Counts the hand-overs of a connection to the reactor."""

    def __init__(self) -> None:
        super().__init__(_echo, limits=LIMITS)
        self.hand_overs = 0

    def _arm(self, conn, state="reading", writable=False, only_if=None):  # type: ignore[no-untyped-def]
        self.hand_overs += 1
        super()._arm(conn, state, writable, only_if)


@pytest.fixture
def server() -> Iterator[_CountingServer]:
    running = _CountingServer()
    running.start()
    try:
        yield running
    finally:
        running.stop()


def _connect(server: HttpServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _head(body: bytes) -> bytes:
    return b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)


def _response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"closed without a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
    while len(body) < length:
        body += sock.recv(65536)
    assert head.startswith(b"HTTP/1.1 200"), head
    return body


def _closed_by_server(sock: socket.socket) -> bool:
    """The server closed the connection (a reset when the client still wrote after the close)."""
    try:
        return sock.recv(100) == b""
    except ConnectionResetError:
        return True


def test_a_body_sent_after_its_head_is_read_by_the_worker_without_a_hand_over(server: _CountingServer) -> None:
    with _connect(server) as sock:
        sock.sendall(_head(b"first") + b"first")
        assert _response(sock) == b"POST first"
        hand_overs = server.hand_overs
        for index in range(20):
            body = b"body-%d" % index
            sock.sendall(_head(body))
            time.sleep(0.002)
            sock.sendall(body)
            assert _response(sock) == b"POST " + body
        # one or more per request when the reactor completes them; a loaded machine may delay a few parts
        # beyond the worker's waits
        assert server.hand_overs - hand_overs < 10


def test_a_body_that_comes_late_is_still_served_through_the_reactor(server: _CountingServer) -> None:
    with _connect(server) as sock:
        sock.sendall(_head(b"first") + b"first")
        assert _response(sock) == b"POST first"
        hand_overs = server.hand_overs
        sock.sendall(_head(b"late"))
        time.sleep(0.3)
        sock.sendall(b"late")
        assert _response(sock) == b"POST late"
        assert server.hand_overs > hand_overs


def test_trickling_bodies_hold_no_worker_and_are_closed_after_the_body_timeout(server: _CountingServer) -> None:
    body = b"x" * 400
    stop = threading.Event()

    def trickle(sock: socket.socket) -> None:
        try:
            for byte in range(len(body) - 1):          # one byte every 5 ms: never complete within the timeout
                if stop.wait(0.005):
                    return
                sock.sendall(body[byte:byte + 1])
        except OSError:
            return

    trickling = [_connect(server) for _ in range(LIMITS.max_workers * 2)]
    threads: list[threading.Thread] = []
    try:
        for sock in trickling:
            sock.sendall(_head(b"ok") + b"ok")
            assert _response(sock) == b"POST ok"
            sock.sendall(_head(body))
            thread = threading.Thread(target=trickle, args=(sock,), daemon=True)
            thread.start()
            threads.append(thread)
        time.sleep(0.1)
        with _connect(server) as other:           # every worker is free for other clients meanwhile
            other.settimeout(LIMITS.body_timeout / 2)
            other.sendall(_head(b"other") + b"other")
            assert _response(other) == b"POST other"
        for sock in trickling:
            sock.settimeout(LIMITS.body_timeout * 10)
            assert _closed_by_server(sock)        # by the body timeout
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
        for sock in trickling:
            sock.close()
