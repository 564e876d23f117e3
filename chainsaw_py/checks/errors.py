"""Field errors exactly as Kubernetes' ``k8s.io/apimachinery/pkg/util/validation/field`` prints them.

Chainsaw reports assertion failures as ``field.Error`` values; ``str(FieldError)`` is ``field.Error.Error()``
of apimachinery v0.36 (the version Chainsaw v0.2.15 and later build with):

* ``<path>: Invalid value: <bad value>: <detail>`` — the bad value is ``%v`` for int64, float64 and bool,
  ``%q`` for strings and the JSON encoding for anything else (``null``, ``{"a":1}``, ``["x"]``);
* ``<path>: Required value: <detail>``;
* ``<path>: Internal error: <detail>``.

Assertion mismatches carry the detail ``Expected value: <e>`` written by kyverno-json, where ``<e>`` is
``%v`` for numbers and bools, ``%q`` for strings and Go's ``%#v`` for the rest
(``map[string]interface {}{"a":1}``, ``[]interface {}{"x"}``, ``<nil>``).

Paths are ``field.Path`` strings: ``spec.containers[0].image``, map keys of a foreach as ``[key]``, the
root (a nil path) as ``<nil>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from enum import Enum
from typing import Any

from chainsaw_py.errors import ChainsawError
from chainsaw_py.golang.fmt import (
    GoFormatError,
    format_sharp_v,
    format_v,
    json_marshal,
    quote,
)

__all__ = [
    "NO_EXPECTATION",
    "AssertionHardError",
    "ErrorType",
    "FieldError",
    "FieldPath",
    "expected_value_detail",
    "format_bad_value",
]


class ErrorType(Enum):
    """The ``field.ErrorType`` values assertion trees produce, with the text apimachinery prints."""

    INVALID = "FieldValueInvalid"
    TYPE_INVALID = "FieldValueTypeInvalid"
    REQUIRED = "FieldValueRequired"
    INTERNAL = "InternalError"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def shows_value(self) -> bool:
        return self in (ErrorType.INVALID, ErrorType.TYPE_INVALID)


_LABELS = {
    ErrorType.INVALID: "Invalid value",
    ErrorType.TYPE_INVALID: "Invalid value",
    ErrorType.REQUIRED: "Required value",
    ErrorType.INTERNAL: "Internal error",
}


class _NoExpectation:
    """Marker: the error does not come from comparing against an expected value."""

    def __repr__(self) -> str:
        return "NO_EXPECTATION"


NO_EXPECTATION: Any = _NoExpectation()


class FieldPath:
    """An immutable ``field.Path``. ``FieldPath.root()`` is the nil path Chainsaw starts from.

    A link to its parent: making a child is O(1), the text is built only when an error is printed.
    """

    __slots__ = ("_kind", "_parent", "_text")

    def __init__(self, parent: FieldPath | None = None, kind: str = "", text: str = "") -> None:
        self._parent = parent
        self._kind = kind
        self._text = text

    @staticmethod
    def root() -> FieldPath:
        return _ROOT

    def child(self, name: str) -> FieldPath:
        return FieldPath(self, "name", name)

    def index(self, position: int) -> FieldPath:
        return FieldPath(self, "index", str(position))

    def key(self, name: str) -> FieldPath:
        return FieldPath(self, "index", name)

    def descend(self, segments: tuple[tuple[str, str], ...]) -> FieldPath:
        """This path followed by ``segments`` ((kind, text) as in ``segments``)."""
        path = self
        for kind, text in segments:
            path = FieldPath(path, kind, text)
        return path

    @property
    def segments(self) -> tuple[tuple[str, str], ...]:
        """(kind, text) from the root down; kind is ``name`` or ``index``."""
        reversed_segments: list[tuple[str, str]] = []
        node: FieldPath | None = self
        while node is not None and node._parent is not None:
            reversed_segments.append((node._kind, node._text))
            node = node._parent
        return tuple(reversed(reversed_segments))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldPath) and self.segments == other.segments

    def __hash__(self) -> int:
        return hash(self.segments)

    def __repr__(self) -> str:
        return f"FieldPath({str(self)!r})"

    def __str__(self) -> str:
        segments = self.segments
        if not segments:
            return "<nil>"
        parts: list[str] = []
        for position, (kind, text) in enumerate(segments):
            if kind == "name" and text:
                parts.append(("." if position else "") + text)
            else:
                # apimachinery prints an empty child name like an empty subscript
                parts.append(f"[{text}]")
        return "".join(parts)


_ROOT = FieldPath()


@dataclass(frozen=True)
class FieldError:
    """One ``field.Error``: ``str(err)`` is apimachinery's ``Error()`` text.

    ``bad_value`` is the actual value (shown for Invalid errors); ``expected`` the expected value of a
    mismatch (``NO_EXPECTATION`` otherwise) from which ``detail`` was written.
    """

    type: ErrorType
    field: str
    bad_value: Any = None
    detail: str = ""
    expected: Any = dataclass_field(default=NO_EXPECTATION, compare=False)

    @classmethod
    def invalid(cls, path: FieldPath, value: Any, detail: str) -> FieldError:
        return cls(ErrorType.INVALID, str(path), value, detail)

    @classmethod
    def mismatch(cls, path: FieldPath, actual: Any, expected: Any) -> FieldError:
        return cls(ErrorType.INVALID, str(path), actual, expected_value_detail(expected), expected)

    @classmethod
    def type_invalid(cls, path: FieldPath, value: Any, detail: str) -> FieldError:
        return cls(ErrorType.TYPE_INVALID, str(path), value, detail)

    @classmethod
    def required(cls, path: FieldPath, detail: str) -> FieldError:
        return cls(ErrorType.REQUIRED, str(path), "", detail)

    @classmethod
    def internal(cls, path: FieldPath, error: BaseException | str) -> FieldError:
        return cls(ErrorType.INTERNAL, str(path), None, str(error))

    def body(self) -> str:
        """apimachinery's ``ErrorBody()``: the text after ``<path>: ``."""
        text = self.type.label
        if self.type.shows_value:
            text += ": " + format_bad_value(self.bad_value)
        if self.detail:
            text += ": " + self.detail
        return text

    def with_values(self, bad_value: Any, expected: Any = NO_EXPECTATION) -> FieldError:
        """A copy showing other values (used to redact secrets); the detail is rewritten for mismatches."""
        if self.expected is NO_EXPECTATION or expected is NO_EXPECTATION:
            return FieldError(self.type, self.field, bad_value, self.detail, self.expected)
        return FieldError(self.type, self.field, bad_value, expected_value_detail(expected), expected)

    def __str__(self) -> str:
        return f"{self.field}: {self.body()}"


class AssertionHardError(ChainsawError):
    """An assertion could not be evaluated (bad expression, incomparable types, wrong shape...).

    Unlike a mismatch, retrying cannot help: the runner stops polling at once. ``str(err)`` is the
    field-error line, e.g. ``spec.replicas: Internal error: types are not comparable, string - int64``.
    """

    def __init__(self, error: FieldError) -> None:
        self.error = error
        super().__init__(str(error))


def format_bad_value(value: Any) -> str:
    """How apimachinery v0.36 prints ``BadValue``: ``%v`` for numbers and bools, ``%q`` for strings, else JSON."""
    if isinstance(value, (bool, int, float)):
        return format_v(value)
    if isinstance(value, str):
        return quote(value)
    try:
        return json_marshal(value)
    except GoFormatError:
        return format_sharp_v(value)


def expected_value_detail(expected: Any) -> str:
    """kyverno-json's ``expectValueMessage``: ``Expected value: 3``, ``"x"``, ``map[string]interface {}{...}``."""
    if isinstance(expected, (bool, int, float)):
        return f"Expected value: {format_v(expected)}"
    if isinstance(expected, str):
        return f"Expected value: {quote(expected)}"
    return f"Expected value: {format_sharp_v(expected)}"
