"""Decoding ``application/vnd.kubernetes.protobuf`` request bodies into the JSON form of the object.

The body is ``k8s\\x00`` + a ``runtime.Unknown`` (apiVersion/kind + the object's bytes). Field numbers come
from ``protobuf_schema.py`` (generated from the upstream .proto files). Go always encodes non-pointer fields,
so zero values of optional fields are dropped, as Go's ``omitempty`` JSON encoding would; a short list of
pointer fields where 0/false carry meaning (``replicas: 0``, ``automountServiceAccountToken: false``) keep them.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import struct
from functools import lru_cache
from typing import Any

from chainsaw_py.embedded.apierrors import BadRequest
from chainsaw_py.embedded.decoding import format_time
from chainsaw_py.golang.durations import format_duration_ns

MAGIC = b"k8s\x00"
_META = "k8s.io.apimachinery.pkg.apis.meta.v1."
_SPECIAL = {
    _META + "Time", _META + "MicroTime", _META + "Duration", _META + "FieldsV1",
    "k8s.io.apimachinery.pkg.api.resource.Quantity", "k8s.io.apimachinery.pkg.util.intstr.IntOrString",
    "k8s.io.apimachinery.pkg.runtime.RawExtension",
}
_PACKAGES = {
    "": "core", "apps": "apps", "batch": "batch", "authentication.k8s.io": "authentication",
    "authorization.k8s.io": "authorization", "autoscaling": "autoscaling", "certificates.k8s.io": "certificates",
    "coordination.k8s.io": "coordination", "discovery.k8s.io": "discovery",
    "flowcontrol.apiserver.k8s.io": "flowcontrol", "networking.k8s.io": "networking", "node.k8s.io": "node",
    "policy": "policy", "rbac.authorization.k8s.io": "rbac", "scheduling.k8s.io": "scheduling",
    "storage.k8s.io": "storage", "admissionregistration.k8s.io": "admissionregistration",
}
# Pointer fields whose zero value means something (kept when decoded as 0 / false).
_MEANINGFUL_ZERO = {
    "replicas", "parallelism", "completions", "backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished",
    "terminationGracePeriodSeconds", "startingDeadlineSeconds", "revisionHistoryLimit", "progressDeadlineSeconds",
    "successfulJobsHistoryLimit", "failedJobsHistoryLimit", "tolerationSeconds", "runAsUser", "runAsGroup",
    "fsGroup", "defaultMode", "mode", "priority", "value", "expirationSeconds", "automountServiceAccountToken",
    "enableServiceLinks", "readOnlyRootFilesystem", "privileged", "allowPrivilegeEscalation", "runAsNonRoot",
    "hostUsers", "suspend", "optional", "immutable", "allowed", "denied", "exitCode", "port", "containerPort",
    "targetPort", "nodePort", "minAvailable", "maxUnavailable", "maxSurge", "partition", "allocateLoadBalancerNodePorts",
}


@lru_cache(maxsize=1)
def _schema() -> dict[str, list[tuple[int, str, str, str]]]:
    from chainsaw_py.embedded.protobuf_schema import MESSAGES

    return {name: _parse_fields(spec) for name, spec in MESSAGES.items()}


def _parse_fields(spec: str) -> list[tuple[int, str, str, str]]:
    fields = []
    for entry in filter(None, spec.split(";")):
        number, name, label, type_name = entry.split(" ")
        fields.append((int(number), name, label, type_name))
    return fields


def _fields_by_number(message: str) -> dict[int, tuple[str, str, str]]:
    return {number: (name, label, type_name) for number, name, label, type_name in _schema().get(message, [])}


# --- wire format --------------------------------------------------------------------------------------------


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def done(self) -> bool:
        return self.position >= len(self.data)

    def varint(self) -> int:
        result = shift = 0
        while True:
            if self.position >= len(self.data):
                raise BadRequest("proto: truncated varint")
            byte = self.data[self.position]
            self.position += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7

    def take(self, size: int) -> bytes:
        chunk = self.data[self.position:self.position + size]
        if len(chunk) != size:
            raise BadRequest("proto: unexpected end of data")
        self.position += size
        return chunk

    def fields(self) -> list[tuple[int, int, Any]]:
        """(field number, wire type, raw value) for every field of a message."""
        result = []
        while not self.done():
            key = self.varint()
            number, wire = key >> 3, key & 7
            if wire == 0:
                value: Any = self.varint()
            elif wire == 1:
                value = self.take(8)
            elif wire == 2:
                value = self.take(self.varint())
            elif wire == 5:
                value = self.take(4)
            else:
                raise BadRequest(f"proto: unsupported wire type {wire}")
            result.append((number, wire, value))
        return result


def _signed(value: int) -> int:
    """int32/int64 varints are 64-bit two's complement on the wire."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _scalar(type_name: str, wire: int, raw: Any) -> Any:
    if type_name == "string":
        return raw.decode("utf-8")
    if type_name == "bytes":
        return base64.b64encode(raw).decode()
    if type_name == "bool":
        return bool(raw)
    if type_name in ("int32", "int64"):
        return _signed(raw)
    if type_name in ("uint32", "uint64"):
        return raw
    if type_name in ("sint32", "sint64"):
        return (raw >> 1) ^ -(raw & 1)
    if type_name == "double":
        return struct.unpack("<d", raw)[0]
    if type_name == "float":
        return struct.unpack("<f", raw)[0]
    raise BadRequest(f"proto: unknown scalar type {type_name}")


