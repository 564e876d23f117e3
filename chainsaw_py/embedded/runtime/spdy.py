"""Server side of SPDY/3.1 as Kubernetes' streaming uses it (``exec`` with kubectl up to 1.29, ``port-forward``):
the peer opens streams (SYN_STREAM with headers such as ``streamtype``), the server replies to each and both
sides send DATA frames; header blocks are zlib-compressed with the protocol's dictionary, one compression
context per direction. Flow control (WINDOW_UPDATE) is not enforced, as the Go implementation does not.
"""

from __future__ import annotations

import queue
import struct
import threading
import zlib
from collections.abc import Callable

SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = 1, 2, 3, 4, 6, 7, 8, 9
FLAG_FIN = 0x01
MAX_FRAME = 16 * 1024 * 1024

_WORDS = (
    "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding",
    "accept-language", "accept-ranges", "age", "allow", "authorization", "cache-control", "connection",
    "content-base", "content-encoding", "content-language", "content-length", "content-location", "content-md5",
    "content-range", "content-type", "date", "etag", "expect", "expires", "from", "host", "if-match",
    "if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "last-modified", "location",
    "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer", "retry-after",
    "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via", "warning",
    "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url", "public", "set-cookie",
    "keep-alive", "origin"
)
_TAIL = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
    "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
    "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
    "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
    "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)
# The header compression dictionary of SPDY/3 (draft-mbelshe-httpbis-spdy-00, 2.6.10.1).
DICTIONARY = b"".join(struct.pack("!I", len(word)) + word.encode() for word in _WORDS) + _TAIL.encode()


class SpdyClosed(Exception):
    pass


class Stream:
    """One stream the peer opened: its headers, what it sends (``read``), what we send (``write``)."""

    def __init__(self, connection: SpdyConnection, stream_id: int, headers: dict[str, str]) -> None:
        self.connection = connection
        self.id = stream_id
        self.headers = headers
        self._incoming: queue.Queue[bytes] = queue.Queue()
        self.remote_closed = False
        self.local_closed = False

    def feed(self, data: bytes, fin: bool) -> None:
        if data:
            self._incoming.put(data)
        if fin:
            self.remote_closed = True
            self._incoming.put(b"")

    def read(self, timeout: float | None = None) -> bytes | None:
        """The next chunk; ``b""`` once the peer closed its side (or the connection ended); None on timeout."""
        try:
            return self._incoming.get(timeout=timeout)
        except queue.Empty:
            return None

    def write(self, data: bytes) -> None:
        for start in range(0, len(data), 64 * 1024):
            self.connection.send_data(self.id, data[start:start + 64 * 1024], fin=False)

    def close(self) -> None:
        if not self.local_closed:
            self.local_closed = True
            try:
                self.connection.send_data(self.id, b"", fin=True)
            except SpdyClosed:
                pass


class SpdyConnection:
    """Reads frames from ``read_exact`` until the peer goes; ``on_stream`` is called (in the reading thread)
    for every new stream, after the reply was sent."""

    def __init__(self, read_exact: Callable[[int], bytes], write: Callable[[bytes], None],
                 on_stream: Callable[[Stream], None]) -> None:
        self._read_exact = read_exact
        self._write = write
        self._on_stream = on_stream
        self._inflate = zlib.decompressobj(zdict=DICTIONARY)
        self._deflate = zlib.compressobj(zlib.Z_BEST_COMPRESSION, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY,
                                         zdict=DICTIONARY)
        self._send_lock = threading.Lock()
        self._header_lock = threading.Lock()   # header blocks go out in the order they were compressed
        self.streams: dict[int, Stream] = {}
        self.closed = threading.Event()

    # --- reading ----------------------------------------------------------------------------------------

    def serve(self) -> None:
        try:
            while not self.closed.is_set():
                self._frame()
        except (SpdyClosed, OSError, zlib.error, struct.error, ValueError):
            pass
        finally:
            self.closed.set()
            for stream in list(self.streams.values()):
                stream.feed(b"", fin=True)

    def _frame(self) -> None:
        head = self._read_exact(8)
        first, flags_length = struct.unpack("!II", head)
        flags, length = flags_length >> 24, flags_length & 0xFFFFFF
        if length > MAX_FRAME:
            raise SpdyClosed()
        payload = self._read_exact(length) if length else b""
        if not first & 0x80000000:
            stream = self.streams.get(first & 0x7FFFFFFF)
            if stream is not None:
                stream.feed(payload, bool(flags & FLAG_FIN))
            return
        kind = first & 0xFFFF
        if kind == SYN_STREAM:
            stream_id = struct.unpack("!I", payload[:4])[0] & 0x7FFFFFFF
            stream = Stream(self, stream_id, self._headers(payload[10:]))
            self.streams[stream_id] = stream
            with self._header_lock:
                self._send_control(SYN_REPLY, 0, struct.pack("!I", stream_id) + self._header_block({}))
            if flags & FLAG_FIN:
                stream.feed(b"", fin=True)
            self._on_stream(stream)
        elif kind == RST_STREAM:
            stream = self.streams.get(struct.unpack("!I", payload[:4])[0] & 0x7FFFFFFF)
            if stream is not None:
                stream.feed(b"", fin=True)
        elif kind == PING:
            self._send_control(PING, 0, payload)
        elif kind == GOAWAY:
            raise SpdyClosed()
        elif kind == HEADERS:
            self._headers(payload[4:])   # keeps the decompression context in step

    def _headers(self, block: bytes) -> dict[str, str]:
        data = self._inflate.decompress(block)
        count = struct.unpack("!I", data[:4])[0]
        position, headers = 4, {}
        for _ in range(count):
            size = struct.unpack("!I", data[position:position + 4])[0]
            name = data[position + 4:position + 4 + size].decode("latin-1")
            position += 4 + size
            size = struct.unpack("!I", data[position:position + 4])[0]
            value = data[position + 4:position + 4 + size].decode("latin-1")
            position += 4 + size
            headers[name.lower()] = value.split("\x00")[0]
        return headers

    # --- writing ----------------------------------------------------------------------------------------

    def _header_block(self, headers: dict[str, str]) -> bytes:
        raw = struct.pack("!I", len(headers))
        for name, value in headers.items():
            raw += struct.pack("!I", len(name)) + name.encode() + struct.pack("!I", len(value)) + value.encode()
        return self._deflate.compress(raw) + self._deflate.flush(zlib.Z_SYNC_FLUSH)

    def _send_control(self, kind: int, flags: int, payload: bytes) -> None:
        self._send(struct.pack("!II", 0x80030000 | kind, (flags << 24) | len(payload)) + payload)

    def send_data(self, stream_id: int, data: bytes, fin: bool) -> None:
        self._send(struct.pack("!II", stream_id & 0x7FFFFFFF, ((FLAG_FIN if fin else 0) << 24) | len(data)) + data)

    def _send(self, frame: bytes) -> None:
        if self.closed.is_set():
            raise SpdyClosed()
        with self._send_lock:
            try:
                self._write(frame)
            except OSError as err:
                self.closed.set()
                raise SpdyClosed() from err

    def close(self) -> None:
        if not self.closed.is_set():
            try:
                self._send_control(GOAWAY, 0, struct.pack("!II", 0, 0))
            except SpdyClosed:
                pass
        self.closed.set()
