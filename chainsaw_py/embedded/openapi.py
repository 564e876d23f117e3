"""/openapi/v2 and /openapi/v3 documents, generated from the kubernetes-validate definitions and CRD schemas.

kubectl needs them to (1) check that the server supports ``fieldValidation`` on PATCH for a kind (server-side
validation), (2) compute strategic merge patches for ``kubectl apply`` (patch merge keys), and (3) ``explain``.
Documents are built lazily per group-version and cached until the resource registry changes.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from chainsaw_py.embedded.apierrors import NotFound
from chainsaw_py.embedded.httpserver import Request, Response
from chainsaw_py.embedded.openapi_proto import PROTOBUF_CONTENT_TYPE, PROTOBUF_MEDIA_TYPES, encode_document
from chainsaw_py.embedded.resources import ResourceRegistry, ResourceType
from chainsaw_py.embedded.schemas import Definitions, builtin_definitions, ref_name
from chainsaw_py.embedded.store import encode

_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_STATUS = "io.k8s.apimachinery.pkg.apis.meta.v1.Status"
_SCALE = "io.k8s.api.autoscaling.v1.Scale"
_SPECIAL_SHAPES = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"type": "string", "format": "int-or-string"},
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {"type": "string"},
}


def convert_schema(node: Any, prefix: str) -> Any:
    """kubernetes-validate's JSON-Schema dialect -> OpenAPI: single types, ``$ref``s under ``prefix``."""
    if isinstance(node, list):
        return [convert_schema(item, prefix) for item in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):
            result[key] = prefix + ref_name(value)
        elif key == "type" and isinstance(value, list):
            kinds = [kind for kind in value if kind != "null"]
            if kinds:
                result[key] = kinds[0]
        elif key in ("properties", "patternProperties") and isinstance(value, dict):
            result[key] = {name: convert_schema(item, prefix) for name, item in value.items()}
        elif (key == "additionalProperties" and value is False) or key in ("$schema", "$id"):
            continue
        else:
            result[key] = convert_schema(value, prefix)
    return result


def served_definition(schema: dict[str, Any], prefix: str) -> Any:
    """A definition as kube-apiserver publishes it: kubernetes-validate pins a kind's ``apiVersion`` and ``kind``
    with an ``enum`` the apiserver's documents do not have (kubectl 1.31+ explain would print it)."""
    result = convert_schema(schema, prefix)
    properties = result.get("properties") if "x-kubernetes-group-version-kind" in result else None
    if isinstance(properties, dict):
        for name in ("apiVersion", "kind"):
            if isinstance(properties.get(name), dict):
                properties[name] = {key: value for key, value in properties[name].items() if key != "enum"}
    return result


def _closure(definitions: Definitions, roots: list[str]) -> list[str]:
    seen: list[str] = []
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in seen or name not in definitions.definitions:
            continue
        seen.append(name)
        pending.extend(_refs(definitions.definitions[name]))
    return sorted(seen)


