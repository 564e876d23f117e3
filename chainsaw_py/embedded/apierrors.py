"""API errors as the kube-apiserver reports them: a ``metav1.Status`` body with message, reason and code.

Every failure of the embedded API server is an :class:`ApiError`; the HTTP layer renders ``status_body()``
and in-process callers (controllers, plugins) catch the subclasses (``NotFound``, ``Conflict``, ...).
Messages follow ``k8s.io/apimachinery/pkg/api/errors`` word for word.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldCause:
    """One field error of an Invalid response (``field.Error``)."""

    type: str          # e.g. "FieldValueInvalid", "FieldValueRequired"
    field: str         # e.g. "metadata.name"
    detail: str        # the text after "<path>: "

    def line(self) -> str:
        return f"{self.field}: {self.detail}" if self.field else self.detail


class ApiError(Exception):
    """A request failed; ``status_body()`` is the Status object sent to clients."""

    code = 500
    reason = "InternalError"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None, code: int | None = None,
                 reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code is not None:
            self.code = code
        if reason is not None:
            self.reason = reason

    def status_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": self.message,
        }
        if self.reason:  # an error the apiserver does not classify has none (omitempty)
            body["reason"] = self.reason
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body


def qualified_resource(group: str, resource: str) -> str:
    """``configmaps`` or ``deployments.apps`` — how the apiserver names a resource in messages."""
    return f"{resource}.{group}" if group else resource


def _details(group: str, resource: str, name: str, **extra: Any) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = resource
    details.update(extra)
    return details


class BadRequest(ApiError):
    code = 400
    reason = "BadRequest"


class Unauthorized(ApiError):
    code = 401
    reason = "Unauthorized"

    def __init__(self, message: str = "Unauthorized") -> None:
        super().__init__(message)


class Forbidden(ApiError):
    code = 403
    reason = "Forbidden"


class NotFound(ApiError):
    code = 404
    reason = "NotFound"

    @classmethod
    def for_object(cls, group: str, resource: str, name: str) -> NotFound:
        return cls(f'{qualified_resource(group, resource)} "{name}" not found',
                   details=_details(group, resource, name))

    @classmethod
    def generic(cls) -> NotFound:
        return cls("the server could not find the requested resource", details={})


class MethodNotAllowed(ApiError):
    code = 405
    reason = "MethodNotAllowed"

    def __init__(self, message: str = "the server does not allow this method on the requested resource",
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details=details if details is not None else {})


class NotAcceptable(ApiError):
    code = 406
    reason = "NotAcceptable"


class AlreadyExists(ApiError):
    code = 409
    reason = "AlreadyExists"

    @classmethod
    def for_object(cls, group: str, resource: str, name: str) -> AlreadyExists:
        return cls(f'{qualified_resource(group, resource)} "{name}" already exists',
                   details=_details(group, resource, name))


class Conflict(ApiError):
    code = 409
    reason = "Conflict"

    @classmethod
    def modified(cls, group: str, resource: str, name: str) -> Conflict:
        return cls(f'Operation cannot be fulfilled on {qualified_resource(group, resource)} "{name}": the object '
                   "has been modified; please apply your changes to the latest version and try again",
                   details=_details(group, resource, name))

    @classmethod
    def with_reason(cls, group: str, resource: str, name: str, why: str) -> Conflict:
        return cls(f'Operation cannot be fulfilled on {qualified_resource(group, resource)} "{name}": {why}',
                   details=_details(group, resource, name))


class Gone(ApiError):
    code = 410
    reason = "Expired"


class ContinueExpired(Gone):
    """A continue token older than the kept history: the Status carries a token that continues from the current
    state (resourceVersion -1), as etcd3's storage answers a compacted page."""

    def __init__(self, continue_token: str) -> None:
        super().__init__(
            "The provided continue parameter is too old to display a consistent list result. You can start a new "
            "list without the continue parameter, or use the continue token in this response to retrieve the "
            "remainder of the results. Continuing with the provided token results in an inconsistent list - objects "
            "that were created, modified, or deleted between the time the first chunk was returned and now may "
            "show up in the list.")
        self.continue_token = continue_token

    def status_body(self) -> dict[str, Any]:
        body = super().status_body()
        body["metadata"] = {"continue": self.continue_token}
        return body


