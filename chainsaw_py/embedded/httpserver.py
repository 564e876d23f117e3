"""The embedded API server's HTTP/1.1 layer: one reactor thread, a bounded pool of workers.

Connection model (see docs/embedded.md, "Connections and limits"):

- One **reactor** thread owns the listening socket and every connection that is not being served: it
  accepts, does TLS handshakes, reads requests without blocking (epoll), enforces the header/body/idle
  timeouts and the connection cap, and hands *complete* requests to a worker. Idle keep-alive connections
  and slow, half-sent requests cost a file descriptor and a buffer, never a thread.
- The application is asked twice: :meth:`Application.admit` with the head alone (authentication, before a
  byte of the body is read; must not block) and :meth:`Application.handle` with the whole request. A body
  larger than :attr:`Limits.max_body_bytes` is refused (413) from its ``Content-Length``, or as soon as a
  chunked body crosses the limit, without being kept.
- A **worker** runs the handler and writes the response in one ``sendall`` (TCP_NODELAY), then gives the
  connection back to the reactor (``EPOLLONESHOT`` re-arm) for the next request.
- A **streaming** response (``Response.stream``: watches, followed logs) leaves the pool: its thread blocks
  on the stream's iterator (no polling) while the reactor watches the socket. When the client closes or
  resets the connection, the reactor runs the request's :meth:`Request.on_close` callbacks at once (a watch
  registers ``stop``, which wakes its iterator), shuts the socket down and the stream thread closes it.
- An **upgraded** connection (``Response.upgrade``: exec/attach/port-forward over SPDY or websockets) is
  handed over whole: after the 101 head is written, ``upgrade(UpgradedConnection)`` runs on its own thread
  with a blocking socket it owns until it returns; the server then closes the socket. It counts as a stream.
- ``stop()`` closes the listener and every connection at once (streams and upgraded ones are shut down so
  their threads end), then waits a bounded time for the workers.
"""

from __future__ import annotations

import email.utils
import logging
import queue
import re
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Protocol, runtime_checkable
from urllib.parse import parse_qs, unquote, urlsplit

from chainsaw_py.embedded.limits import Limits

log = logging.getLogger("chainsaw_py.embedded.http")

