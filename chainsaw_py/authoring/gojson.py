"""Model objects shaped the way Go's ``encoding/json`` marshals Chainsaw's API structs.

The model's ``to_dict`` omits every value equal to its Python default, which is right for reading YAML but
not for reproducing what upstream Chainsaw prints. Go's rules, as they map onto the model:

- a field without ``omitempty`` is always written: fields marked ``always`` in the model, fields without a
  default (required ones) and nested option structs that are not optional (``cleanup: {}``); but an
  ``always`` string with a non-empty default (``report.format``, ``discovery.testFile``, ...) is a Go
  ``omitempty`` string that the model keeps so that an explicit ``""`` survives, and is left out when empty;
- an optional field (``X | None``: a Go pointer) is written whenever it is set, even to a zero value
  (``parallel: 0``), except string maps such as ``labels``, which are plain ``omitempty`` Go maps;
- any other field is written unless it holds Go's zero value (``""``, ``false``, ``0``, empty list or map);
- an empty list in an always-written field is a nil Go slice and marshals as ``null``;
- durations are ``metav1.Duration`` values, re-printed the way Go prints them (``1m`` -> ``1m0s``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from chainsaw_py.golang.durations import DurationError, format_duration_ns, parse_duration_ns
from chainsaw_py.loading.model import Operation


def go_json(value: Any) -> Any:
    """The JSON value Go would marshal for ``value`` (a model object, or a list/dict holding some)."""
    if isinstance(value, Operation):
        return _operation(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _struct(value)
    if isinstance(value, list):
        return [go_json(item) for item in value]
    if isinstance(value, dict):
        return {key: go_json(item) for key, item in value.items()}
    return value


def go_duration(text: str) -> str:
    """A duration as ``metav1.Duration`` marshals it (``90s`` -> ``1m30s``); invalid text is kept."""
    try:
        return format_duration_ns(parse_duration_ns(text))
    except DurationError:
        return text


def _operation(operation: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if operation.description:
        out["description"] = operation.description
    if operation.continue_on_error is not None:
        out["continueOnError"] = operation.continue_on_error
    if operation.compiler is not None:
        out["compiler"] = operation.compiler
    out[operation.type] = go_json(operation.action)
    return out


def _struct(obj: Any) -> dict[str, Any]:
    from chainsaw_py.loading.codec import json_name

    out: dict[str, Any] = {}
    for field in dataclasses.fields(obj):
        if field.metadata.get("internal"):
            continue
        value = getattr(obj, field.name)
        if _written(field, value):
            out[json_name(field)] = _field_value(field, value)
    return out


def _written(field: dataclasses.Field[Any], value: Any) -> bool:
    type_text = str(field.type)
    if field.metadata.get("always") and type_text == "str" and field.default:
        return value != ""  # an omitempty Go string whose schema default is not empty (report format, ...)
    if field.metadata.get("always") or _required(field):
        return True
    if value is None:
        return False
    if "None" in type_text:
        return not (isinstance(value, dict) and not value and "dict[str, str]" in type_text)
    if dataclasses.is_dataclass(value):
        return True
    if isinstance(value, (list, dict)):
        return bool(value)
    return not (isinstance(value, (str, bool, int, float)) and not value)  # Go's zero values


def _required(field: dataclasses.Field[Any]) -> bool:
    return field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING


def _field_value(field: dataclasses.Field[Any], value: Any) -> Any:
    if isinstance(value, list) and not value:
        return None  # a nil Go slice
    if isinstance(value, str) and str(field.type).startswith("Duration"):
        return go_duration(value)
    return go_json(value)
