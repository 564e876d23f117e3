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


class _Walker:
    def __init__(self, definitions: Definitions) -> None:
        self.definitions = definitions
        self.report = DecodeReport()

    def walk_struct(self, value: dict[str, Any], schema: dict[str, Any], struct: str, path: str,
                    go_path: str) -> None:
        properties: dict[str, Any] = schema.get("properties") or {}
        for key in list(value):
            child_schema = properties.get(key)
            child_path = f"{path}.{key}" if path else key
            if child_schema is None:
                if schema.get("additionalProperties") is False or properties:
                    self.report.unknown.append(child_path)
                    del value[key]
                continue
            child = value[key]
            if child is None:
                del value[key]
                continue
            child_go_path = f"{go_path}.{key}" if go_path else key
            value[key] = self.walk(child, child_schema, struct, child_path, child_go_path)

    def walk(self, value: Any, node: dict[str, Any], struct: str, path: str, go_path: str) -> Any:
        target = self.definitions.ref_target(node)
        if target in _OPAQUE_DEFS:
            return value
        if target in _TIME_DEFS:
            return self._time(value, node, struct, go_path, micro=_TIME_DEFS[target])
        resolved = self.definitions.resolve(node) or {}
        if "oneOf" in resolved:
            return self._one_of(value, node, resolved, struct, go_path)
        types = type_names(resolved)
        if not types:
            return value
        expected = types[0]
        if expected == "object":
            if not isinstance(value, dict):
                self._mismatch(value, node, struct, go_path)
            if "properties" in resolved:
                name = target.rsplit(".", 1)[-1] if target else struct
                self.walk_struct(value, resolved, name, path, go_path)
            elif isinstance(resolved.get("additionalProperties"), dict):
                self._walk_map(value, resolved["additionalProperties"], struct, path, go_path)
            return value
        if expected == "array":
            if not isinstance(value, list):
                self._mismatch(value, node, struct, go_path)
            items = resolved.get("items") or {}
            return [self.walk(item, items, struct, f"{path}[{index}]", go_path) if item is not None else item
                    for index, item in enumerate(value)]
        self._check_scalar(value, expected, resolved, node, struct, go_path)
        return value

    def _walk_map(self, value: dict[str, Any], values_schema: dict[str, Any], struct: str, path: str,
                  go_path: str) -> None:
        for key in list(value):
            item = value[key]
            if item is None:
                value[key] = _zero(type_names(self.definitions.resolve(values_schema) or {}))
                continue
            value[key] = self.walk(item, values_schema, struct, f"{path}[{key}]", go_path)

    def _check_scalar(self, value: Any, expected: str, resolved: dict[str, Any], node: dict[str, Any],
                      struct: str, go_path: str) -> None:
        if (expected == "string" and not isinstance(value, str)) or (expected == "boolean" and not isinstance(value, bool)):
            self._mismatch(value, node, struct, go_path)
        elif expected == "integer":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self._mismatch(value, node, struct, go_path)
            if isinstance(value, float):
                self._mismatch(value, node, struct, go_path, described=f"number {value!r}")
            if resolved.get("format") == "int32" and not -2**31 <= int(value) < 2**31:
                self._mismatch(value, node, struct, go_path, described=f"number {value}")
        elif expected == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            self._mismatch(value, node, struct, go_path)

    def _one_of(self, value: Any, node: dict[str, Any], resolved: dict[str, Any], struct: str,
                go_path: str) -> Any:
        """The two union types of the API: resource.Quantity (canonicalised) and intstr.IntOrString."""
        if (self.definitions.ref_target(node) or "").endswith(".Quantity"):
            return self._quantity(value)
        if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        raise DecodeError(f"json: cannot unmarshal {json_kind(value)} into Go value of type intstr.IntOrString")

    @staticmethod
    def _quantity(value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise DecodeError(f"quantities must match the regular expression '{QUANTITY_PATTERN}'")
        try:
            return canonical_quantity(str(value))
        except QuantityError as err:
            raise DecodeError(str(err)) from None

    def _time(self, value: Any, node: dict[str, Any], struct: str, go_path: str, micro: bool) -> Any:
        if not isinstance(value, str):
            self._mismatch(value, node, struct, go_path)
        if value == "":
            return value
        parsed = parse_time(value)
        if parsed is None:
            layout = "2006-01-02T15:04:05.000000Z07:00" if micro else "2006-01-02T15:04:05Z07:00"
            raise DecodeError(f'parsing time "{value}" as "{layout}": cannot parse "{value}" as "2006"')
        return format_time(parsed, micro=micro)

    def _mismatch(self, value: Any, node: dict[str, Any], struct: str, go_path: str,
                  described: str | None = None) -> None:
        what = described or json_kind(value)
        go_type = schema_go_type(self.definitions, node)
        raise DecodeError(f"json: cannot unmarshal {what} into Go struct field {struct}.{go_path} of type {go_type}")


def _zero(types: list[str]) -> Any:
    return {"string": "", "integer": 0, "number": 0, "boolean": False}.get(types[0] if types else "")


def decode_builtin(definitions: Definitions, schema: dict[str, Any], kind: str, obj: dict[str, Any]) -> DecodeReport:
    """Check and normalise ``obj`` in place against its kind's definition; raises :class:`DecodeError`."""
    walker = _Walker(definitions)
    walker.walk_struct(obj, schema, kind, "", "")
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