_REASONS = {status.value: status.phrase for status in HTTPStatus}
_READ_CHUNK = 256 * 1024
_LINGER_SECONDS = 0.5          # Go's rstAvoidanceDelay: read and drop what a refused client still sends
_LINGER_BYTES = 4 * 1024 * 1024
_MAX_CHUNK_LINE = 4096
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")     # RFC 9110 token: methods and header names
# a worker waits this long for a keep-alive client's next request itself (shorter when the pool is busy)
_NEXT_REQUEST_WAIT_MS = 50
_NEXT_REQUEST_WAIT_BUSY_MS = 2
# ... and, once a request has begun, up to this long in all for the rest of it (Python clients such as urllib3
# send a body in a write of its own after the head): a hand-over to the reactor and back costs ~4 thread
# switches. Slower input goes back to the reactor, whose timeouts bound it.
_REST_OF_REQUEST_WAIT_S = 0.02
# what parsing the buffered input led to
_READY, _INCOMPLETE, _TAKEN = "ready", "incomplete", "taken"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]          # lower-cased names
    body: bytes
    connection: ConnectionState | None = field(default=None, repr=False)
    body_length: int | None = None   # the declared Content-Length (None when chunked or absent)
    identity: Any = None             # who sent it, when the application's admit() established it

    def param(self, name: str, default: str = "") -> str:
        values = self.query.get(name)
        return values[-1] if values else default

    def flag(self, name: str) -> bool:
        """A boolean query parameter with Go's strconv.ParseBool spellings (true, True, 1, t, ...)."""
        return self.param(name) in ("1", "t", "T", "true", "TRUE", "True")

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    def peer_certificate(self) -> bytes | None:
        """The client's TLS certificate (DER), when it presented one."""
        sock = self.connection.sock if self.connection is not None else None
        if not isinstance(sock, ssl.SSLSocket):
            return None
        try:
            return sock.getpeercert(binary_form=True)
        except (ValueError, OSError):
            return None

    def client_gone(self) -> bool:
        """True once the client has closed or reset its connection, or the server is stopping."""
        return self.connection is not None and self.connection.gone

    def on_close(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (once, from the reactor thread: it must only signal, never block) when the client
        goes away or the server stops. Called at once if that already happened."""
        if self.connection is not None:
            self.connection.add_close_callback(callback)


@dataclass
class UpgradedConnection:
    """What an upgrade handler owns: a blocking socket (TLS already done), the bytes the client sent after its
    request (already read by the server), and the request. The server closes the socket when the handler
    returns; on shutdown it shuts the socket down, so blocked reads and writes end."""

    sock: socket.socket
    pending: bytes
    request: Request


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)
    stream: Iterable[bytes] | None = None
    upgrade: Callable[[UpgradedConnection], None] | None = None


class StreamBody:
    """A streaming response body: chunks, and what to release when the server is done with it, even when
    the stream never started (a generator's ``finally`` would not run then)."""

    def __init__(self, chunks: Iterable[bytes], on_close: Callable[[], None]) -> None:
        self._chunks = iter(chunks)
        self._on_close = on_close

    def __iter__(self) -> StreamBody:
        return self

    def __next__(self) -> bytes:
        return next(self._chunks)

    def close(self) -> None:
        try:
            _close_iterator(self._chunks)
        finally:
            self._on_close()


@runtime_checkable
class Application(Protocol):
    def admit(self, request: Request) -> Response | None:
        """Called with the head only (``body`` empty, ``body_length`` declared): a response refuses the
        request before its body is read (401, 403, 413 ...). Runs on the reactor thread: must not block."""

    def handle(self, request: Request) -> Response:
        """Serve a complete request (on a worker thread)."""

    def error(self, request: Request, status: int, message: str) -> Response:
        """The response for an error the HTTP layer detects (413 body too large, 429 too many streams)."""


class FunctionApplication:
    """An :class:`Application` around a plain handler function: admits everything, plain-text errors."""

    def __init__(self, handler: Callable[[Request], Response]) -> None:
        self._handler = handler

    def admit(self, request: Request) -> Response | None:
        return None

    def handle(self, request: Request) -> Response:
        return self._handler(request)

    def error(self, request: Request, status: int, message: str) -> Response:
        return Response(status, f"{message}\n".encode(), "text/plain; charset=utf-8")


_APPLICATION_TYPES = (Application, FunctionApplication)


class _DateCache:
    """The HTTP Date header, formatted at most once per second."""

    def __init__(self) -> None:
        self._second = -1
        self._value = ""
        self._bytes = b""

    def get(self) -> str:
        now = int(time.time())
        if now != self._second:
            self._value = email.utils.formatdate(now, usegmt=True)
            self._bytes = self._value.encode("ascii")
            self._second = now
        return self._value

    def get_bytes(self) -> bytes:
        if int(time.time()) != self._second:
            self.get()
        return self._bytes


_dates = _DateCache()


class _ProtocolError(Exception):
    """A malformed request, answered as Go's net/http does (plain text, connection closed)."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


def _go_error_bytes(status: int, text: str) -> bytes:
    head = f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\nContent-Type: text/plain; charset=utf-8\r\n" \
           "Connection: close\r\n\r\n"
    return (head + text).encode("latin-1", "replace")


def _bad_request() -> _ProtocolError:
    return _ProtocolError(400, "400 Bad Request")


# --- connection state ----------------------------------------------------------------------------------------

_HANDSHAKE, _READING, _BUSY, _STREAMING, _LINGERING, _CLOSED = "handshake", "reading", "busy", "streaming", \
    "lingering", "closed"


class ConnectionState:
    """One client connection. Owned by exactly one thread at a time: the reactor while ``state`` is
    handshake/reading/lingering, a worker or stream thread while busy/streaming; ``lock`` guards the hand-overs
    and the close callbacks."""

    def __init__(self, sock: socket.socket, now: float) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self.tls = isinstance(sock, ssl.SSLSocket)
        self.lock = threading.Lock()
        self.state = _HANDSHAKE if self.tls else _READING
        self.buffer = bytearray()
        self.started = now            # when the current phase began (handshake, head, body, idle)
        self.request: Request | None = None
        self.head_end = 0
        self.body_parser: _ChunkedBody | None = None
        self.keep_alive = True
        self.gone = False
        self.lingered = 0
        self.served = 0
        self.poller: Any = None       # a worker's poll object for this socket, made at its first use
        self._callbacks: list[Callable[[], None]] = []

    def add_close_callback(self, callback: Callable[[], None]) -> None:
        with self.lock:
            if not self.gone:
                self._callbacks.append(callback)
                return
        callback()

    def mark_gone(self, shutdown: bool = True) -> None:
        """The client left (or the server stops): run the callbacks once and (unless the caller closes the socket
        itself) shut the socket down so that a blocked send fails at once; the owner still closes it."""
        with self.lock:
            if self.gone:
                return
            self.gone = True
            callbacks, self._callbacks = self._callbacks, []
        if shutdown:
            _shutdown(self.sock)
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("close callback failed")

    def reset_for_next_request(self, now: float) -> None:
        del self.buffer[:self.head_end]
        self.head_end = 0
        self.request = None
        self.body_parser = None
        self.started = now
        self.served += 1
        with self.lock:
            self._callbacks = []


def _shutdown(sock: socket.socket) -> None:
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)   # the plain call: safe while another thread writes
    except OSError:
        pass


def _close_socket(sock: socket.socket) -> None:
    """Close, sending a TLS close_notify first when that does not block."""
    if isinstance(sock, ssl.SSLSocket):
        try:
            sock.settimeout(0)
            sock.unwrap()
        except (OSError, ValueError, ssl.SSLError):
            pass
    try:
        sock.close()
    except OSError:
        pass


# --- request parsing -----------------------------------------------------------------------------------------


def _find_head_end(buffer: bytearray, limit: int) -> int:
    """Index just past the blank line ending the head (CRLF or bare LF lines), 0 when not there yet."""
    crlf = buffer.find(b"\r\n\r\n", 0, limit + 4)
    lf = buffer.find(b"\n\n", 0, limit + 2 if crlf < 0 else crlf)
    if lf >= 0:
        return lf + 2
    return crlf + 4 if crlf >= 0 else 0


def parse_head(data: bytes) -> tuple[Request, bool]:
    """A request line and headers -> (Request without body, keep_alive). Raises _ProtocolError."""
    lines = data.decode("latin-1").split("\n")
    first = 0
    while first < len(lines) and lines[first].strip() == "":
        first += 1              # RFC 9112 2.2: ignore empty lines before the request line
    if first == len(lines):
        raise _bad_request()
    parts = lines[first].rstrip("\r").split(" ")
    if len(parts) != 3:
        raise _bad_request()
    method, target, version = parts
    if not version.startswith("HTTP/1.") or not target or (method not in _METHODS and _TOKEN.fullmatch(method) is None):
        raise _bad_request()
    headers: dict[str, str] = {}
    content_lengths: list[str] = []
    for line in lines[first + 1:]:
        line = line.rstrip("\r")
        if not line:
            continue
        name, separator, value = line.partition(":")
        key = _header_key(name) if separator else None
        if key is None:
            raise _ProtocolError(400, "400 Bad Request: malformed MIME header line")
        value = value.strip(" \t")
        if key in headers:
            headers[key] = f"{headers[key]}, {value}"
        else:
            headers[key] = value
        if key == "content-length":
            content_lengths.append(value)
    connection = headers.get("connection", "").lower()
    keep_alive = "close" not in connection and (version != "HTTP/1.0" or "keep-alive" in connection)
    path, query = _split_target(target)
    request = Request(method, path, parse_qs(query, keep_blank_values=True) if query else {}, headers, b"")
    request.body_length = _content_length(headers, content_lengths)
    return request, keep_alive


_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
_HEADER_KEYS: dict[str, str] = {}       # header names seen (valid tokens) -> lower-cased; bounded
_HEADER_KEYS_MAX = 1024


def _header_key(name: str) -> str | None:
    """The lower-cased header name, None when it is not an RFC 9110 token."""
    key = _HEADER_KEYS.get(name)
    if key is None:
        if _TOKEN.fullmatch(name) is None:
            return None
        key = name.lower()
        if len(_HEADER_KEYS) < _HEADER_KEYS_MAX:
            _HEADER_KEYS[name] = key
    return key


def _split_target(target: str) -> tuple[str, str]:
    """The request target's decoded path and its raw query (urlsplit's reading of it)."""
    if target[0] == "/" and target[1:2] != "/" and "#" not in target and "\t" not in target and "\r" not in target:
        path, _, query = target.partition("?")       # the common origin-form target, as urlsplit splits it
    else:
        split = urlsplit(target)
        path, query = split.path, split.query
    return (unquote(path) if "%" in path else path), query


def _content_length(headers: dict[str, str], values: list[str]) -> int | None:
    transfer = headers.get("transfer-encoding")
    if transfer is not None:
        if transfer.lower() != "chunked":
            raise _ProtocolError(501, "Unsupported transfer encoding")
        return None
    if not values:
        return 0
    if len(set(values)) > 1:
        raise _ProtocolError(400, "400 Bad Request: http: message cannot contain multiple Content-Length headers")
    text = values[0]
    # Go: ParseUint(cl, 10, 63) on a plain run of digits; `1e30`, `-1`, `0x10` are `bad Content-Length`
    if not text.isascii() or not text.isdigit() or len(text) > 19 or int(text) >= 2**63:
        raise _bad_request()
    return int(text)


class _ChunkedBody:
    """Incremental decoder of a chunked body over the connection buffer, bounded by ``limit``."""

    _SIZE, _DATA, _DATA_END, _TRAILER = range(4)

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.chunks: list[bytes] = []
        self.size = 0
        self.remaining = 0
        self.phase = self._SIZE
        self.done = False

    def feed(self, buffer: bytearray, position: int) -> int:
        """Consume what ``buffer[position:]`` holds; returns the new position. Raises _ProtocolError or
        _TooLarge (as soon as the declared chunk sizes cross the limit: nothing beyond it is kept)."""
        while not self.done:
            if self.phase == self._DATA:
                available = min(self.remaining, len(buffer) - position)
                if available <= 0:
                    return position
                self.chunks.append(bytes(buffer[position:position + available]))
                self.remaining -= available
                position += available
                if self.remaining == 0:
                    self.phase = self._DATA_END
                continue
            end = buffer.find(b"\n", position, position + _MAX_CHUNK_LINE + 1)
            if end < 0:
                if len(buffer) - position > _MAX_CHUNK_LINE:
                    raise _bad_request()
                return position
            line = bytes(buffer[position:end]).rstrip(b"\r")
            position = end + 1
            if self.phase == self._DATA_END:
                if line:
                    raise _bad_request()
                self.phase = self._SIZE
            elif self.phase == self._TRAILER:
                self.done = not line
            else:
                self._start_chunk(self._parse_size(line))
        return position

    def _start_chunk(self, size: int) -> None:
        if size == 0:
            self.phase = self._TRAILER
            return
        if self.size + size > self.limit:
            raise _TooLarge()
        self.size += size
        self.remaining = size
        self.phase = self._DATA

    @staticmethod
    def _parse_size(line: bytes) -> int:
        digits = line.split(b";", 1)[0].strip()
        if not digits or len(digits) > 16 or any(c not in b"0123456789abcdefABCDEF" for c in digits):
            raise _bad_request()      # Go: "invalid byte in chunk length" / "http chunk length too large"
        return int(digits, 16)

    def body(self) -> bytes:
        return b"".join(self.chunks)


class _TooLarge(Exception):
    pass


# --- response writing ----------------------------------------------------------------------------------------


def _head_bytes(response: Response, extra: list[tuple[str, str]], close: bool) -> bytes:
    lines = [f"HTTP/1.1 {response.status} {_REASONS.get(response.status, 'Unknown')}"]
    if response.upgrade is None:
        lines += [f"Content-Type: {response.content_type}", "Cache-Control: no-cache, private"]
    lines.append(f"Date: {_dates.get()}")
    lines.extend(f"{name}: {value}" for name, value in response.headers + extra)
    if close and response.upgrade is None:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _response_bytes(response: Response, close: bool) -> bytes:
    if response.headers or response.upgrade is not None:
        head = _head_bytes(response, [("Content-Length", str(len(response.body)))], close)
        return head + response.body
    # the common case, as _head_bytes writes it: a cached status line and fixed headers, then Date and length
    return b"".join((_head_prefix(response.status, response.content_type), _dates.get_bytes(),
                     b"\r\nContent-Length: %d\r\n%s\r\n" % (len(response.body), _CLOSE if close else b""),
                     response.body))


_CLOSE = b"Connection: close\r\n"
_HEAD_PREFIXES: dict[tuple[int, str], bytes] = {}      # (status, content type) -> head up to "Date: "; bounded


def _head_prefix(status: int, content_type: str) -> bytes:
    key = (status, content_type)
    prefix = _HEAD_PREFIXES.get(key)
    if prefix is None:
        prefix = (f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\nContent-Type: {content_type}\r\n"
                  "Cache-Control: no-cache, private\r\nDate: ").encode("latin-1")
        if len(_HEAD_PREFIXES) < 256:
            _HEAD_PREFIXES[key] = prefix
    return prefix


# --- worker pool ---------------------------------------------------------------------------------------------


class _Workers:
    """Up to ``size`` threads taking jobs from one queue; a job may ``detach`` its thread (streams) so that
    the pool starts another."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0
        self._local = threading.local()
        self._all: set[threading.Thread] = set()

    def submit(self, job: Callable[[], None]) -> None:
        self._jobs.put(job)
        with self._lock:
            if self._idle > 0 or self._threads >= self._size:
                return
            self._threads += 1
        self._spawn(self._run, "embedded-http-worker")

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        with self._lock:
            self._all.add(thread)
        thread.start()

    def _run(self) -> None:
        self._local.detached = False
        try:
            while True:
                with self._lock:
                    self._idle += 1
                job = self._jobs.get()
                with self._lock:
                    self._idle -= 1
                if job is None:
                    with self._lock:
                        self._threads -= 1
                    return
                job()
                if self._local.detached:
                    return
        finally:
            with self._lock:
                self._all.discard(threading.current_thread())

    def has_headroom(self) -> bool:
        """Fewer than half the threads are in use and nothing waits: a worker may linger on a connection."""
        return self._threads - self._idle < self._size // 2 and self._jobs.empty()

    def detach(self) -> None:
        """Called from a job: this thread leaves the pool when the job ends (a replacement may start now)."""
        if getattr(self._local, "detached", True):
            return
        self._local.detached = True
        with self._lock:
            self._threads -= 1
            start = self._idle == 0 and not self._jobs.empty() and self._threads < self._size
            if start:
                self._threads += 1
        if start:
            self._spawn(self._run, "embedded-http-worker")

    def stop(self, timeout: float) -> None:
        with self._lock:
            count = self._threads
            threads = list(self._all)
        for _ in range(count):
            self._jobs.put(None)
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))


