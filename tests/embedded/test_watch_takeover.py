"""The HTTP layer's contract for long-lived responses: streams with close callbacks, and connections taken
over by an upgrade handler (what exec/attach/port-forward build on)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from chainsaw_py.embedded.httpserver import HttpServer, Request, Response, StreamBody, UpgradedConnection
from chainsaw_py.embedded.limits import Limits


def _echo(connection: UpgradedConnection) -> None:
    sock = connection.sock
    if connection.pending:
        sock.sendall(connection.pending)
    while data := sock.recv(4096):
        sock.sendall(data)


@pytest.fixture
def server() -> Iterator[HttpServer]:
    events: list[str] = []
    stream_gate = threading.Event()

    def handler(request: Request) -> Response:
        if request.path == "/upgrade":
            return Response(101, headers=[("Upgrade", "echo"), ("Connection", "Upgrade")], upgrade=_echo)
        if request.path == "/stream":
            def gone() -> None:
                events.append("client gone")
                stream_gate.set()

            request.on_close(gone)

            def chunks() -> Iterator[bytes]:
                yield b"first\n"
                stream_gate.wait(10)

            return Response(200, stream=StreamBody(chunks(), lambda: events.append("released")),
                            content_type="text/plain")
        return Response(200, b"ok")

    running = HttpServer(handler, limits=Limits(max_streams=4))
    running.events = events  # type: ignore[attr-defined]
    running.start()
    yield running
    running.stop()


def _connect(server: HttpServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def test_an_upgrade_handler_owns_the_connection(server: HttpServer) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nearly")
        head, rest = _read_head(sock)
        assert head.startswith(b"HTTP/1.1 101 Switching Protocols")
        assert b"Upgrade: echo" in head
        received = rest
        while len(received) < 5:
            received += sock.recv(4096)
        assert received == b"early"          # bytes sent right after the request reach the handler
        sock.sendall(b"ping")
        assert sock.recv(4096) == b"ping"


def test_stopping_the_server_ends_an_upgraded_connection(server: HttpServer) -> None:
    sock = _connect(server)
    sock.sendall(b"GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
    _read_head(sock)
    server.stop()
    sock.settimeout(10)
    assert sock.recv(4096) == b""
    sock.close()


def test_a_departed_stream_client_runs_the_close_callbacks(server: HttpServer) -> None:
    sock = _connect(server)
    sock.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
    head, rest = _read_head(sock)
    assert b"Transfer-Encoding: chunked" in head
    while b"first" not in rest:
        rest += sock.recv(4096)
    sock.close()
    events: list[str] = server.events  # type: ignore[attr-defined]
    for _ in range(1000):
        if events == ["client gone", "released"]:
            break
        threading.Event().wait(0.01)
    assert events == ["client gone", "released"]


def test_plain_http_on_the_tls_port_gets_go_s_answer() -> None:
    from chainsaw_py.embedded.tls import generate_certificates

    running = HttpServer(lambda request: Response(200, b"ok"),
                         ssl_context=generate_certificates().server_context())
    running.start()
    try:
        with socket.create_connection(("127.0.0.1", running.port), timeout=10) as sock:
            sock.sendall(b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while chunk := sock.recv(4096):
                answer += chunk
    finally:
        running.stop()
    assert answer == b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
