"""The embedded API server's limits, anchored on kube-apiserver's (see docs/embedded.md, "Limits").

One frozen dataclass shared by the HTTP layer (connections, timeouts, body size) and the request decoding
(nesting depth, YAML aliases), so that tests can make every limit small.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass

# kube-apiserver: --max-request-body-bytes defaults to 3 MiB (k8s.io/apiserver server.Config.MaxRequestBodyBytes)
MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = MAX_REQUEST_BODY_BYTES
    """Larger request bodies get 413 ``Request entity too large: limit is N``, before they are read."""
    max_header_bytes: int = 1 << 20
    """Request line and headers (Go's http.Server.MaxHeaderBytes as the apiserver sets it) -> 431."""
    header_timeout: float = 32.0
    """A request's line and headers (and the TLS handshake) must arrive within this (ReadHeaderTimeout)."""
    body_timeout: float = 60.0
    """The body must arrive within this once the headers are in (the apiserver's request timeout)."""
    idle_timeout: float = 90.0
    """A keep-alive connection with no request is closed after this (the apiserver's IdleTimeout)."""
    write_timeout: float = 60.0
    """A response (or one event of a stream) the client does not take within this closes the connection."""
    max_connections: int = 0
    """Open connections; at the cap the oldest connection that is not being served is closed. 0 = from the
    process's file descriptor limit (at most 4096)."""
    max_workers: int = 64
    """Threads that run ordinary requests. Idle and half-sent connections hold no thread."""
    max_streams: int = 1024
    """Concurrent streaming responses (watches, followed logs, upgraded connections) -> 429 above it."""
    max_json_depth: int = 200
    """Nesting of JSON and YAML bodies -> 400. kube-apiserver allows 10000; Python's recursion bounds this
    server's walkers lower (see docs)."""

    def connection_cap(self) -> int:
        if self.max_connections > 0:
            return self.max_connections
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return 4096
        return max(16, min(4096, soft - 128))