def _packed(type_name: str, raw: bytes) -> list[Any]:
    reader = _Reader(raw)
    values = []
    while not reader.done():
        if type_name in ("double",):
            values.append(_scalar(type_name, 1, reader.take(8)))
        elif type_name == "float":
            values.append(_scalar(type_name, 5, reader.take(4)))
        else:
            values.append(_scalar(type_name, 0, reader.varint()))
    return values


# --- messages -----------------------------------------------------------------------------------------------


def decode_message(message: str, data: bytes) -> Any:
    if message in _SPECIAL:
        return _special(message, data)
    numbers = _fields_by_number(message)
    result: dict[str, Any] = {}
    for number, wire, raw in _Reader(data).fields():
        if number not in numbers:
            continue
        name, label, type_name = numbers[number]
        if label == "m":
            key_type, value_type = type_name.split(",")
            key, value = _map_entry(key_type, value_type, raw)
            result.setdefault(name, {})[key] = value
        elif label == "r":
            items = result.setdefault(name, [])
            if type_name in _SCALARS_SET and wire == 2 and type_name not in ("string", "bytes"):
                items.extend(_packed(type_name, raw))
            else:
                items.append(_value(type_name, wire, raw))
        elif (message, name) in _INLINE:
            inlined = _value(type_name, wire, raw)
            if isinstance(inlined, dict):
                result.update(inlined)
        else:
            result[name] = _value(type_name, wire, raw)
    return _omit_empty(result)


# Go structs embedded with `json:",inline"`: their fields are the parent's in JSON, one message in protobuf.
_INLINE = {
    ("k8s.io.api.core.v1.Probe", "handler"),
    ("k8s.io.api.core.v1.Volume", "volumeSource"),
    ("k8s.io.api.core.v1.EphemeralContainer", "ephemeralContainerCommon"),
    ("k8s.io.api.core.v1.PersistentVolumeSpec", "persistentVolumeSource"),
    ("k8s.io.api.networking.v1.IngressRule", "ingressRuleValue"),
    ("k8s.io.api.admissionregistration.v1.NamedRuleWithOperations", "ruleWithOperations"),
    ("k8s.io.api.admissionregistration.v1.RuleWithOperations", "rule"),
}


_SCALARS_SET = {"string", "bytes", "bool", "int32", "int64", "uint32", "uint64", "double", "float", "sint32", "sint64"}


def _value(type_name: str, wire: int, raw: Any) -> Any:
    if type_name in _SCALARS_SET:
        return _scalar(type_name, wire, raw)
    return decode_message(type_name, raw)


def _map_entry(key_type: str, value_type: str, raw: bytes) -> tuple[Any, Any]:
    key: Any = "" if key_type == "string" else 0
    value: Any = None
    for number, wire, item in _Reader(raw).fields():
        if number == 1:
            key = _value(key_type, wire, item)
        elif number == 2:
            value = _value(value_type, wire, item)
    if value is None:
        value = "" if value_type in ("string", "bytes") else {} if value_type not in _SCALARS_SET else 0
    return key, value


def _omit_empty(result: dict[str, Any]) -> dict[str, Any]:
    for key in list(result):
        value = result[key]
        if value is None or value == "" or value == [] or value == {} or ((value == 0 or value is False) and not isinstance(value, (dict, list)) and key not in _MEANINGFUL_ZERO):
            del result[key]
    return result


def _special(message: str, data: bytes) -> Any:
    fields = {number: raw for number, _wire, raw in _Reader(data).fields()}
    short = message.rsplit(".", 1)[-1]
    if short in ("Time", "MicroTime"):
        seconds, nanos = _signed(fields.get(1, 0)), fields.get(2, 0)
        if seconds == 0 and nanos == 0:
            return None
        moment = dt.datetime.fromtimestamp(seconds, dt.UTC) + dt.timedelta(microseconds=nanos // 1000)
        return format_time(moment, micro=short == "MicroTime")
    if short == "Duration":
        return format_duration_ns(_signed(fields.get(1, 0)))
    if short in ("Quantity",):
        return fields.get(1, b"").decode()
    if short == "IntOrString":
        if fields.get(1, 0) == 1:
            return fields.get(3, b"").decode()
        return _signed(fields.get(2, 0))
    raw = fields.get(1, b"")
    return json.loads(raw) if raw else None


def decode_object(body: bytes) -> dict[str, Any]:
    """Decode an enveloped Kubernetes protobuf object into its JSON form (raises BadRequest)."""
    if not body.startswith(MAGIC):
        raise BadRequest("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]")
    envelope = {number: raw for number, _wire, raw in _Reader(body[len(MAGIC):]).fields()}
    type_meta = {number: raw.decode() for number, _wire, raw in _Reader(envelope.get(1, b"")).fields()}
    api_version, kind = type_meta.get(1, ""), type_meta.get(2, "")
    group, _, version = api_version.rpartition("/")
    package = _PACKAGES.get(group)
    message = f"k8s.io.api.{package}.{version}.{kind}" if package else ""
    if message not in _schema():
        raise BadRequest(f'no kind "{kind}" is registered for version "{api_version}" in scheme')
    decoded = decode_message(message, envelope.get(2, b""))
    return {"apiVersion": api_version, "kind": kind, **decoded}