class UnsupportedMediaType(ApiError):
    code = 415
    reason = "UnsupportedMediaType"


class RequestEntityTooLarge(ApiError):
    code = 413
    reason = "RequestEntityTooLarge"

    def __init__(self, message: str) -> None:
        super().__init__(f"Request entity too large: {message}")


class TooManyRequests(ApiError):
    code = 429
    reason = "TooManyRequests"

    def __init__(self, message: str = "Too many requests, please try again later.", retry_after: int = 1) -> None:
        super().__init__(message, details={"retryAfterSeconds": retry_after})


class Invalid(ApiError):
    """422: the object failed validation; ``causes`` are the individual field errors."""

    code = 422
    reason = "Invalid"

    def __init__(self, kind: str, group: str, name: str, causes: list[FieldCause]) -> None:
        self.causes = causes
        lines = list(dict.fromkeys(cause.line() for cause in causes))   # ErrorList.ToAggregate drops repeats
        summary = lines[0] if len(lines) == 1 else "[" + ", ".join(lines) + "]"
        message = f'{kind}{"." + group if group else ""} "{name}" is invalid: {summary}'
        details: dict[str, Any] = {"name": name}
        if group:
            details["group"] = group
        details["kind"] = kind
        details["causes"] = [{"reason": cause.type, "message": cause.detail, "field": cause.field}
                             for cause in causes]
        super().__init__(message, details=details)


class InternalError(ApiError):
    code = 500
    reason = "InternalError"


class ServiceUnavailable(ApiError):
    code = 503
    reason = "ServiceUnavailable"


@dataclass
class FieldErrors:
    """Collects field errors in apimachinery's ``field.ErrorList`` style."""

    causes: list[FieldCause] = field(default_factory=list)

    def invalid(self, path: str, value: Any, detail: str) -> None:
        self.causes.append(FieldCause("FieldValueInvalid", path, f"Invalid value: {go_value(value)}: {detail}"))

    def required(self, path: str, detail: str = "") -> None:
        text = "Required value" + (f": {detail}" if detail else "")
        self.causes.append(FieldCause("FieldValueRequired", path, text))

    def forbidden(self, path: str, detail: str) -> None:
        self.causes.append(FieldCause("FieldValueForbidden", path, f"Forbidden: {detail}"))

    def not_supported(self, path: str, value: Any, allowed: list[str]) -> None:
        quoted = ", ".join(f'"{item}"' for item in allowed)
        self.causes.append(FieldCause("FieldValueNotSupported", path,
                                      f"Unsupported value: {go_value(value)}: supported values: {quoted}"))

    def duplicate(self, path: str, value: Any) -> None:
        self.causes.append(FieldCause("FieldValueDuplicate", path, f"Duplicate value: {go_value(value)}"))

    def too_long(self, path: str, limit: int) -> None:
        self.causes.append(FieldCause("FieldValueTooLong", path,
                                      f"Too long: may not be more than {limit} bytes"))

    def type_invalid(self, path: str, value: Any, detail: str) -> None:
        self.causes.append(FieldCause("FieldValueTypeInvalid", path, f"Invalid value: {go_value(value)}: {detail}"))

    def __bool__(self) -> bool:
        return bool(self.causes)

    def has_errors_under(self, path: str) -> bool:
        """True when a cause concerns ``path`` or a field below it (rules are skipped on invalid values)."""
        prefixes = (f"{path}.", f"{path}[")
        return any(cause.field == path or cause.field.startswith(prefixes) for cause in self.causes)

    def raise_if_any(self, kind: str, group: str, name: str) -> None:
        if self.causes:
            raise Invalid(kind, group, name, self.causes)


def go_value(value: Any) -> str:
    """Render a value as ``field.Error`` does: strings quoted, numbers and booleans bare, others as JSON."""
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (int, float)):
        return str(value)
    if value is None:
        return "null"
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