# --- the server ----------------------------------------------------------------------------------------------


class HttpServer:
    """Serve ``app`` on ``host:port`` (port 0 picks a free one); HTTPS when an ``ssl_context`` is given."""

    def __init__(self, app: Application | Callable[[Request], Response], host: str = "127.0.0.1", port: int = 0,
                 ssl_context: ssl.SSLContext | None = None, limits: Limits | None = None) -> None:
        self.app: Application = app if isinstance(app, _APPLICATION_TYPES) else FunctionApplication(app)
        self.limits = limits or Limits()
        self._ssl_context = ssl_context
        self._listener = socket.create_server((host, port), backlog=512)
        self._listener.setblocking(False)
        self._epoll = select.epoll()
        self._wake_read, self._wake_write = socket.socketpair()
        self._wake_read.setblocking(False)
        self._connections: dict[int, ConnectionState] = {}
        self._connections_lock = threading.Lock()
        self._workers = _Workers(self.limits.max_workers)
        self._streams = threading.BoundedSemaphore(self.limits.max_streams)
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._cap = self.limits.connection_cap()
        self._tick = max(0.01, min(1.0, self.limits.header_timeout / 4, self.limits.idle_timeout / 4,
                                   self.limits.body_timeout / 4))

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    @property
    def open_connections(self) -> int:
        with self._connections_lock:
            return len(self._connections)

    def start(self) -> None:
        self._epoll.register(self._listener.fileno(), select.EPOLLIN)
        self._epoll.register(self._wake_read.fileno(), select.EPOLLIN)
        self._thread = threading.Thread(target=self._reactor, name="embedded-apiserver", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, close every connection (idle ones at once, busy and streaming ones are shut down
        so that their threads end), and wait a bounded time for the threads."""
        self._stopping = True
        try:
            self._wake_write.send(b"x")
        except OSError:
            pass
        if self._thread is not None:
            self._thread.join(timeout=5)
        else:
            self._close_everything()
        self._workers.stop(timeout=5)
        for sock in (self._wake_read, self._wake_write):
            sock.close()

    # --- reactor ---------------------------------------------------------------------------------------

    def _reactor(self) -> None:
        listen_fd, wake_fd = self._listener.fileno(), self._wake_read.fileno()
        next_sweep = time.monotonic() + self._tick
        try:
            while not self._stopping:
                timeout = max(0.0, next_sweep - time.monotonic())
                try:
                    events = self._epoll.poll(timeout)
                except InterruptedError:
                    continue
                for fd, mask in events:
                    if fd == listen_fd:
                        self._accept()
                    elif fd == wake_fd:
                        self._drain_wake()
                    else:
                        with self._connections_lock:
                            conn = self._connections.get(fd)
                        if conn is not None:
                            self._on_event(conn, mask)
                now = time.monotonic()
                if now >= next_sweep:
                    self._sweep(now)
                    next_sweep = now + self._tick
        except Exception:
            log.exception("the HTTP reactor failed")
        finally:
            self._close_everything()

    def _drain_wake(self) -> None:
        try:
            while self._wake_read.recv(4096):
                pass
        except OSError:
            pass

    def _accept(self) -> None:
        for _ in range(64):
            try:
                sock, _address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as err:
                log.debug("accept failed: %s", err)
                return
            if not self._make_room():
                sock.close()
                continue
            self._open(sock)

    def _make_room(self) -> bool:
        """At the connection cap, close the connection waiting longest that is not being served."""
        with self._connections_lock:
            if len(self._connections) < self._cap:
                return True
            waiting = [conn for conn in self._connections.values() if conn.state in (_HANDSHAKE, _READING,
                                                                                       _LINGERING)]
        if not waiting:
            return False
        oldest = min(waiting, key=lambda conn: conn.started)
        self._close(oldest)
        return True

    def _open(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        if self._ssl_context is not None:
            try:
                sock = self._ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
            except (OSError, ValueError):
                sock.close()
                return
        conn = ConnectionState(sock, time.monotonic())
        with self._connections_lock:
            self._connections[conn.fd] = conn
        try:
            self._epoll.register(conn.fd, select.EPOLLIN | select.EPOLLRDHUP | select.EPOLLONESHOT)
        except OSError:
            self._close(conn)

    def _arm(self, conn: ConnectionState, state: str = _READING, writable: bool = False,
             only_if: str | None = None) -> None:
        """Publish ``state`` and hand the connection to the reactor (one event, EPOLLONESHOT). The calling
        thread must not touch the connection afterwards (except a stream's thread, which keeps writing)."""
        mask = (select.EPOLLOUT if writable else select.EPOLLIN) | select.EPOLLRDHUP | select.EPOLLONESHOT
        if state != _STREAMING and conn.sock.gettimeout() != 0:
            try:
                conn.sock.settimeout(0)       # the reactor never blocks
            except OSError:
                self._close(conn)
                return
        with conn.lock:
            if conn.state == _CLOSED or (only_if is not None and conn.state != only_if):
                return
            conn.state = state
            try:
                self._epoll.modify(conn.fd, mask)
                return
            except (OSError, ValueError):
                pass
        self._close(conn)

    def _disarm(self, conn: ConnectionState) -> None:
        try:
            self._epoll.modify(conn.fd, 0)
        except (OSError, ValueError):
            pass

    def _on_event(self, conn: ConnectionState, mask: int) -> None:
        with conn.lock:
            state = conn.state
        if state == _STREAMING:
            self._observe_stream(conn, mask)
        elif state == _HANDSHAKE:
            self._handshake(conn)
        elif state == _READING:
            self._read(conn)
        elif state == _LINGERING:
            self._linger(conn)

    def _observe_stream(self, conn: ConnectionState, mask: int) -> None:
        """A streaming client sends nothing more: readable means it closed or reset the connection (for TLS,
        whose records cannot be peeked, any input; for plain TCP a pipelined request is left alone)."""
        gone = bool(mask & (select.EPOLLRDHUP | select.EPOLLHUP | select.EPOLLERR)) or conn.tls
        if not gone:
            try:
                gone = socket.socket.recv(conn.sock, 1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
            except BlockingIOError:
                self._arm(conn, _STREAMING, only_if=_STREAMING)
                return
            except OSError:
                gone = True
        if gone:
            conn.mark_gone()

    def _handshake(self, conn: ConnectionState) -> None:
        sock = conn.sock
        assert isinstance(sock, ssl.SSLSocket)
        try:
            sock.do_handshake()
        except ssl.SSLWantReadError:
            self._arm(conn, _HANDSHAKE)
            return
        except ssl.SSLWantWriteError:
            self._arm(conn, _HANDSHAKE, writable=True)
            return
        except ssl.SSLError as err:
            if err.reason == "HTTP_REQUEST":     # as Go's net/http answers plain HTTP on its TLS port
                try:
                    socket.socket.send(sock, b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to "
                                             b"an HTTPS server.\n")
                    while socket.socket.recv(sock, 65536, socket.MSG_DONTWAIT):
                        pass                   # unread input would turn the close into a reset
                except OSError:
                    pass
                _shutdown(sock)
            self._close(conn)
            return
        except (OSError, ValueError):
            self._close(conn)
            return
        with conn.lock:
            conn.state = _READING
            conn.started = time.monotonic()
        self._read(conn)

    def _receive(self, conn: ConnectionState) -> bytes | None:
        """Whatever is available without blocking; b"" at end of stream, None when nothing yet."""
        sock = conn.sock
        chunks: list[bytes] = []
        total = 0
        try:
            while total < _READ_CHUNK * 4:
                try:
                    data = sock.recv(_READ_CHUNK)
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                    break
                if not data:
                    return b"".join(chunks) if chunks else b""
                chunks.append(data)
                total += len(data)
                if len(data) < _READ_CHUNK:
                    break             # (more input wakes the poller again; TLS-buffered bytes are drained below)
            if conn.tls:
                assert isinstance(sock, ssl.SSLSocket)
                while sock.pending():
                    chunks.append(sock.recv(sock.pending()))
        except ssl.SSLZeroReturnError:
            return b"".join(chunks) if chunks else b""
        except (OSError, ValueError):
            return b""
        return b"".join(chunks) if chunks else None

    def _read(self, conn: ConnectionState) -> None:
        data = self._receive(conn)
        if data is None:
            self._arm(conn)
            return
        if not data:
            self._close(conn)
            return
        if not conn.buffer and conn.request is None:
            conn.started = time.monotonic()      # the header timeout runs from the first byte
        conn.buffer += data
        self._dispatch(conn)

    def _dispatch(self, conn: ConnectionState) -> None:
        """Parse what the reactor read; a complete request goes to a worker, an incomplete one waits for more."""
        outcome = self._advance(conn)
        if outcome == _READY:
            self._workers.submit(lambda: self._serve(conn))
        elif outcome == _INCOMPLETE:
            self._arm(conn)

    def _advance(self, conn: ConnectionState) -> str:
        """Parse as far as the buffer allows (head, admission, body): ``_READY`` when a complete request is
        ready (the connection is then busy, owned by the caller), ``_INCOMPLETE`` when more input is needed
        (the caller still owns it), ``_TAKEN`` when it was refused (and handed over)."""
        try:
            if conn.request is None:
                outcome = self._parse_head(conn)
                if outcome != _READY:
                    return outcome
            if not self._collect_body(conn):
                return _INCOMPLETE
        except _ProtocolError as err:
            self._refuse_raw(conn, _go_error_bytes(err.status, err.text))
            return _TAKEN
        except _TooLarge:
            assert conn.request is not None
            self._refuse(conn, self.app.error(conn.request, 413, "Request entity too large: limit is "
                                              f"{self.limits.max_body_bytes}"))
            return _TAKEN
        with conn.lock:
            conn.state = _BUSY
        return _READY

    def _parse_head(self, conn: ConnectionState) -> str:
        end = _find_head_end(conn.buffer, self.limits.max_header_bytes)
        if not end:
            if len(conn.buffer) > self.limits.max_header_bytes:
                raise _ProtocolError(431, "431 Request Header Fields Too Large")
            return _INCOMPLETE
        request, keep_alive = parse_head(bytes(conn.buffer[:end]))
        request.connection = conn
        conn.request, conn.keep_alive, conn.head_end = request, keep_alive, end
        conn.started = time.monotonic()          # the body timeout runs from here
        try:
            refusal = self.app.admit(request)
        except Exception:
            log.exception("admission of %s %s failed", request.method, request.path)
            refusal = self.app.error(request, 500, "Internal error occurred: admission failed")
        if refusal is None and request.body_length is not None and request.body_length > self.limits.max_body_bytes:
            refusal = self.app.error(request, 413, f"Request entity too large: limit is {self.limits.max_body_bytes}")
        if refusal is not None:
            self._refuse(conn, refusal)
            return _TAKEN
        if request.header("expect").lower() == "100-continue" and len(conn.buffer) == end:
            self._send_nonblocking(conn, b"HTTP/1.1 100 Continue\r\n\r\n")
        if request.body_length is None:
            conn.body_parser = _ChunkedBody(self.limits.max_body_bytes)
        return _READY

    def _collect_body(self, conn: ConnectionState) -> bool:
        """True when the whole body is buffered (then it is the request's)."""
        request = conn.request
        assert request is not None
        if conn.body_parser is not None:
            position = conn.body_parser.feed(conn.buffer, conn.head_end)
            conn.head_end = position
            if not conn.body_parser.done:
                del conn.buffer[:position]
                conn.head_end = 0
                return False
            request.body = conn.body_parser.body()
            return True
        length = request.body_length or 0
        if len(conn.buffer) - conn.head_end < length:
            return False
        request.body = bytes(conn.buffer[conn.head_end:conn.head_end + length])
        conn.head_end += length
        return True

    def _refuse(self, conn: ConnectionState, response: Response) -> None:
        """Answer without reading (the rest of) the body; keep the connection only when there is none."""
        request = conn.request
        bodyless = request is not None and request.body_length == 0
        if bodyless and conn.keep_alive:
            self._send_nonblocking(conn, _response_bytes(response, close=False))
            conn.reset_for_next_request(time.monotonic())
            if conn.buffer:
                self._dispatch(conn)
            else:
                self._arm(conn)
            return
        self._refuse_raw(conn, _response_bytes(response, close=True))

    def _refuse_raw(self, conn: ConnectionState, data: bytes) -> None:
        if not self._send_nonblocking(conn, data):
            self._close(conn)
            return
        if not conn.tls:      # (a TLS connection ends with close_notify when the lingering is over)
            try:
                conn.sock.shutdown(socket.SHUT_WR)
            except OSError:
                self._close(conn)
                return
        conn.started = time.monotonic()
        conn.buffer.clear()
        self._arm(conn, _LINGERING)

    def _linger(self, conn: ConnectionState) -> None:
        data = self._receive(conn)
        if data is None:
            self._arm(conn, _LINGERING)
            return
        conn.lingered += len(data)
        if not data or conn.lingered > _LINGER_BYTES:
            self._close(conn)
            return
        self._arm(conn, _LINGERING)

    @staticmethod
    def _send_nonblocking(conn: ConnectionState, data: bytes) -> bool:
        """Send a small response from the reactor; False when it could not all go out at once."""
        try:
            sent = conn.sock.send(data)
            return bool(sent == len(data))
        except (OSError, ValueError):
            return False

    def _sweep(self, now: float) -> None:
        limits = self.limits
        with self._connections_lock:
            connections = list(self._connections.values())
        for conn in connections:
            state = conn.state
            if state == _HANDSHAKE:
                expired = now - conn.started > limits.header_timeout
            elif state == _READING:
                if conn.request is not None:
                    expired = now - conn.started > limits.body_timeout
                elif conn.buffer:
                    expired = now - conn.started > limits.header_timeout
                else:
                    idle_limit = limits.idle_timeout if conn.served else limits.header_timeout
                    expired = now - conn.started > idle_limit
            elif state == _LINGERING:
                expired = now - conn.started > _LINGER_SECONDS
            else:
                continue
            if expired:
                self._close(conn)

    def _close(self, conn: ConnectionState) -> None:
        with conn.lock:
            if conn.state == _CLOSED:
                return
            conn.state = _CLOSED
        with self._connections_lock:
            if self._connections.get(conn.fd) is conn:
                del self._connections[conn.fd]
        try:
            self._epoll.unregister(conn.fd)
        except (OSError, ValueError):
            pass
        conn.mark_gone(shutdown=False)
        _close_socket(conn.sock)

    def _close_everything(self) -> None:
        try:
            self._listener.close()
        except OSError:
            pass
        with self._connections_lock:
            connections = list(self._connections.values())
        for conn in connections:
            with conn.lock:
                state = conn.state
            if state in (_BUSY, _STREAMING):
                conn.mark_gone()          # its thread closes it
            else:
                self._close(conn)
        try:
            self._epoll.close()
        except OSError:
            pass

    # --- workers ---------------------------------------------------------------------------------------

    def _serve(self, conn: ConnectionState) -> None:
        """Serve requests of one connection while they come back to back (no hand-over for a client that
        sends its next request at once); then give the connection back to the reactor."""
        while self._respond(conn):
            pass

    def _respond(self, conn: ConnectionState) -> bool:
        """Answer the connection's complete request; True when the next one is ready, for this thread."""
        request = conn.request
        assert request is not None
        try:
            response = self.app.handle(request)
        except Exception as err:
            log.exception("internal error serving %s %s", request.method, request.path)
            response = self.app.error(request, 500, f"Internal error occurred: {err}")
        close = not conn.keep_alive or self._stopping
        try:
            if response.upgrade is not None:
                conn.sock.settimeout(self.limits.write_timeout)
                self._hand_over(conn, request, response)
                return False
            if response.stream is not None:
                conn.sock.settimeout(self.limits.write_timeout)
                close = self._stream(conn, request, response, close) or close
            else:
                self._send_all(conn, _response_bytes(response, close))
        except (OSError, ValueError):
            close = True
        return self._finish(conn, close)

    def _send_all(self, conn: ConnectionState, data: bytes) -> None:
        """Write a whole response on a non-blocking socket, waiting (up to the write timeout) only when the
        socket buffer is full."""
        sock = conn.sock
        if sock.gettimeout() != 0:
            sock.settimeout(0)
        view = memoryview(data)
        deadline = 0.0
        while view:
            try:
                sent = sock.send(view)
                view = view[sent:]
                continue
            except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
                pass
            now = time.monotonic()
            deadline = deadline or now + self.limits.write_timeout
            if now >= deadline:
                raise TimeoutError("write timeout")
            poller = select.poll()
            poller.register(conn.fd, select.POLLOUT)
            poller.poll(max(1, int((deadline - now) * 1000)))

    def _finish(self, conn: ConnectionState, close: bool) -> bool:
        """After a response (this thread owns the connection): closed, or back to the reactor, or -- when the
        client's next request arrives within a few milliseconds -- True: it is ready for this thread."""
        if close or conn.gone or self._stopping:
            self._close(conn)
            return False
        conn.reset_for_next_request(time.monotonic())
        if not conn.buffer and not self._next_request_arrives(conn):
            self._arm(conn)
            return False
        try:
            if conn.sock.gettimeout() != 0:
                conn.sock.settimeout(0)
        except OSError:
            self._close(conn)
            return False
        if not conn.buffer or conn.request is None:
            data = self._receive(conn)
            if data == b"":
                self._close(conn)
                return False
            if data:
                conn.started = time.monotonic()
                conn.buffer += data
        if not conn.buffer:
            self._arm(conn)
            return False
        return self._complete_here(conn)

    def _complete_here(self, conn: ConnectionState) -> bool:
        """Parse the next request on this worker, reading the rest of it here while it comes quickly; True when
        it is complete. Otherwise the connection went to the reactor (or was refused)."""
        deadline = time.monotonic() + _REST_OF_REQUEST_WAIT_S
        while True:
            outcome = self._advance(conn)
            if outcome != _INCOMPLETE:
                return outcome == _READY
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            if remaining_ms <= 0 or not self._input_arrives(conn, remaining_ms):
                self._arm(conn)
                return False
            data = self._receive(conn)
            if data == b"":
                self._close(conn)
                return False
            if data:
                conn.buffer += data

    def _next_request_arrives(self, conn: ConnectionState) -> bool:
        wait = _NEXT_REQUEST_WAIT_MS if self._workers.has_headroom() else _NEXT_REQUEST_WAIT_BUSY_MS
        return self._input_arrives(conn, wait)

    @staticmethod
    def _input_arrives(conn: ConnectionState, wait_ms: int) -> bool:
        """Input is buffered or arrives on the socket within ``wait_ms`` (a worker's wait, on its own poll)."""
        if conn.tls and conn.sock.pending():   # type: ignore[attr-defined]
            return True
        poller = conn.poller
        if poller is None:
            poller = conn.poller = select.poll()
            poller.register(conn.fd, select.POLLIN | select.POLLRDHUP)
        try:
            return bool(poller.poll(wait_ms))
        except OSError:
            return False

    def _start_stream(self, conn: ConnectionState, request: Request) -> Response | None:
        """Leave the pool for a long-lived response; an error response when too many are open."""
        if not self._streams.acquire(blocking=False):
            return self.app.error(request, 429, "Too many requests, please try again later.")
        self._workers.detach()
        return None

    def _stream(self, conn: ConnectionState, request: Request, response: Response, close: bool) -> bool:
        """Write a chunked streaming response; True when the connection must be closed afterwards."""
        assert response.stream is not None
        stream = iter(response.stream)
        refusal = self._start_stream(conn, request)
        if refusal is not None:
            _close_iterator(stream)
            conn.sock.sendall(_response_bytes(refusal, close))
            return close
        try:
            conn.sock.sendall(_head_bytes(response, [("Transfer-Encoding", "chunked")], close))
            self._arm(conn, _STREAMING)       # the reactor now watches for the client leaving
            for chunk in stream:
                if chunk:
                    conn.sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self._stop_observing(conn)
            conn.sock.sendall(b"0\r\n\r\n")
            return False
        except (OSError, ValueError):
            return True
        except Exception:
            log.exception("streaming response for %s %s failed", request.method, request.path)
            return True
        finally:
            self._stop_observing(conn)
            _close_iterator(stream)
            self._streams.release()

    def _stop_observing(self, conn: ConnectionState) -> None:
        """Take a streaming connection back from the reactor (which ignores events of busy connections)."""
        with conn.lock:
            if conn.state != _STREAMING:
                return
            conn.state = _BUSY
        self._disarm(conn)

    def _hand_over(self, conn: ConnectionState, request: Request, response: Response) -> None:
        assert response.upgrade is not None
        refusal = self._start_stream(conn, request)
        if refusal is not None:
            conn.sock.sendall(_response_bytes(refusal, True))
            self._finish(conn, True)
            return
        try:
            conn.sock.sendall(_head_bytes(response, [], close=False))
            pending = bytes(conn.buffer[conn.head_end:])
            conn.buffer.clear()
            conn.head_end = 0
            conn.sock.settimeout(None)
            response.upgrade(UpgradedConnection(conn.sock, pending, request))
        except (OSError, ValueError):
            pass
        except Exception:
            log.exception("upgraded connection for %s %s failed", request.method, request.path)
        finally:
            self._streams.release()
            self._finish(conn, True)


def _close_iterator(stream: Any) -> None:
    close = getattr(stream, "close", None)
    if close is not None:
        try:
            close()
        except Exception:
            log.exception("closing a response stream failed")
