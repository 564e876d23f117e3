"""kuttl's ``kuttl.dev/v1beta1`` documents (TestStep, TestAssert, TestSuite), decoded strictly as Chainsaw does.

Chainsaw converts each kuttl object into kuttl's Go types with apimachinery's unstructured converter in strict
mode, so an unknown field fails the conversion (``strict decoding error: unknown field "spec.foo"``, all such
fields sorted and joined) and a value of the wrong type fails with the converter's message. The field sets
below are kuttl v0.25's (the version Chainsaw builds against); fields Chainsaw's migration ignores are
accepted and reported by :func:`ignored_fields` so the caller can warn about them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chainsaw_py.golang.fmt import go_kind


class KuttlDecodeError(ValueError):
    """A kuttl document does not convert to its Go type; ``str(err)`` is the converter's message."""


# --- shapes: the Go types the converter fills -----------------------------------------------------------------

STRING, INT, BOOL, RAW = "string", "int", "bool", "raw"


@dataclass(frozen=True)
class ListOf:
    item: Any


@dataclass(frozen=True)
class MapOf:
    item: Any


@dataclass(frozen=True)
class Struct:
    fields: dict[str, Any]


_OBJECT_META = Struct({
    "name": STRING, "generateName": STRING, "namespace": STRING, "selfLink": STRING, "uid": STRING,
    "resourceVersion": STRING, "generation": INT, "creationTimestamp": RAW, "deletionTimestamp": RAW,
    "deletionGracePeriodSeconds": INT, "labels": MapOf(STRING), "annotations": MapOf(STRING),
    "ownerReferences": RAW, "finalizers": ListOf(STRING), "managedFields": RAW,
})
_TYPE_META = {"apiVersion": STRING, "kind": STRING, "metadata": _OBJECT_META}

_COMMAND = Struct({
    "command": STRING, "namespaced": BOOL, "script": STRING, "ignoreFailure": BOOL, "background": BOOL,
    "timeout": INT, "skipLogOutput": BOOL,
})
_OBJECT_REFERENCE = Struct({
    "kind": STRING, "namespace": STRING, "name": STRING, "uid": STRING, "apiVersion": STRING,
    "resourceVersion": STRING, "fieldPath": STRING, "labels": MapOf(STRING),
})
TEST_STEP = Struct({
    **_TYPE_META, "index": INT, "apply": ListOf(STRING), "assert": ListOf(STRING), "error": ListOf(STRING),
    "delete": ListOf(_OBJECT_REFERENCE), "unitTest": BOOL, "commands": ListOf(_COMMAND), "kubeconfig": STRING,
    "kubeconfigLoading": STRING, "context": STRING,
})
TEST_ASSERT = Struct({
    **_TYPE_META, "timeout": INT,
    "collectors": ListOf(Struct({
        "type": STRING, "pod": STRING, "namespace": STRING, "container": STRING, "selector": STRING,
        "tail": INT, "command": STRING,
    })),
    "commands": ListOf(Struct({"command": STRING, "namespaced": BOOL, "script": STRING, "skipLogOutput": BOOL})),
    "resourceRefs": ListOf(Struct({
        "apiVersion": STRING, "kind": STRING, "namespace": STRING, "name": STRING, "ref": STRING,
    })),
    "assertAny": ListOf(Struct({"celExpr": STRING})),
    "assertAll": ListOf(Struct({"celExpr": STRING})),
})
TEST_SUITE = Struct({
    **_TYPE_META, "crdDir": STRING, "manifestDirs": ListOf(STRING), "testDirs": ListOf(STRING),
    "startControlPlane": BOOL, "controlPlaneArgs": ListOf(STRING), "attachControlPlaneOutput": BOOL,
    "startKIND": BOOL, "kindConfig": STRING, "kindContext": STRING, "kindNodeCache": BOOL,
    "kindContainers": ListOf(STRING), "skipDelete": BOOL, "skipClusterDelete": BOOL, "timeout": INT,
    "parallel": INT, "artifactsDir": STRING, "commands": ListOf(_COMMAND), "reportFormat": STRING,
    "reportName": STRING, "reportGranularity": STRING, "namespace": STRING, "suppress": ListOf(STRING),
    "ignoreFiles": ListOf(STRING), "config": RAW,
})


# --- the typed values Chainsaw's migration reads --------------------------------------------------------------


@dataclass
class KuttlCommand:
    command: str = ""
    script: str = ""
    namespaced: bool = False
    ignore_failure: bool = False
    background: bool = False
    timeout: int = 0
    skip_log_output: bool = False


@dataclass
class DeleteRef:
    api_version: str = ""
    kind: str = ""
    namespace: str = ""
    name: str = ""
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class Collector:
    type: str = ""
    pod: str = ""
    namespace: str = ""
    container: str = ""
    selector: str = ""
    tail: int = 0
    cmd: str = ""


@dataclass
class KuttlStep:
    commands: list[KuttlCommand] = field(default_factory=list)
    apply: list[str] = field(default_factory=list)
    assert_: list[str] = field(default_factory=list)
    error: list[str] = field(default_factory=list)
    delete: list[DeleteRef] = field(default_factory=list)


@dataclass
class KuttlAssert:
    timeout: int = 0
    commands: list[KuttlCommand] = field(default_factory=list)
    collectors: list[Collector] = field(default_factory=list)


