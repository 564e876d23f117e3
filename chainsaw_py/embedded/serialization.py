"""Go's JSON serialization of built-in objects, as kube-apiserver's decode-then-encode round trip shapes them.

A real apiserver decodes every built-in object into its Go struct and encodes it back, so what clients read
follows the struct declarations of k8s.io/api:

- a field without ``omitempty`` is always written: a scalar at its zero value (a new DaemonSet's
  ``status.numberReady: 0``), a nil slice, map or pointer as ``null`` (a Role without rules: ``rules: null``);
- a struct (non-pointer) field is always written, ``omitempty`` or not, as an object filled the same way
  (``status: {}``, a container's ``resources: {}``, ``strategy: {}``); ``metav1.Time`` writes ``null`` when
  zero (``spec.template.metadata.creationTimestamp: null``), ``resource.Quantity`` ``"0"``;
- an ``omitempty`` field at its zero value (``false``, ``0``, ``""``, empty list or map, ``null``) is dropped;
- fields come in the struct's declaration order (``kind``, ``apiVersion``, ``metadata``, ``spec``, ``status``).

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


class _Struct:
    """One struct's fields, their order, those that need work even when absent, and the plain ones (a scalar,
    or a slice or map of scalars) that :func:`_encode_struct` handles without a call."""

    __slots__ = ("always", "fields", "order", "plain")

    def __init__(self, fields: StructTable, names: set[str] | dict[str, Any]) -> None:
        self.fields = fields
        self.order = {key: index for index, key in enumerate(fields)}
        self.always = tuple(key for key, (shape, target, omitempty) in fields.items()
                            if shape == "struct" or (shape == "opaque" and target) or (not omitempty and shape != "any"))
        self.plain = {key: (_EMPTINESS.get(shape, _NEVER_EMPTY), omitempty, _SCALAR_ZEROS.get(shape))
                      for key, (shape, target, omitempty) in fields.items()
                      if shape not in ("struct", "opaque", "any") and target not in names}


_SIZED, _BOOL, _NUMBER, _NEVER_EMPTY = range(4)
_EMPTINESS = {"slice": _SIZED, "map": _SIZED, "bytes": _SIZED, "string": _SIZED, "bool": _BOOL, "int": _NUMBER,
              "float": _NUMBER}


@lru_cache(maxsize=1)
def _structs() -> dict[str, _Struct]:
    table = go_field_table()
    return {name: _Struct(fields, table) for name, fields in table.items()}


def serialize_as_go(obj: dict[str, Any], definition: str) -> None:
    """Shape ``obj`` (in place) as encoding/json writes the Go struct named by OpenAPI ``definition``."""
    structs = _structs()
    if definition in structs:
        _encode_struct(obj, structs[definition], structs, 0)


def in_go_order(value: Any, definition: str) -> Any:
    """A copy of ``value`` with its keys in the struct's field order, as encoding/json writes them (nested too)."""
    structs = _structs()
    struct = structs.get(definition)
    if not isinstance(value, dict) or struct is None:
        return value
    ordered = {key: _ordered_field(value[key], struct.fields[key]) for key in struct.fields if key in value}
    ordered.update((key, item) for key, item in value.items() if key not in struct.fields)
    return ordered


def _ordered_field(value: Any, shape: FieldShape) -> Any:
    kind, target = shape[0], shape[1]
    if kind == "slice" and isinstance(value, list):
        return [in_go_order(item, target) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: in_go_order(item, target) for key, item in value.items()}
    return in_go_order(value, target)


def _encode_struct(obj: dict[str, Any], struct: _Struct, structs: dict[str, _Struct], depth: int) -> None:
    if depth > _MAX_DEPTH:
        return
    fields, plain = struct.fields, struct.plain
    missing = [key for key in struct.always if key not in obj]
    for key in [key for key in obj if key in fields]:
        value = obj[key]
        simple = plain.get(key)
        if simple is not None:     # what _encode_field does for these, inline
            emptiness, omitempty, zero = simple
            if value is None:
                if omitempty:
                    del obj[key]
                elif zero is not None:
                    obj[key] = zero
            elif omitempty and _empty(value, emptiness):
                del obj[key]
            continue
        encoded = _encode_field(value, fields[key], structs, depth)
        if encoded is _ABSENT:
            del obj[key]
        elif encoded is not value:
            obj[key] = encoded
    for key in missing:
        encoded = _encode_field(_ABSENT, fields[key], structs, depth)
        if encoded is not _ABSENT:
            obj[key] = encoded
    if not _in_order(obj, struct.order):   # the struct's field order, the order encoding/json writes
        last = len(fields)
        items = sorted(obj.items(), key=lambda item: struct.order.get(item[0], last))
        obj.clear()
        obj.update(items)


def _empty(value: Any, emptiness: int) -> bool:
    if emptiness == _SIZED:
        return isinstance(value, (list, dict, str)) and len(value) == 0
    if emptiness == _BOOL:
        return value is False
    if emptiness == _NUMBER:
        return value == 0 and not isinstance(value, bool)
    return False


def _in_order(obj: dict[str, Any], order: dict[str, int]) -> bool:
    previous = -1
    for key in obj:
        index = order.get(key, 1 << 30)
        if index < previous:
            return False
        previous = index
    return True


def _encode_field(value: Any, shape: FieldShape, structs: dict[str, _Struct], depth: int) -> Any:
    """The field's value as Go writes it back, or ``_ABSENT`` when Go omits it."""
    kind, target, omitempty = shape
    if kind == "struct":
        struct = value if isinstance(value, dict) else {} if value is None or value is _ABSENT else None
        if struct is not None and target in structs:
            _encode_struct(struct, structs[target], structs, depth + 1)
        return value if struct is None else struct
    if kind == "opaque":
        return json.loads(target) if value is _ABSENT and target else value
    if kind == "any":
        return value
    if value is _ABSENT or value is None:
        return _ABSENT if omitempty else _SCALAR_ZEROS.get(kind)
    if omitempty and _is_empty(value, kind):
        return _ABSENT
    if target in structs:
        _encode_elements(value, kind, structs[target], structs, depth)
    return value


def _is_empty(value: Any, kind: str) -> bool:
    if kind in ("slice", "map", "bytes", "string"):
        return isinstance(value, (list, dict, str)) and len(value) == 0
    if kind == "bool":
        return value is False
    if kind in ("int", "float"):
        return value == 0 and not isinstance(value, bool)
    return False


def _encode_elements(value: Any, kind: str, struct: _Struct, structs: dict[str, _Struct], depth: int) -> None:
    if kind == "ptr" and isinstance(value, dict):
        _encode_struct(value, struct, structs, depth + 1)
    elif kind == "slice" and isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                _encode_struct(item, struct, structs, depth + 1)
    elif kind == "map" and isinstance(value, dict):
        for item in value.values():
            if isinstance(item, dict):
                _encode_struct(item, struct, structs, depth + 1)
