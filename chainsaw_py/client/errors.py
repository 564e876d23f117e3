"""Errors raised by the client facade, shaped like apimachinery's ``StatusError``.

They derive from ``ChainsawError``: an API error is a one-line message (the server's ``Status`` message,
as Go's client prints it), never a traceback, and ``x_k8s_*`` functions turn it into an expression error.
"""

from __future__ import annotations

from chainsaw_py.errors import ChainsawError

RETRYABLE_REASONS = frozenset({"Conflict", "ServerTimeout", "TooManyRequests", "ServiceUnavailable"})
FINAL_CODES = frozenset({400, 403, 422})
FINAL_REASONS = frozenset({"BadRequest", "Forbidden", "Invalid"})
KNOWN_REASONS = frozenset({
    "", "Unauthorized", "Forbidden", "NotFound", "AlreadyExists", "Conflict", "Gone", "Invalid", "ServerTimeout",
    "StoreReadError", "Timeout", "TooManyRequests", "BadRequest", "MethodNotAllowed", "NotAcceptable",
    "RequestEntityTooLarge", "UnsupportedMediaType", "InternalError", "Expired", "ServiceUnavailable",
})


class ApiError(ChainsawError):
    """A request the API server refused; ``str()`` is the server's message, as Go's client prints it."""

    def __init__(self, message: str, *, code: int = 0, reason: str = "", details: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.reason = reason
        self.details = details

    @property
    def retryable(self) -> bool:
        """Chainsaw retries create/patch/update only on these (Chainsaw's ``pkg/client``; apimachinery's
        ``IsConflict``/``IsServerTimeout``/``IsTooManyRequests``/``IsServiceUnavailable``)."""
        if self.reason in RETRYABLE_REASONS or self.code == 429:
            return True
        return self.reason not in KNOWN_REASONS and self.code in (409, 503)

    @property
    def final(self) -> bool:
        """An answer that repeating the same request cannot change: the request itself is wrong
        (400 BadRequest, 422 Invalid) or not allowed (403 Forbidden)."""
        return self.code in FINAL_CODES or (self.code == 0 and self.reason in FINAL_REASONS)

    @property
    def already_exists(self) -> bool:
        return self.reason == "AlreadyExists"


class NotFoundError(ApiError):
    def __init__(self, message: str, **kwargs: object) -> None:
        kwargs.setdefault("code", 404)
        kwargs.setdefault("reason", "NotFound")
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class NoKindMatchError(ApiError):
    """The REST mapper knows no resource for this apiVersion/kind (``no matches for kind ...``)."""


class ConnectionFailed(ApiError):
    """The API server could not be reached (no HTTP status)."""


def not_found(kind_plural: str, name: str, group: str = "") -> NotFoundError:
    resource = f"{kind_plural}.{group}" if group else kind_plural
    return NotFoundError(f'{resource} "{name}" not found')
