"""Server side of RFC 6455 WebSocket framing, enough for Kubernetes' channel protocols (``v4``/``v5.channel.k8s.io``):
binary and text messages (fragmented or not), ping/pong and close."""

from __future__ import annotations

import base64
import hashlib
import socket
import struct
import threading
from typing import BinaryIO

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_MESSAGE = 16 * 1024 * 1024

OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def accept_key(client_key: str) -> str:
    return base64.b64encode(hashlib.sha1((client_key.strip() + _GUID).encode()).digest()).decode()


class Closed(Exception):
    """The peer closed the connection (or sent a close frame)."""


class WebSocket:
    """One upgraded connection: ``receive()`` returns whole messages, ``send()`` is thread-safe."""

    def __init__(self, reader: BinaryIO, connection: socket.socket) -> None:
        self.reader = reader
        self.connection = connection
        self._send_lock = threading.Lock()
        self.closed = False

    def _read_exact(self, count: int) -> bytes:
        data = self.reader.read(count)
        if data is None or len(data) < count:
            raise Closed()
        return data

    def _frame(self) -> tuple[bool, int, bytes]:
        first, second = self._read_exact(2)
        fin, opcode = bool(first & 0x80), first & 0x0F
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._read_exact(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._read_exact(8))[0]
        if length > MAX_MESSAGE:
            raise Closed()
        mask = self._read_exact(4) if second & 0x80 else b""
        payload = self._read_exact(length) if length else b""
        if mask:
            payload = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        return fin, opcode, payload

    def receive(self) -> tuple[int, bytes]:
        """The next data message as (opcode, payload); answers pings; raises ``Closed`` at the end."""
        parts: list[bytes] = []
        message_opcode = 0
        while True:
            fin, opcode, payload = self._frame()
            if opcode == OP_CLOSE:
                self.close()
                raise Closed()
            if opcode == OP_PING:
                self._send_frame(OP_PONG, payload)
                continue
            if opcode == OP_PONG:
                continue
            if opcode != OP_CONTINUATION:
                message_opcode = opcode
            parts.append(payload)
            if sum(len(part) for part in parts) > MAX_MESSAGE:
                raise Closed()
            if fin:
                return message_opcode, b"".join(parts)

    def send(self, payload: bytes, opcode: int = OP_BINARY) -> None:
        self._send_frame(opcode, payload)

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        length = len(payload)
        if length < 126:
            head = struct.pack("!BB", 0x80 | opcode, length)
        elif length < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 126, length)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 127, length)
        with self._send_lock:
            if self.closed and opcode != OP_CLOSE:
                raise Closed()
            try:
                self.connection.sendall(head + payload)
            except OSError as err:
                self.closed = True
                raise Closed() from err

    def close(self, code: int = 1000) -> None:
        if self.closed:
            return
        try:
            self._send_frame(OP_CLOSE, struct.pack("!H", code))
        except Closed:
            pass
        self.closed = True
