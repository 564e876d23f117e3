"""Small pure pieces: field selectors, URL routing, cron schedules, human durations, protobuf decoding."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from chainsaw_py.embedded.apierrors import BadRequest
from chainsaw_py.embedded.cron import CronError, parse_cron
from chainsaw_py.embedded.routing import GroupVersionPath, ResourcePath, parse_path
from chainsaw_py.embedded.selection import FieldRequirement, parse_field_selector
from chainsaw_py.golang.durations import human_duration


@pytest.mark.parametrize(("text", "expected"), [
    ("metadata.name=a", [FieldRequirement("metadata.name", "a", False)]),
    ("status.phase!=Running,spec.nodeName==n1", [FieldRequirement("status.phase", "Running", True),
                                                 FieldRequirement("spec.nodeName", "n1", False)]),
    (r"metadata.name=a\,b", [FieldRequirement("metadata.name", "a,b", False)]),
    ("", []),
])
def test_field_selector_parsing(text: str, expected: list[FieldRequirement]) -> None:
    assert parse_field_selector(text) == expected


def test_field_selector_errors() -> None:
    with pytest.raises(BadRequest, match="invalid selector: 'oops'; can't understand 'oops'"):
        parse_field_selector("oops")


def _is_resource(group: str, version: str, plural: str) -> bool:
    return plural in ("pods", "configmaps", "namespaces", "deployments")


@pytest.mark.parametrize(("path", "expected"), [
    ("/api/v1", GroupVersionPath("", "v1")),
    ("/apis/apps", GroupVersionPath("apps")),
    ("/apis/apps/v1", GroupVersionPath("apps", "v1")),
    ("/api/v1/pods", ResourcePath("", "v1", "pods")),
    ("/api/v1/namespaces/ns/pods/p/log", ResourcePath("", "v1", "pods", "ns", "p", "log")),
    ("/api/v1/namespaces/ns", ResourcePath("", "v1", "namespaces", None, "ns")),
    ("/api/v1/namespaces/ns/finalize", ResourcePath("", "v1", "namespaces", None, "ns", "finalize")),
    ("/api/v1/watch/namespaces/ns/configmaps", ResourcePath("", "v1", "configmaps", "ns", legacy_watch=True)),
    ("/apis/apps/v1/namespaces/ns/deployments/d/scale", ResourcePath("apps", "v1", "deployments", "ns", "d",
                                                                     "scale")),
    ("/version", None),
    ("/api/v1/namespaces/ns/pods/p/log/extra", None),
])
def test_routing(path: str, expected: Any) -> None:
    assert parse_path(path, _is_resource) == expected


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0s"), (59, "59s"), (119, "119s"), (150, "2m30s"), (600, "10m"), (3 * 3600 + 120, "3h2m"),
    (10 * 3600, "10h"), (3 * 86400 + 3600, "3d1h"), (30 * 86400, "30d"), (800 * 86400, "2y70d"), (-5, "<invalid>"),
])
def test_human_duration(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


@pytest.mark.parametrize(("schedule", "after", "expected"), [
    ("*/15 * * * *", "2024-01-01T10:07:00", "2024-01-01T10:15:00"),
    ("0 3 * * *", "2024-01-01T10:07:00", "2024-01-02T03:00:00"),
    ("30 12 1 * *", "2024-01-15T00:00:00", "2024-02-01T12:30:00"),
    ("0 0 * * mon", "2024-01-03T00:00:00", "2024-01-08T00:00:00"),
    ("@hourly", "2024-01-01T10:59:00", "2024-01-01T11:00:00"),
])
def test_cron_next_fire_time(schedule: str, after: str, expected: str) -> None:
    start = dt.datetime.fromisoformat(after).replace(tzinfo=dt.UTC)
    assert parse_cron(schedule).next_after(start) == dt.datetime.fromisoformat(expected).replace(
        tzinfo=dt.UTC)


@pytest.mark.parametrize(("schedule", "message"), [
    ("* * *", "expected exactly 5 fields, found 3: [* * *]"),
    ("61 * * * *", "end of range (61) above maximum (59): 61"),
    ("TZ=UTC * * * * *", "cannot use TZ or CRON_TZ in schedule"),
])
def test_cron_errors(schedule: str, message: str) -> None:
    with pytest.raises(CronError) as error:
        parse_cron(schedule)
    assert message in str(error.value)


# --- protobuf: a tiny encoder to build request bodies like kubectl's typed clients send ------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes | int) -> bytes:
    if isinstance(payload, int):
        return _varint(number << 3) + _varint(payload)
    return _varint((number << 3) | 2) + _varint(len(payload)) + payload


def _entry(key: str, value: str) -> bytes:
    return _field(1, key.encode()) + _field(2, value.encode())


def test_protobuf_configmap_body_decodes_to_json_form() -> None:
    from chainsaw_py.embedded.protobuf import decode_object

    metadata = _field(1, b"settings") + _field(2, b"") + _field(7, 0) + _field(11, _entry("app", "web"))
    configmap = _field(1, metadata) + _field(2, _entry("k", "v"))
    unknown = _field(1, _field(1, b"v1") + _field(2, b"ConfigMap")) + _field(2, configmap)
    decoded = decode_object(b"k8s\x00" + unknown)
    assert decoded == {"apiVersion": "v1", "kind": "ConfigMap",
                       "metadata": {"name": "settings", "labels": {"app": "web"}}, "data": {"k": "v"}}


def test_protobuf_deployment_keeps_meaningful_zero_and_int_or_string() -> None:
    from chainsaw_py.embedded.protobuf import decode_object

    intstr = _field(1, 1) + _field(3, b"25%")
    rolling = _field(1, intstr)
    strategy = _field(1, b"RollingUpdate") + _field(2, rolling)
    spec = _field(1, 0) + _field(4, strategy)
    deployment = _field(1, _field(1, b"d")) + _field(2, spec)
    unknown = _field(1, _field(1, b"apps/v1") + _field(2, b"Deployment")) + _field(2, deployment)
    decoded = decode_object(b"k8s\x00" + unknown)
    assert decoded["spec"] == {"replicas": 0, "strategy": {"type": "RollingUpdate",
                                                           "rollingUpdate": {"maxUnavailable": "25%"}}}


def test_protobuf_errors() -> None:
    from chainsaw_py.embedded.protobuf import decode_object

    with pytest.raises(BadRequest, match="does not appear to be a protobuf message"):
        decode_object(b"{}")
    unknown = _field(1, _field(1, b"v1") + _field(2, b"Nonsense"))
    with pytest.raises(BadRequest, match='no kind "Nonsense" is registered for version "v1"'):
        decode_object(b"k8s\x00" + unknown)


@pytest.mark.parametrize(("text", "canonical"), [
    ("1000m", "1"), ("1024Mi", "1Gi"), ("0.5", "500m"), ("1000", "1k"), ("1500m", "1500m"), ("1.5Gi", "1536Mi"),
    ("0.5Ki", "512"), ("129e6", "129e6"), ("0", "0"), ("0.0000000001", "1n"), ("2", "2"),
])
def test_quantities_are_canonicalised(text: str, canonical: str) -> None:
    from chainsaw_py.golang.quantity import canonical_quantity

    assert canonical_quantity(text) == canonical


def test_pod_resources_are_stored_canonical() -> None:
    from chainsaw_py.embedded.decoding import decode_builtin
    from chainsaw_py.embedded.schemas import builtin_definitions

    definitions = builtin_definitions()
    pod: dict[str, Any] = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "x", "resources": {
        "requests": {"cpu": "1000m", "memory": "1024Mi"}, "limits": {"cpu": 2}}}]}}
    decode_builtin(definitions, definitions.for_kind("", "v1", "Pod") or {}, "Pod", pod)
    assert pod["spec"]["containers"][0]["resources"] == {"requests": {"cpu": "1", "memory": "1Gi"},
                                                         "limits": {"cpu": "2"}}


@pytest.mark.parametrize(("path", "values"), [
    (".status.replicas", [3]), ("{.status.replicas}", [3]), (".status.missing", []), (".spec.ports[*].port", [80, 443]),
    (".spec.ports[?(@.name==\"https\")].port", [443]), (".spec.ports[5].port", []), (".spec[", []),
])
def test_printer_column_paths_use_the_kubectl_jsonpath_engine(path: str, values: list[Any]) -> None:
    from chainsaw_py.embedded.tables import json_path_values

    obj = {"status": {"replicas": 3}, "spec": {"ports": [{"name": "http", "port": 80}, {"name": "https", "port": 443}]}}
    assert json_path_values(obj, path) == values
