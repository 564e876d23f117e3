"""The embedded API server's limits, anchored on kube-apiserver's (see docs/embedded.md, "Limits").

One frozen dataclass shared by the HTTP layer (connections, timeouts, body size), the request decoding
(nesting depth, YAML aliases) and the store (watch history), so that tests can make every limit small. The
watch history's defaults can also be set through environment variables (read once, at import).
"""

from __future__ import annotations

import resource
from dataclasses import dataclass

from chainsaw_py.util.limits import from_environment

# k8s.io/apiserver's watch cache: eventFreshDuration, defaultLowerBoundCapacity, defaultUpperBoundCapacity
WATCH_FRESH_SECONDS, WATCH_MIN_EVENTS, WATCH_MAX_EVENTS = 75, 100, 100 * 1024

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
    watch_history_seconds: float = from_environment("CHAINSAW_PY_WATCH_HISTORY_SECONDS", WATCH_FRESH_SECONDS)
    """A resource type's watch history grows while all its events are younger than this, and shrinks once its
    newest quarter is older (the watch cache's eventFreshDuration). A watch or exact list from before the
    history is ``410 Expired``."""
    watch_history_min_events: int = from_environment("CHAINSAW_PY_WATCH_HISTORY_MIN_EVENTS", WATCH_MIN_EVENTS)
    """Events a resource type's history may always keep (the capacity it starts with and shrinks to)."""
    watch_history_max_events: int = from_environment("CHAINSAW_PY_WATCH_HISTORY_MAX_EVENTS", WATCH_MAX_EVENTS)
    """Most events one resource type's history keeps."""
    watch_history_max_bytes: int = from_environment("CHAINSAW_PY_WATCH_HISTORY_MAX_BYTES", 8 << 20)
    """Most bytes one resource type's history keeps (its events' JSON, the object and its previous version);
    the oldest events go first, the newest is always kept."""
    watch_history_total_bytes: int = from_environment("CHAINSAW_PY_WATCH_HISTORY_TOTAL_BYTES", 64 << 20)
    """Most bytes all the histories keep together; above it the largest history drops its oldest events."""

    def connection_cap(self) -> int:
        if self.max_connections > 0:
            return self.max_connections
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return 4096
        return max(16, min(4096, soft - 128))
