"""Go's JSON serialization of built-in objects, as kube-apiserver's decode-then-encode round trip shapes them.

A real apiserver decodes every built-in object into its Go struct and encodes it back, so what clients read
follows the struct declarations of k8s.io/api:

- a field without ``omitempty`` is always written: a scalar at its zero value (a new DaemonSet's
  ``status.numberReady: 0``), a nil slice, map or pointer as ``null`` (a Role without rules: ``rules: null``);
- a struct (non-pointer) field is always written, ``omitempty`` or not, as an object filled the same way
  (``status: {}``, a container's ``resources: {}``, ``strategy: {}``); ``metav1.Time`` writes ``null`` when
  zero (``spec.template.metadata.creationTimestamp: null``), ``resource.Quantity`` ``"0"``;
- an ``omitempty`` field at its zero value (``false``, ``0``, ``""``, empty list or map, ``null``) is dropped.

The table of field shapes, ``data/go_fields.json``, is generated from the Go field declarations of the
Kubernetes version the server reports by ``scripts/generate_go_fields.py`` (see its docstring).
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

FieldShape = tuple[str, str, bool]    # (shape, target definition or zero JSON, omitempty)
StructTable = dict[str, FieldShape]

_MAX_DEPTH = 128
_SCALAR_ZEROS: dict[str, Any] = {"bool": False, "int": 0, "float": 0, "string": ""}
_ABSENT = object()


@lru_cache(maxsize=1)
def go_field_table() -> dict[str, StructTable]:
    """Definition name -> JSON field -> shape, loaded once from the generated data file."""
    raw = json.loads(resources.files("chainsaw_py.embedded").joinpath("data/go_fields.json")
                     .read_text(encoding="utf-8"))
    return {name: {key: (shape[0], shape[1], bool(shape[2])) for key, shape in fields.items()}
            for name, fields in raw["definitions"].items()}


def serialize_as_go(obj: dict[str, Any], definition: str) -> None:
    """Shape ``obj`` (in place) as encoding/json writes the Go struct named by OpenAPI ``definition``."""
    table = go_field_table()
    if definition in table:
        _encode_struct(obj, table[definition], table, 0)


def in_go_order(value: Any, definition: str) -> Any:
    """A copy of ``value`` with its keys in the struct's field order, as encoding/json writes them (nested too)."""
    table = go_field_table()
    fields = table.get(definition)
    if not isinstance(value, dict) or fields is None:
        return value
    ordered = {key: _ordered_field(value[key], fields[key], table) for key in fields if key in value}
    ordered.update((key, item) for key, item in value.items() if key not in fields)
    return ordered


def _ordered_field(value: Any, shape: FieldShape, table: dict[str, StructTable]) -> Any:
    kind, target = shape[0], shape[1]
    if target not in table:
        return value
    if kind == "slice" and isinstance(value, list):
        return [in_go_order(item, target) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: in_go_order(item, target) for key, item in value.items()}
    return in_go_order(value, target)


def _encode_struct(obj: dict[str, Any], fields: StructTable, table: dict[str, StructTable], depth: int) -> None:
    if depth > _MAX_DEPTH:
        return
    for key, (shape, target, omitempty) in fields.items():
        value = obj.get(key, _ABSENT)
        encoded = _encode_field(value, shape, target, omitempty, table, depth)
        if encoded is _ABSENT:
            obj.pop(key, None)
        elif encoded is not value:
            obj[key] = encoded


def _encode_field(value: Any, shape: str, target: str, omitempty: bool, table: dict[str, StructTable],
                  depth: int) -> Any:
    """The field's value as Go writes it back, or ``_ABSENT`` when Go omits it."""
    if shape == "struct":
        struct = value if isinstance(value, dict) else {} if value is None or value is _ABSENT else None
        if struct is not None and target in table:
            _encode_struct(struct, table[target], table, depth + 1)
        return value if struct is None else struct
    if shape == "opaque":
        return json.loads(target) if value is _ABSENT else value
    if shape == "any":
        return value
    if value is _ABSENT or value is None:
        return _ABSENT if omitempty else _SCALAR_ZEROS.get(shape)
    if omitempty and _is_empty(value, shape):
        return _ABSENT
    if target in table:
        _encode_elements(value, shape, table[target], table, depth)
    return value


def _is_empty(value: Any, shape: str) -> bool:
    if shape in ("slice", "map", "bytes", "string"):
        return isinstance(value, (list, dict, str)) and len(value) == 0
    if shape == "bool":
        return value is False
    if shape in ("int", "float"):
        return value == 0 and not isinstance(value, bool)
    return False


def _encode_elements(value: Any, shape: str, fields: StructTable, table: dict[str, StructTable], depth: int) -> None:
    if shape == "ptr" and isinstance(value, dict):
        _encode_struct(value, fields, table, depth + 1)
    elif shape == "slice" and isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                _encode_struct(item, fields, table, depth + 1)
    elif shape == "map" and isinstance(value, dict):
        for item in value.values():
            if isinstance(item, dict):
                _encode_struct(item, fields, table, depth + 1)
