"""The OpenAPI v2 document in gnostic's protobuf form (``openapi.v2.Document``).

kubectl 1.27/1.28 and client-go's ``OpenAPISchema()`` ask ``/openapi/v2`` for
``application/com.github.proto-openapi.spec.v2@v1.0+protobuf`` and parse the answer as protobuf. Field numbers
follow gnostic's ``openapiv2/OpenAPIv2.proto``; vendor extensions, defaults and enum values travel as ``Any``
messages whose ``yaml`` field holds the value (JSON is valid YAML).
"""

from __future__ import annotations

import json
import struct
from typing import Any

PROTOBUF_MEDIA_TYPES = ("application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
                        "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
PROTOBUF_CONTENT_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"

_VARINT, _FIXED64, _BYTES = 0, 1, 2


def _varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


class _Message:
    """A protobuf message being written, field by field."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def _tag(self, number: int, wire: int) -> None:
        self._parts.append(_varint(number << 3 | wire))

    def string(self, number: int, value: Any) -> None:
        if isinstance(value, str) and value:
            self.raw(number, value.encode("utf-8"))

    def strings(self, number: int, values: Any) -> None:
        for value in values if isinstance(values, list) else []:
            self.raw(number, str(value).encode("utf-8"))

    def boolean(self, number: int, value: Any) -> None:
        if value is True:
            self.flag(number, True)

    def flag(self, number: int, value: bool) -> None:
        """A bool written even when false (a oneof member)."""
        self._tag(number, _VARINT)
        self._parts.append(b"\x01" if value else b"\x00")

    def integer(self, number: int, value: Any) -> None:
        if isinstance(value, int) and not isinstance(value, bool) and value:
            self._tag(number, _VARINT)
            self._parts.append(_varint(value))

    def double(self, number: int, value: Any) -> None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self._tag(number, _FIXED64)
            self._parts.append(struct.pack("<d", float(value)))

    def raw(self, number: int, data: bytes) -> None:
        self._tag(number, _BYTES)
        self._parts.append(_varint(len(data)))
        self._parts.append(data)

    def message(self, number: int, child: _Message) -> None:
        self.raw(number, child.bytes())

    def bytes(self) -> bytes:
        return b"".join(self._parts)


def _any(value: Any) -> _Message:
    message = _Message()
    message.raw(2, json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    return message


def _named(number: int, parent: _Message, name: str, value: _Message) -> None:
    entry = _Message()
    entry.string(1, name)
    entry.message(2, value)
    parent.message(number, entry)


def _extensions(number: int, parent: _Message, node: dict[str, Any]) -> None:
    for key, value in node.items():
        if key.startswith("x-"):
            _named(number, parent, key, _any(value))


def schema(node: dict[str, Any]) -> _Message:
    message = _Message()
    message.string(1, node.get("$ref"))
    for number, key in ((2, "format"), (3, "title"), (4, "description")):
        message.string(number, node.get(key))
    if "default" in node:
        message.message(5, _any(node["default"]))
    for number, key in ((6, "multipleOf"), (7, "maximum"), (9, "minimum")):
        message.double(number, node.get(key))
    message.boolean(8, node.get("exclusiveMaximum"))
    message.boolean(10, node.get("exclusiveMinimum"))
    for number, key in ((11, "maxLength"), (12, "minLength"), (14, "maxItems"), (15, "minItems"),
                        (17, "maxProperties"), (18, "minProperties")):
        message.integer(number, node.get(key))
    message.string(13, node.get("pattern"))
    message.boolean(16, node.get("uniqueItems"))
    message.strings(19, node.get("required"))
    for value in node.get("enum") or []:
        message.message(20, _any(value))
    _additional_properties(message, node.get("additionalProperties"))
    if node.get("type"):
        kinds = _Message()
        kinds.strings(1, node["type"] if isinstance(node["type"], list) else [node["type"]])
        message.message(22, kinds)
    _items(message, node.get("items"))
    for part in node.get("allOf") or []:
        message.message(24, schema(part))
    if isinstance(node.get("properties"), dict):
        properties = _Message()
        for name, child in node["properties"].items():
            _named(1, properties, name, schema(child))
        message.message(25, properties)
    message.string(26, node.get("discriminator"))
    message.boolean(27, node.get("readOnly"))
    if "example" in node:
        message.message(30, _any(node["example"]))
    _extensions(31, message, node)
    return message


def _additional_properties(message: _Message, value: Any) -> None:
    item = _Message()
    if isinstance(value, dict):
        item.message(1, schema(value))
    elif isinstance(value, bool):
        item.flag(2, value)
    else:
        return
    message.message(21, item)


def _items(message: _Message, value: Any) -> None:
    if value is None:
        return
    items = _Message()
    for child in value if isinstance(value, list) else [value]:
        items.message(1, schema(child))
    message.message(23, items)


def _parameter(node: dict[str, Any]) -> _Message:
    """A ParametersItem: a body parameter, or a query/path/header/formData one."""
    if "$ref" in node:
        reference = _Message()
        reference.string(1, node["$ref"])
        item = _Message()
        item.message(2, reference)
        return item
    parameter = _Message()
    where = node.get("in", "")
    if where == "body":
        body = _Message()
        body.string(1, node.get("description"))
        body.string(2, node.get("name"))
        body.string(3, where)
        body.boolean(4, node.get("required"))
        if isinstance(node.get("schema"), dict):
            body.message(5, schema(node["schema"]))
        _extensions(6, body, node)
        parameter.message(1, body)
    else:
        sub = _Message()
        sub.boolean(1, node.get("required"))
        sub.string(2, where)
        sub.string(3, node.get("description"))
        sub.string(4, node.get("name"))
        has_empty = where in ("query", "formData")
        if has_empty:
            sub.boolean(5, node.get("allowEmptyValue"))
        offset = 1 if has_empty else 0
        sub.string(5 + offset, node.get("type"))
        sub.string(6 + offset, node.get("format"))
        sub.boolean(19 + offset, node.get("uniqueItems"))
        _extensions(22 + offset, sub, node)
        choice = _Message()
        choice.message({"header": 1, "formData": 2, "query": 3, "path": 4}.get(where, 3), sub)
        parameter.message(2, choice)
    item = _Message()
    item.message(1, parameter)
    return item


def _responses(node: dict[str, Any]) -> _Message:
    responses = _Message()
    for code, value in node.items():
        if code.startswith("x-"):
            continue
        response = _Message()
        response.string(1, value.get("description"))
        if isinstance(value.get("schema"), dict):
            item = _Message()
            item.message(1, schema(value["schema"]))
            response.message(2, item)
        choice = _Message()
        choice.message(1, response)
        _named(1, responses, code, choice)
    _extensions(2, responses, node)
    return responses


def _operation(node: dict[str, Any]) -> _Message:
    operation = _Message()
    operation.strings(1, node.get("tags"))
    operation.string(2, node.get("summary"))
    operation.string(3, node.get("description"))
    operation.string(5, node.get("operationId"))
    operation.strings(6, node.get("produces"))
    operation.strings(7, node.get("consumes"))
    for parameter in node.get("parameters") or []:
        operation.message(8, _parameter(parameter))
    if isinstance(node.get("responses"), dict):
        operation.message(9, _responses(node["responses"]))
    operation.strings(10, node.get("schemes"))
    operation.boolean(11, node.get("deprecated"))
    _extensions(13, operation, node)
    return operation


_METHODS = {"get": 2, "put": 3, "post": 4, "delete": 5, "options": 6, "head": 7, "patch": 8}


def _path_item(node: dict[str, Any]) -> _Message:
    item = _Message()
    item.string(1, node.get("$ref"))
    for method, number in _METHODS.items():
        if isinstance(node.get(method), dict):
            item.message(number, _operation(node[method]))
    for parameter in node.get("parameters") or []:
        item.message(9, _parameter(parameter))
    _extensions(10, item, node)
    return item


def encode_document(document: dict[str, Any]) -> bytes:
    """The gnostic protobuf encoding of a Swagger 2.0 document given as JSON data."""
    message = _Message()
    message.string(1, document.get("swagger"))
    info = document.get("info") or {}
    info_message = _Message()
    info_message.string(1, info.get("title"))
    info_message.string(2, info.get("version"))
    info_message.string(3, info.get("description"))
    message.message(2, info_message)
    paths = _Message()
    for name, item in (document.get("paths") or {}).items():
        _named(2, paths, name, _path_item(item))
    message.message(8, paths)
    definitions = _Message()
    for name, node in (document.get("definitions") or {}).items():
        _named(1, definitions, name, schema(node))
    message.message(9, definitions)
    _extensions(16, message, document)
    return message.bytes()

