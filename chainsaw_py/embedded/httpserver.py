"""A small threaded HTTP/1.1 server tuned for API traffic on loopback.

- keep-alive connections, one thread per connection;
- every non-streaming response goes out in a single ``sendall`` and sockets have TCP_NODELAY set, so no
  request waits for a delayed ACK (the naive ``http.server`` pattern manages ~23 requests/s here);
- streaming responses (watches) use chunked transfer encoding, one chunk per event;
- ``stop()`` closes idle and streaming connections so shutdown is prompt.
"""

from __future__ import annotations

import email.utils
import logging
import select
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import BinaryIO, cast
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]          # lower-cased names
    body: bytes
    client_gone: Callable[[], bool] = field(default=lambda: False)

    def param(self, name: str, default: str = "") -> str:
        values = self.query.get(name)
        return values[-1] if values else default

    def flag(self, name: str) -> bool:
        """A boolean query parameter with Go's strconv.ParseBool spellings (true, True, 1, t, ...)."""
        return self.param(name) in ("1", "t", "T", "true", "TRUE", "True")

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)
    stream: Iterable[bytes] | None = None
    upgrade: Callable[[BinaryIO, socket.socket], None] | None = None
    """Protocol switch (status 101): after the head, ``upgrade(reader, connection)`` owns the connection
    (``reader`` holds bytes the client already sent); the connection is closed when it returns."""


App = Callable[[Request], Response]

log = logging.getLogger("chainsaw_py.embedded.http")

_REASONS = {status.value: status.phrase for status in HTTPStatus}


class _DateCache:
    """The HTTP Date header, formatted at most once per second."""

    def __init__(self) -> None:
        self._second = -1
        self._value = ""

    def get(self) -> str:
        now = int(time.time())
        if now != self._second:
            self._second, self._value = now, email.utils.formatdate(now, usegmt=True)
        return self._value


_dates = _DateCache()


class _BadRequest(Exception):
    """A malformed request: answered with 400 and the connection closed."""


class _Handler(socketserver.StreamRequestHandler):
    """One connection: parse requests (a lean HTTP/1.1 parser; the stdlib's email-based header parsing costs
    ~100 µs a request), hand them to the app, write responses."""

    server: _Server
    close_connection: bool
    command = ""
    path = ""

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            self.request.do_handshake()
            self.request.settimeout(None)
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        self.server.untrack(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def handle(self) -> None:
        self.close_connection = False
        while not self.close_connection:
            self.handle_one_request()

    def handle_one_request(self) -> None:
        try:
            request_line = self.rfile.readline(65537)
        except OSError:
            self.close_connection = True
            return
        if not request_line or self.server.stopping:
            self.close_connection = True
            return
        try:
            request = self._parse(request_line)
        except (_BadRequest, ValueError, UnicodeDecodeError) as err:
            self.close_connection = True
            self._send_quietly(Response(400, f"{err}\n".encode(), "text/plain; charset=utf-8"))
            return
        except OSError:
            self.close_connection = True
            return
        response = self.server.app(request)
        self._send_quietly(response)

    def _send_quietly(self, response: Response) -> None:
        try:
            self._send(response)
        except OSError:
            self.close_connection = True

    def _parse(self, request_line: bytes) -> Request:
        parts = request_line.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _BadRequest(f"bad request line: {request_line[:80]!r}")
        self.command, self.path, version = parts
        headers: dict[str, str] = {}
        for _ in range(200):
            line = self.rfile.readline(65537)
            if line in (b"\r\n", b"\n", b""):
                break
            name, separator, value = line.decode("latin-1").partition(":")
            if not separator:
                raise _BadRequest("malformed header line")
            key = name.strip().lower()
            headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
        else:
            raise _BadRequest("too many headers")
        connection = headers.get("connection", "").lower()
        self.close_connection = connection == "close" or (version == "HTTP/1.0" and connection != "keep-alive")
        if headers.get("expect", "").lower() == "100-continue":
            self.connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = self._read_body(headers)
        target = urlsplit(self.path)
        return Request(self.command, unquote(target.path), parse_qs(target.query, keep_blank_values=True), headers,
                       body, self._client_gone)

    def _read_body(self, headers: dict[str, str]) -> bytes:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0] or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(headers.get("content-length") or 0)
        if length < 0:
            raise _BadRequest("negative content-length")
        return self.rfile.read(length) if length else b""

    def _head(self, response: Response, extra: list[tuple[str, str]]) -> bytes:
        lines = [f"HTTP/1.1 {response.status} {_REASONS.get(response.status, 'Unknown')}",
                 f"Content-Type: {response.content_type}", "Cache-Control: no-cache, private",
                 f"Date: {_dates.get()}"]
        lines.extend(f"{name}: {value}" for name, value in response.headers + extra)
        if self.close_connection:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _send(self, response: Response) -> None:
        if response.upgrade is not None:
            self._switch(response, response.upgrade)
            return
        if response.stream is None:
            head = self._head(response, [("Content-Length", str(len(response.body)))])
            self.connection.sendall(head + response.body)
            return
        self.connection.sendall(self._head(response, [("Transfer-Encoding", "chunked")]))
        stream = iter(response.stream)
        try:
            for chunk in stream:
                if chunk:
                    self.connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.connection.sendall(b"0\r\n\r\n")
        except OSError:
            raise
        except Exception:
            log.exception("streaming response for %s %s failed", self.command, self.path)
            self.close_connection = True
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()

    def _switch(self, response: Response, takeover: Callable[[BinaryIO, socket.socket], None]) -> None:
        self.close_connection = True
        lines = [f"HTTP/1.1 {response.status} {_REASONS.get(response.status, 'Unknown')}"]
        lines.extend(f"{name}: {value}" for name, value in response.headers)
        self.connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        try:
            takeover(cast(BinaryIO, self.rfile), self.connection)
        except OSError:
            pass
        except Exception:
            log.exception("upgraded connection for %s %s failed", self.command, self.path)

    def _client_gone(self) -> bool:
        """True when the peer has closed its side (checked while a stream is idle)."""
        if self.server.stopping:
            return True
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            if isinstance(self.connection, ssl.SSLSocket):
                return True   # a streaming client sends nothing more: readable means close_notify or EOF
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: App, ssl_context: ssl.SSLContext | None) -> None:
        self.app = app
        self.ssl_context = ssl_context
        self.stopping = False
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, object]:
        connection, address = self.socket.accept()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.ssl_context is not None:
            connection = self.ssl_context.wrap_socket(connection, server_side=True, do_handshake_on_connect=False)
        return connection, address

    def handle_error(self, request: object, client_address: object) -> None:
        log.debug("connection from %s failed", client_address)

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class HttpServer:
    """Serve ``app`` on ``host:port`` (port 0 picks a free one) in a background thread; HTTPS when an
    ``ssl_context`` is given."""

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = 0,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self._server = _Server((host, port), app, ssl_context)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="embedded-apiserver", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.stopping = True
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

