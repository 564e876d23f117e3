"""Keeping Secret values out of failure messages (a chainsaw_py addition; Chainsaw prints them).

In a ``v1`` ``Secret`` every value under ``data`` and ``stringData`` is replaced by :data:`REDACTED` in the
YAML diff; where the expected and the actual value differ, the actual one reads :data:`REDACTED_DIFFERENT`
so that the diff still shows which keys changed. Field errors of a Secret show these markers instead of
their values unless the error is about ``apiVersion``, ``kind``, ``metadata``, ``type`` or ``immutable``
(expression keys may project secret values, so they are redacted as well).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from chainsaw_py.checks.errors import NO_EXPECTATION, FieldError

__all__ = [
    "REDACTED",
    "REDACTED_DIFFERENT",
    "is_secret",
    "redact_field_error",
    "redact_secret_pair",
]

REDACTED = "(redacted)"
REDACTED_DIFFERENT = "(redacted, differs)"

_SECRET_FIELDS = ("data", "stringData")
_PUBLIC_ROOTS = ("apiVersion", "kind", "metadata", "type", "immutable")


def is_secret(resource: Any) -> bool:
    """A core ``v1`` Secret."""
    return (isinstance(resource, Mapping) and resource.get("apiVersion") == "v1"
            and resource.get("kind") == "Secret")


def redact_secret_pair(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Copies of ``expected`` and ``actual`` with the values of ``data`` and ``stringData`` redacted."""
    expected_copy = copy.deepcopy(dict(expected))
    actual_copy = copy.deepcopy(dict(actual))
    for name in _SECRET_FIELDS:
        wanted = expected_copy.get(name)
        present = actual_copy.get(name)
        wanted_map = wanted if isinstance(wanted, dict) else {}
        if isinstance(present, dict):
            actual_copy[name] = {key: REDACTED if wanted_map.get(key, _ABSENT) == value else REDACTED_DIFFERENT
                                 for key, value in present.items()}
        elif present is not None:
            actual_copy[name] = REDACTED
        if isinstance(wanted, dict):
            expected_copy[name] = dict.fromkeys(wanted, REDACTED)
        elif wanted is not None:
            expected_copy[name] = REDACTED
    return expected_copy, actual_copy


_ABSENT = object()


def _root_segment(path: str) -> str:
    for index, char in enumerate(path):
        if char in ".[":
            return path[:index]
    return path


def redact_field_error(error: FieldError, resource: Any) -> FieldError:
    """``error`` with its values redacted when ``resource`` is a Secret and the path may reach a secret value."""
    if not is_secret(resource) or _root_segment(error.field) in _PUBLIC_ROOTS:
        return error
    bad_value = _redact_value(error.bad_value) if error.type.shows_value else error.bad_value
    expected = error.expected if error.expected is NO_EXPECTATION else _redact_value(error.expected)
    return error.with_values(bad_value, expected)


def _redact_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return dict.fromkeys(value, REDACTED)
    return REDACTED
