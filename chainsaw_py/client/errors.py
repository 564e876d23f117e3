"""Errors raised by the client facade, shaped like apimachinery's ``StatusError``."""

from __future__ import annotations


class ApiError(Exception):
    """A request the API server refused; ``str()`` is the server's message, as Go's client prints it."""

    def __init__(self, message: str, *, code: int = 0, reason: str = "", details: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.reason = reason
        self.details = details

    @property
    def retryable(self) -> bool:
        """Chainsaw retries create/patch/update only on these (reference §2)."""
        return self.reason in ("Conflict", "ServerTimeout", "TooManyRequests", "ServiceUnavailable") or \
            self.code in (409, 429, 503, 504)


class NotFoundError(ApiError):
    def __init__(self, message: str, **kwargs: object) -> None:
        kwargs.setdefault("code", 404)
        kwargs.setdefault("reason", "NotFound")
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class NoKindMatchError(ApiError):
    """The REST mapper knows no resource for this apiVersion/kind (``no matches for kind ...``)."""


def not_found(kind_plural: str, name: str, group: str = "") -> NotFoundError:
    resource = f"{kind_plural}.{group}" if group else kind_plural
    return NotFoundError(f'{resource} "{name}" not found')
