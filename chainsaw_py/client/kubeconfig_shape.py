"""The shape of a kubeconfig (client-go's ``clientcmd/api/v1`` types), checked before the file is used, so
that a malformed file is one line naming the field — as Go's decoding into typed structs refuses it —
instead of a Python error deep in the merge."""

from __future__ import annotations

from typing import Any

from chainsaw_py.golang.fmt import json_kind

Shape = str | tuple[str, Any]
"""A scalar type (``string``, ``bool``), or (Go type name, fields) for a struct, (``[]`` + name, item shape)
for a list, (``map[string]`` + name, value shape) for a map; ``any`` accepts everything."""

_EXTENSIONS: Shape = ("[]v1.NamedExtension", "any")
_CLUSTER: Shape = ("v1.Cluster", {
    "server": "string", "tls-server-name": "string", "insecure-skip-tls-verify": "bool",
    "certificate-authority": "string", "certificate-authority-data": "string", "proxy-url": "string",
    "disable-compression": "bool", "extensions": _EXTENSIONS})
_USER: Shape = ("v1.AuthInfo", {
    "client-certificate": "string", "client-certificate-data": "string", "client-key": "string",
    "client-key-data": "string", "token": "string", "tokenFile": "string", "as": "string", "as-uid": "string",
    "as-groups": ("[]string", "string"), "as-user-extra": ("map[string][]string", ("[]string", "string")),
    "username": "string", "password": "string", "auth-provider": "any", "exec": "any",
    "extensions": _EXTENSIONS})
_CONTEXT: Shape = ("v1.Context", {"cluster": "string", "user": "string", "namespace": "string",
                                  "extensions": _EXTENSIONS})
CONFIG: Shape = ("v1.Config", {
    "kind": "string", "apiVersion": "string", "preferences": "any", "current-context": "string",
    "clusters": ("[]v1.NamedCluster", ("v1.NamedCluster", {"name": "string", "cluster": _CLUSTER})),
    "users": ("[]v1.NamedAuthInfo", ("v1.NamedAuthInfo", {"name": "string", "user": _USER})),
    "contexts": ("[]v1.NamedContext", ("v1.NamedContext", {"name": "string", "context": _CONTEXT})),
    "extensions": _EXTENSIONS})

_SCALARS = {"string": str, "bool": bool}


def shape_error(value: Any, shape: Shape = CONFIG, struct: str = "Config", path: str = "") -> str | None:
    """Go's ``json: cannot unmarshal <kind> into Go struct field <Struct>.<path> of type <type>`` for the
    first value of ``value`` that does not fit ``shape``, or None. Null fits everything, as in Go."""
    if value is None or shape == "any":
        return None
    if isinstance(shape, str):
        fits = isinstance(value, _SCALARS[shape]) and not (shape == "string" and isinstance(value, bool))
        return None if fits else _mismatch(value, shape, struct, path)
    name, inner = shape
    if name.startswith("[]"):
        return _list_error(value, name, inner, struct, path)
    if name.startswith("map["):
        if not isinstance(value, dict):
            return _mismatch(value, name, struct, path)
        return _first(shape_error(item, inner, struct, path) for item in value.values())
    return _struct_error(value, name, inner, struct, path)


def _list_error(value: Any, name: str, item: Shape, struct: str, path: str) -> str | None:
    if not isinstance(value, list):
        return _mismatch(value, name, struct, path)
    return _first(shape_error(entry, item, struct, path) for entry in value)


def _struct_error(value: Any, name: str, fields: dict[str, Shape], struct: str, path: str) -> str | None:
    if not isinstance(value, dict):
        return _mismatch(value, name, struct, path)
    inner = name.removeprefix("v1.")
    return _first(shape_error(value[key], fields[key], inner, f"{path}.{key}" if path else key)
                  for key in value if key in fields)


def _first(errors: Any) -> str | None:
    return next((error for error in errors if error is not None), None)


def _mismatch(value: Any, type_name: str, struct: str, path: str) -> str:
    if not path:
        return f"json: cannot unmarshal {json_kind(value)} into Go value of type {type_name}"
    return f"json: cannot unmarshal {json_kind(value)} into Go struct field {struct}.{path} of type {type_name}"