@dataclass
class KuttlSuite:
    metadata: dict[str, Any] = field(default_factory=dict)
    timeout: int = 0
    parallel: int = 0
    skip_delete: bool = False
    report_format: str = ""
    report_name: str = ""
    namespace: str = ""


def decode_test_step(document: dict[str, Any]) -> KuttlStep:
    data = decode(document, TEST_STEP)
    return KuttlStep(
        commands=[_command(item) for item in data.get("commands") or []],
        apply=list(data.get("apply") or []),
        assert_=list(data.get("assert") or []),
        error=list(data.get("error") or []),
        delete=[DeleteRef(api_version=ref.get("apiVersion", ""), kind=ref.get("kind", ""),
                          namespace=ref.get("namespace", ""), name=ref.get("name", ""),
                          labels=dict(ref.get("labels") or {}))
                for ref in (data.get("delete") or [])],
    )


def decode_test_assert(document: dict[str, Any]) -> KuttlAssert:
    data = decode(document, TEST_ASSERT)
    return KuttlAssert(
        timeout=data.get("timeout", 0),
        commands=[_command(item) for item in data.get("commands") or []],
        collectors=[Collector(type=item.get("type", ""), pod=item.get("pod", ""),
                              namespace=item.get("namespace", ""), container=item.get("container", ""),
                              selector=item.get("selector", ""), tail=item.get("tail", 0),
                              cmd=item.get("command", ""))
                    for item in (data.get("collectors") or [])],
    )


def decode_test_suite(document: dict[str, Any]) -> KuttlSuite:
    data = decode(document, TEST_SUITE)
    return KuttlSuite(
        metadata=dict(data.get("metadata") or {}),
        timeout=data.get("timeout", 0),
        parallel=data.get("parallel", 0),
        skip_delete=data.get("skipDelete", False),
        report_format=data.get("reportFormat", ""),
        report_name=data.get("reportName", ""),
        namespace=data.get("namespace", ""),
    )


def _command(data: dict[str, Any]) -> KuttlCommand:
    return KuttlCommand(
        command=data.get("command", ""), script=data.get("script", ""),
        namespaced=data.get("namespaced", False), ignore_failure=data.get("ignoreFailure", False),
        background=data.get("background", False), timeout=data.get("timeout", 0),
        skip_log_output=data.get("skipLogOutput", False),
    )


_USED_FIELDS = {
    "TestStep": {"apiVersion", "kind", "metadata", "commands", "apply", "assert", "error", "delete"},
    "TestAssert": {"apiVersion", "kind", "metadata", "commands", "collectors"},
}


def ignored_fields(kind: str, document: dict[str, Any]) -> list[str]:
    """The set top-level fields of a TestStep or TestAssert that Chainsaw's migration does not convert."""
    used = _USED_FIELDS.get(kind)
    if used is None:
        return []
    return sorted(key for key, value in document.items() if key not in used and value)


# --- the strict converter -------------------------------------------------------------------------------------


def decode(document: dict[str, Any], shape: Struct) -> dict[str, Any]:
    """``document`` checked against ``shape`` like ``FromUnstructuredWithValidation(..., true)``.

    Returns the document with integral floats in int fields turned into ints and nulls dropped. Raises
    :class:`KuttlDecodeError` with the converter's message: the first type error met, else every unknown
    field (sorted) in one ``strict decoding error``.
    """
    unknown: list[str] = []
    decoded = _value(document, shape, "", unknown)
    if unknown:
        raise KuttlDecodeError("strict decoding error: " + ", ".join(f'unknown field "{path}"'
                                                                       for path in sorted(unknown)))
    return dict(decoded or {})


def _value(value: Any, shape: Any, path: str, unknown: list[str]) -> Any:
    if value is None or shape == RAW:
        return value
    if isinstance(shape, Struct):
        return _struct(value, shape, path, unknown)
    if isinstance(shape, ListOf):
        if not isinstance(value, list):
            raise KuttlDecodeError(f"cannot restore slice from {go_kind(value)}")
        return [_value(item, shape.item, f"{path}[{index}]", unknown) for index, item in enumerate(value)]
    if isinstance(shape, MapOf):
        if not isinstance(value, dict):
            raise KuttlDecodeError(f"cannot restore map from {go_kind(value)}")
        return {key: _value(item, shape.item, path, unknown) for key, item in value.items()}
    return _scalar(value, shape)


def _struct(value: Any, shape: Struct, path: str, unknown: list[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise KuttlDecodeError(f"cannot restore struct from: {go_kind(value)}")
    out: dict[str, Any] = {}
    for key, field_shape in shape.fields.items():
        if value.get(key) is not None:
            out[key] = _value(value[key], field_shape, f"{path}.{key}" if path else key, unknown)
    unknown.extend(f"{path}.{key}" if path else key for key in value if key not in shape.fields)
    return out


def _scalar(value: Any, shape: str) -> Any:
    kind = go_kind(value)
    if (shape, kind) in ((STRING, "string"), (BOOL, "bool"), (INT, "int64")):
        return value
    if shape == INT and kind == "float64":
        if float(value).is_integer():
            return int(value)
        raise KuttlDecodeError("cannot convert float64 to int")
    if shape == STRING and kind == "int64":
        raise KuttlDecodeError("cannot convert int64 to string")
    raise KuttlDecodeError(f"unrecognized type: {shape}")


