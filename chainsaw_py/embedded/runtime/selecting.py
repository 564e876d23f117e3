"""One thread that waits for sockets to become readable and hands each ready one to a callback: the loop behind
the pods' DNS server and the pod network's forwarders."""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from collections.abc import Callable
from typing import Any

_WAKE = object()


class SocketLoop:
    """Calls ``on_ready(sock, data)`` from its own thread for every watched socket ready to read. ``watch`` and
    ``close`` may be called from any thread; ``stop`` wakes the thread, waits for it and releases the selector."""

    def __init__(self, name: str, on_ready: Callable[[socket.socket, Any], None]) -> None:
        self._on_ready = on_ready
        self._selector = selectors.DefaultSelector()
        self._wake_read, self._wake_write = socket.socketpair()
        self._selector.register(self._wake_read, selectors.EVENT_READ, _WAKE)
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def watch(self, sock: socket.socket, data: Any) -> None:
        self._selector.register(sock, selectors.EVENT_READ, data)

    def close(self, sock: socket.socket) -> None:
        """Stop watching ``sock`` (if it was) and close it."""
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(sock)
        sock.close()

    def stop(self) -> None:
        self._stopped = True
        with contextlib.suppress(OSError):
            self._wake_write.send(b"x")
        self._thread.join(5)
        self._selector.close()
        self._wake_read.close()
        self._wake_write.close()

    def _run(self) -> None:
        while not self._stopped:
            try:
                events = self._selector.select(timeout=1.0)
            except (OSError, ValueError):
                continue
            for key, _mask in events:
                if key.data is _WAKE:
                    return
                self._on_ready(key.fileobj, key.data)  # type: ignore[arg-type]