def _refs(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.append(ref_name(value))
            else:
                found.extend(_refs(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_refs(item))
    return found


class OpenApi:
    def __init__(self, registry: ResourceRegistry, git_version: str) -> None:
        self.registry = registry
        self.git_version = git_version
        self._lock = threading.Lock()
        self._generation = -1
        self._v3: dict[str, bytes] = {}
        self._v2: bytes | None = None
        self._v2_protobuf: bytes | None = None

    def handle(self, request: Request, path: str) -> Response:
        if path == "/openapi/v2":
            if _wants_protobuf(request.header("accept")):
                return Response(200, self.v2_protobuf(), PROTOBUF_CONTENT_TYPE)
            return Response(200, self.v2())
        if path == "/openapi/v3":
            return Response(200, self.v3_root())
        if path.startswith("/openapi/v3/"):
            key = path[len("/openapi/v3/"):]
            document = self.v3_document(key)
            if document is None:
                raise NotFound.generic()
            return Response(200, document, headers=[("Cache-Control", "public, immutable")])
        raise NotFound.generic()

    def _check_generation(self) -> None:
        if self._generation != self.registry.generation:
            self._v3.clear()
            self._v2 = self._v2_protobuf = None
            self._generation = self.registry.generation

    def _group_versions(self) -> dict[str, tuple[str, str]]:
        result: dict[str, tuple[str, str]] = {}
        for group in self.registry.groups():
            for version in self.registry.versions(group):
                key = f"api/{version}" if not group else f"apis/{group}/{version}"
                result[key] = (group, version)
        return result

    # --- v3 ---------------------------------------------------------------------------------------------

    def v3_root(self) -> bytes:
        paths = {}
        for key in self._group_versions():
            document = self.v3_document(key) or b""
            digest = hashlib.sha512(document).hexdigest().upper()
            paths[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest}"}
        return encode({"paths": paths})

    def v3_document(self, key: str) -> bytes | None:
        with self._lock:
            self._check_generation()
            if key not in self._v3:
                group_version = self._group_versions().get(key)
                if group_version is None:
                    return None
                self._v3[key] = encode(self._build_v3(*group_version))
            return self._v3[key]

    def _build_v3(self, group: str, version: str) -> dict[str, Any]:
        definitions = builtin_definitions()
        prefix = "#/components/schemas/"
        resources = sorted(self.registry.resources(group, version), key=lambda rt: rt.plural)
        roots = [_OBJECT_META, _STATUS]
        custom: dict[str, Any] = {}
        paths: dict[str, Any] = {}
        for rt in resources:
            schema_name = self._schema_name(definitions, rt)
            if rt.builtin:
                roots.append(schema_name)
            else:
                custom[schema_name] = _custom_schema(rt, prefix)
            if any(sub.name == "scale" for sub in rt.subresources):
                roots.append(_SCALE)
            paths.update(_paths_for(rt, prefix + schema_name, prefix))
        schemas = {name: served_definition(definitions.definitions[name], prefix) for name in _closure(definitions, roots)}
        for name, shape in _SPECIAL_SHAPES.items():
            if name in schemas:
                schemas[name] = dict(shape, description=schemas[name].get("description", ""))
        schemas.update(custom)
        return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": self.git_version},
                "paths": paths, "components": {"schemas": schemas}}

    @staticmethod
    def _schema_name(definitions: Definitions, rt: ResourceType) -> str:
        if rt.builtin:
            return definitions.name_for(rt.group, rt.version, rt.kind) or f"{rt.group}.{rt.version}.{rt.kind}"
        reversed_group = ".".join(reversed(rt.group.split(".")))
        return f"{reversed_group}.{rt.version}.{rt.kind}"

    # --- v2 ---------------------------------------------------------------------------------------------

    def v2(self) -> bytes:
        with self._lock:
            self._check_generation()
            if self._v2 is None:
                self._v2 = encode(self._build_v2())
            return self._v2

    def v2_protobuf(self) -> bytes:
        with self._lock:
            self._check_generation()
            if self._v2_protobuf is None:
                self._v2_protobuf = encode_document(self._build_v2())
            return self._v2_protobuf

    def _build_v2(self) -> dict[str, Any]:
        definitions = builtin_definitions()
        prefix = "#/definitions/"
        result = {name: served_definition(schema, prefix) for name, schema in definitions.definitions.items()}
        for name, shape in _SPECIAL_SHAPES.items():
            if name in result:
                result[name] = dict(shape, description=result[name].get("description", ""))
        paths: dict[str, Any] = {}
        for rt in self.registry.all():
            name = self._schema_name(definitions, rt)
            if not rt.builtin:
                result[name] = _custom_schema(rt, prefix)
            paths.update(_paths_for(rt, prefix + name, prefix, v2=True))
        return {"swagger": "2.0", "info": {"title": "Kubernetes", "version": self.git_version}, "paths": paths,
                "definitions": result}


def _wants_protobuf(accept: str) -> bool:
    """Whether the first acceptable media type (kube-openapi's negotiation) is the gnostic protobuf form."""
    for clause in accept.split(","):
        media = clause.split(";")[0].strip().lower()
        if media in PROTOBUF_MEDIA_TYPES:
            return True
        if media in ("application/json", "application/*", "*/*"):
            return False
    return False


def _custom_schema(rt: ResourceType, prefix: str) -> dict[str, Any]:
    schema = json.loads(json.dumps(rt.schema or {"type": "object", "x-kubernetes-preserve-unknown-fields": True}))
    properties = schema.setdefault("properties", {})
    properties["metadata"] = {"$ref": prefix + _OBJECT_META}
    properties.setdefault("apiVersion", {"type": "string"})
    properties.setdefault("kind", {"type": "string"})
    schema["x-kubernetes-group-version-kind"] = [{"group": rt.group, "kind": rt.kind, "version": rt.version}]
    return schema


_WRITE_PARAMS = ("dryRun", "fieldManager", "fieldValidation")
# custom resources take no strategic merge patch (the CRD OpenAPI builder's PATCH routes do not list it): kubectl
# apply reads this list to choose between a strategic and a JSON merge patch
_CUSTOM_PATCH_TYPES = ["application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json"]
_PATCH_TYPES = [*_CUSTOM_PATCH_TYPES, "application/strategic-merge-patch+json"]


def _paths_for(rt: ResourceType, schema_ref: str, prefix: str, v2: bool = False) -> dict[str, Any]:
    base = f"/api/{rt.version}" if not rt.group else f"/apis/{rt.group}/{rt.version}"
    collection = f"{base}/namespaces/{{namespace}}/{rt.plural}" if rt.namespaced else f"{base}/{rt.plural}"
    gvk = {"group": rt.group, "version": rt.version, "kind": rt.kind}
    path_params = [_param("namespace", "path", v2)] if rt.namespaced else []
    paths: dict[str, Any] = {}
    collection_ops: dict[str, Any] = {"parameters": path_params}
    if "list" in rt.verbs:
        collection_ops["get"] = _operation(rt, "list", gvk, schema_ref, v2, ())
    if "create" in rt.verbs:
        collection_ops["post"] = _operation(rt, "post", gvk, schema_ref, v2, _WRITE_PARAMS, body=True)
    if "deletecollection" in rt.verbs:
        collection_ops["delete"] = _operation(rt, "deletecollection", gvk, prefix + _STATUS, v2, ())
    paths[collection] = collection_ops
    item_ops: dict[str, Any] = {"parameters": [_param("name", "path", v2), *path_params]}
    for verb, method in (("get", "get"), ("update", "put"), ("patch", "patch"), ("delete", "delete")):
        if verb in rt.verbs:
            params = _WRITE_PARAMS + (("force",) if verb == "patch" else ()) if verb in ("update", "patch") else ()
            item_ops[method] = _operation(rt, verb, gvk, schema_ref, v2, params, body=verb in ("update", "patch"))
    if len(item_ops) > 1:
        paths[f"{collection}/{{name}}"] = item_ops
    for sub in rt.subresources:
        if sub.name not in ("status", "scale"):
            continue
        ref = prefix + _SCALE if sub.name == "scale" else schema_ref
        sub_gvk = {"group": "autoscaling", "version": "v1", "kind": "Scale"} if sub.name == "scale" else gvk
        sub_ops: dict[str, Any] = {"parameters": [_param("name", "path", v2), *path_params]}
        sub_ops["get"] = _operation(rt, "get", sub_gvk, ref, v2, ())
        sub_ops["put"] = _operation(rt, "put", sub_gvk, ref, v2, _WRITE_PARAMS, body=True)
        sub_ops["patch"] = _operation(rt, "patch", sub_gvk, ref, v2, _WRITE_PARAMS + ("force",), body=True)
        paths[f"{collection}/{{name}}/{sub.name}"] = sub_ops
    return paths


def _param(name: str, where: str, v2: bool) -> dict[str, Any]:
    param: dict[str, Any] = {"name": name, "in": where, "required": where == "path"}
    if v2:
        param["type"] = "string"
    else:
        param["schema"] = {"type": "string", "uniqueItems": True}
    return param


def _operation(rt: ResourceType, action: str, gvk: dict[str, str], schema_ref: str, v2: bool,
               query: tuple[str, ...], body: bool = False) -> dict[str, Any]:
    parameters = [_param(name, "query", v2) for name in query]
    operation: dict[str, Any] = {
        "operationId": f"{action}{rt.kind}", "tags": [rt.api_version.replace("/", "_")],
        "parameters": parameters, "x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk,
    }
    if v2:
        operation["responses"] = {"200": {"description": "OK", "schema": {"$ref": schema_ref}}}
        if body:
            parameters.append({"name": "body", "in": "body", "required": True, "schema": {"$ref": schema_ref}})
    else:
        content = {"application/json": {"schema": {"$ref": schema_ref}}}
        operation["responses"] = {"200": {"description": "OK", "content": content}}
        if body:
            types = ["application/json"] if action != "patch" else _PATCH_TYPES if rt.builtin else _CUSTOM_PATCH_TYPES
            operation["requestBody"] = {"content": {t: {"schema": {"$ref": schema_ref}} for t in types},
                                        "required": True}
    return operation
