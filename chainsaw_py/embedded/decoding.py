"""Strict decoding of request bodies for built-in kinds, the way the apiserver's JSON decoder behaves.

The body is walked against the kind's OpenAPI definition:
- a JSON value of the wrong type is a decode error (``json: cannot unmarshal string into Go struct field
  PodSpec.spec.containers of type []v1.Container``) -> 400;
- unknown fields are collected as ``spec.template.spec.containers[0].foo`` paths and dropped; the caller turns
  them into a ``strict decoding error`` (fieldValidation=Strict) or warnings (Warn);
- ``null`` struct fields are dropped and timestamps are normalised to RFC 3339 UTC, as a Go round trip does.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from chainsaw_py.embedded.schemas import Definitions, schema_go_type, type_names
from chainsaw_py.golang.fmt import json_kind
from chainsaw_py.golang.quantity import QUANTITY_PATTERN, QuantityError, canonical_quantity

_TIME_DEFS = {"io.k8s.apimachinery.pkg.apis.meta.v1.Time": False, "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": True}
_OPAQUE_DEFS = {
    "io.k8s.apimachinery.pkg.runtime.RawExtension",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON",
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
}


class DecodeError(Exception):
    """The body cannot be decoded into the Go type; ``str(err)`` is encoding/json's message."""


@dataclass
class DecodeReport:
    unknown: list[str] = field(default_factory=list)


# what a schema node asks of a value, decided once per node (see _compile)
_ANY, _OPAQUE, _TIME, _QUANTITY, _INT_OR_STRING, _STRUCT, _MAP, _OBJECT, _ARRAY, _STRING, _BOOLEAN, _INTEGER, \
    _NUMBER = range(13)
_SCALAR_KINDS = {"string": _STRING, "boolean": _BOOLEAN, "integer": _INTEGER, "number": _NUMBER}


class _Struct:
    """A struct's properties, compiled lazily one property at a time."""

    __slots__ = ("children", "definitions", "properties", "strict")

    def __init__(self, definitions: Definitions, schema: dict[str, Any]) -> None:
        self.definitions = definitions
        self.properties: dict[str, Any] = schema.get("properties") or {}
        self.strict = schema.get("additionalProperties") is False or bool(self.properties)
        self.children: dict[str, _Node] = {}

    def child(self, key: str) -> _Node | None:
        node = self.children.get(key)
        if node is None:
            schema = self.properties.get(key)
            if schema is None:
                return None
            node = self.children[key] = _compile(self.definitions, schema)
        return node


class _Node:
    """One schema node compiled: its kind, and what walking a value of that kind needs."""

    __slots__ = ("int32", "items", "kind", "micro", "name", "schema", "struct", "values", "zero")

    def __init__(self, kind: int, schema: dict[str, Any]) -> None:
        self.kind = kind
        self.schema = schema            # the node as written (for the Go type of error messages)
        self.name: str | None = None    # a struct's Go name (None: the enclosing struct's, for inline objects)
        self.struct: _Struct | None = None
        self.values: _Node | None = None
        self.items: _Node | None = None
        self.zero: Any = None
        self.int32 = self.micro = False


def _compile(definitions: Definitions, schema: dict[str, Any]) -> _Node:
    entry = definitions.compiled.get(("decode", id(schema)))
    if entry is None or entry[0] is not schema:    # the node is kept with its compilation: its id stays its own
        entry = definitions.compiled[("decode", id(schema))] = (schema, _build(definitions, schema))
    node: _Node = entry[1]
    return node


def _struct_of(definitions: Definitions, schema: dict[str, Any]) -> _Struct:
    entry = definitions.compiled.get(("decode-struct", id(schema)))
    if entry is None or entry[0] is not schema:
        entry = definitions.compiled[("decode-struct", id(schema))] = (schema, _Struct(definitions, schema))
    struct: _Struct = entry[1]
    return struct


def _build(definitions: Definitions, schema: dict[str, Any]) -> _Node:
    target = definitions.ref_target(schema)
    if target in _OPAQUE_DEFS:
        return _Node(_OPAQUE, schema)
    if target in _TIME_DEFS:
        node = _Node(_TIME, schema)
        node.micro = _TIME_DEFS[target]
        return node
    resolved = definitions.resolve(schema) or {}
    if "oneOf" in resolved:
        return _Node(_QUANTITY if (target or "").endswith(".Quantity") else _INT_OR_STRING, schema)
    types = type_names(resolved)
    if not types:
        return _Node(_ANY, schema)
    expected = types[0]
    if expected == "object":
        additional = resolved.get("additionalProperties")
        if "properties" in resolved:
            node = _Node(_STRUCT, schema)
            node.name = target.rsplit(".", 1)[-1] if target else None
            node.struct = _struct_of(definitions, resolved)
        elif isinstance(additional, dict):
            node = _Node(_MAP, schema)
            node.values = _compile(definitions, additional)
            node.zero = _zero(type_names(definitions.resolve(additional) or {}))
        else:
            node = _Node(_OBJECT, schema)
        return node
    if expected == "array":
        node = _Node(_ARRAY, schema)
        items = resolved.get("items")
        node.items = _compile(definitions, items) if items else _Node(_ANY, {})
        return node
    node = _Node(_SCALAR_KINDS.get(expected, _ANY), schema)
    node.int32 = resolved.get("format") == "int32"
    return node


class _Walker:
    def __init__(self, definitions: Definitions) -> None:
        self.definitions = definitions
        self.report = DecodeReport()

    def walk_struct(self, value: dict[str, Any], struct: _Struct, name: str, path: str, go_path: str) -> None:
        for key in list(value):
            node = struct.child(key)
            if node is None:
                if struct.strict:
                    self.report.unknown.append(f"{path}.{key}" if path else key)
                    del value[key]
                continue
            child = value[key]
            if child is None:
                del value[key]
                continue
            kind = node.kind
            if kind == _STRING:     # the most common field, checked here without a call
                if not isinstance(child, str):
                    self._mismatch(child, node, name, f"{go_path}.{key}" if go_path else key)
                continue
            walked = self.walk(child, node, name, f"{path}.{key}" if path else key,
                               f"{go_path}.{key}" if go_path else key)
            if walked is not child:
                value[key] = walked

    def walk(self, value: Any, node: _Node, struct: str, path: str, go_path: str) -> Any:
        kind = node.kind
        if kind == _STRUCT:
            if not isinstance(value, dict):
                self._mismatch(value, node, struct, go_path)
            self.walk_struct(value, node.struct, node.name or struct, path, go_path)  # type: ignore[arg-type]
            return value
        if kind == _MAP:
            if not isinstance(value, dict):
                self._mismatch(value, node, struct, go_path)
            self._walk_map(value, node, struct, path, go_path)
            return value
        if kind == _ARRAY:
            if not isinstance(value, list):
                self._mismatch(value, node, struct, go_path)
            items = node.items
            assert items is not None
            return [self.walk(item, items, struct, f"{path}[{index}]", go_path) if item is not None else item
                    for index, item in enumerate(value)]
        if kind >= _STRING:
            self._check_scalar(value, node, struct, go_path)
            return value
        if kind == _OBJECT:
            if not isinstance(value, dict):
                self._mismatch(value, node, struct, go_path)
            return value
        if kind == _TIME:
            return self._time(value, node, struct, go_path)
        if kind == _QUANTITY:
            return self._quantity(value)
        if kind == _INT_OR_STRING:
            if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
                return value
            raise DecodeError(f"json: cannot unmarshal {json_kind(value)} into Go value of type intstr.IntOrString")
        return value    # _ANY, _OPAQUE

    def _walk_map(self, value: dict[str, Any], node: _Node, struct: str, path: str, go_path: str) -> None:
        values = node.values
        assert values is not None
        if values.kind == _STRING:    # labels, annotations, a ConfigMap's data: no call per entry
            for key, item in value.items():
                if not isinstance(item, str):
                    if item is None:
                        value[key] = node.zero
                    else:
                        self._mismatch(item, values, struct, go_path)
            return
        for key in list(value):
            item = value[key]
            if item is None:
                value[key] = node.zero
                continue
            value[key] = self.walk(item, values, struct, f"{path}[{key}]", go_path)

    def _check_scalar(self, value: Any, node: _Node, struct: str, go_path: str) -> None:
        kind = node.kind
        if (kind == _STRING and not isinstance(value, str)) or (kind == _BOOLEAN and not isinstance(value, bool)):
            self._mismatch(value, node, struct, go_path)
        elif kind == _INTEGER:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self._mismatch(value, node, struct, go_path)
            if isinstance(value, float):
                self._mismatch(value, node, struct, go_path, described=f"number {value!r}")
            if node.int32 and not -2**31 <= int(value) < 2**31:
                self._mismatch(value, node, struct, go_path, described=f"number {value}")
        elif kind == _NUMBER and (isinstance(value, bool) or not isinstance(value, (int, float))):
            self._mismatch(value, node, struct, go_path)

    @staticmethod
    def _quantity(value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise DecodeError(f"quantities must match the regular expression '{QUANTITY_PATTERN}'")
        try:
            return canonical_quantity(str(value))
        except QuantityError as err:
            raise DecodeError(str(err)) from None

    def _time(self, value: Any, node: _Node, struct: str, go_path: str) -> Any:
        if not isinstance(value, str):
            self._mismatch(value, node, struct, go_path)
        if value == "":
            return value
        parsed = parse_time(value)
        if parsed is None:
            layout = "2006-01-02T15:04:05.000000Z07:00" if node.micro else "2006-01-02T15:04:05Z07:00"
            raise DecodeError(f'parsing time "{value}" as "{layout}": cannot parse "{value}" as "2006"')
        return format_time(parsed, micro=node.micro)

    def _mismatch(self, value: Any, node: _Node, struct: str, go_path: str, described: str | None = None) -> None:
        what = described or json_kind(value)
        go_type = schema_go_type(self.definitions, node.schema)
        raise DecodeError(f"json: cannot unmarshal {what} into Go struct field {struct}.{go_path} of type {go_type}")


def _zero(types: list[str]) -> Any:
    return {"string": "", "integer": 0, "number": 0, "boolean": False}.get(types[0] if types else "")


def decode_builtin(definitions: Definitions, schema: dict[str, Any], kind: str, obj: dict[str, Any]) -> DecodeReport:
    """Check and normalise ``obj`` in place against its kind's definition; raises :class:`DecodeError`."""
    walker = _Walker(definitions)
    walker.walk_struct(obj, _struct_of(definitions, schema), kind, "", "")
    return walker.report


def parse_time(text: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(dt.UTC)


def format_time(moment: dt.datetime, micro: bool = False) -> str:
    moment = moment.astimezone(dt.UTC)
    if micro:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


_last_second: tuple[int, str] = (-1, "")    # the last whole second formatted by now_rfc3339, and its text


def now_rfc3339() -> str:
    global _last_second
    second = int(time.time())
    cached = _last_second
    if cached[0] != second:
        cached = _last_second = (second, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)))
    return cached[1]


def now_micro() -> str:
    return format_time(dt.datetime.now(dt.UTC), micro=True)
