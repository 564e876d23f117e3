"""The OpenAPI definitions of built-in kinds, from the strict JSON schemas that ``kubernetes-validate`` ships.

Those schemas are the apiserver's OpenAPI v2 definitions (``additionalProperties: false`` added), including
``x-kubernetes-patch-merge-key`` / ``x-kubernetes-patch-strategy`` and ``x-kubernetes-group-version-kind``.
They drive strict decoding (unknown fields, type errors), strategic merge patch and the /openapi documents.
"""

from __future__ import annotations

import json
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from chainsaw_py.errors import ChainsawError

SERVER_MINOR = 32
_REF_PREFIXES = ("#/$defs/", "/api/_definitions.json#/$defs/", "#/definitions/", "#/components/schemas/")


def _schema_dir() -> Path:
    """kubernetes-validate's schema folder, found without importing the package (which imports jsonschema:
    ~0.1 s of the cluster's start for a folder name)."""
    import importlib.util

    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise ChainsawError("the kubernetes-validate package is not installed")
    root = Path(next(iter(spec.submodule_search_locations))) / "kubernetes-json-schema"
    wanted = root / f"v1.{SERVER_MINOR}.0-local-strict"
    if wanted.is_dir():
        return wanted
    available = sorted((p for p in root.glob("v1.*.0-local-strict") if p.is_dir()),
                       key=lambda p: int(p.name.split(".")[1]))
    if not available:
        raise ChainsawError(f"kubernetes-validate ships no schemas under {root}")
    return available[-1]


class Definitions:
    """Named OpenAPI definitions plus lookups by group/version/kind."""

    def __init__(self, definitions: dict[str, dict[str, Any]]) -> None:
        self.definitions = definitions
        self.compiled: dict[Any, Any] = {}
        """Per-consumer caches of what is derived from these (immutable) definitions, e.g. a walker's compiled
        nodes keyed by ``(consumer, id(node))`` (kept with the node, so that the id stays its own)."""
        self.by_gvk: dict[tuple[str, str, str], str] = {}
        for name, schema in definitions.items():
            for gvk in schema.get("x-kubernetes-group-version-kind", ()):
                self.by_gvk[(gvk.get("group", ""), gvk.get("version", ""), gvk.get("kind", ""))] = name

    def name_for(self, group: str, version: str, kind: str) -> str | None:
        return self.by_gvk.get((group, version, kind))

    def for_kind(self, group: str, version: str, kind: str) -> dict[str, Any] | None:
        name = self.name_for(group, version, kind)
        return self.definitions.get(name) if name else None

    def resolve(self, node: dict[str, Any] | None) -> dict[str, Any] | None:
        """Follow ``$ref`` chains; sibling keys of a ``$ref`` (descriptions) are dropped."""
        seen = 0
        while node is not None and "$ref" in node and seen < 32:
            node = self.definitions.get(ref_name(node["$ref"]))
            seen += 1
        return node

    def ref_target(self, node: dict[str, Any]) -> str | None:
        ref = node.get("$ref")
        return ref_name(ref) if isinstance(ref, str) else None


def ref_name(ref: str) -> str:
    for prefix in _REF_PREFIXES:
        if ref.startswith(prefix):
            return ref[len(prefix):]
    return ref.rsplit("/", 1)[-1]


_lock = threading.Lock()


@lru_cache(maxsize=1)
def builtin_definitions() -> Definitions:
    """Load (once) the definitions of the Kubernetes version the embedded server reports."""
    with _lock:
        raw = json.loads((_schema_dir() / "_definitions.json").read_text(encoding="utf-8"))
        return Definitions(raw.get("$defs") or raw.get("definitions") or {})


def type_names(node: dict[str, Any]) -> list[str]:
    """The JSON types a schema node allows, without ``null`` (``[]`` = anything)."""
    declared = node.get("type")
    if declared is None:
        return []
    types = declared if isinstance(declared, list) else [declared]
    return [t for t in types if t != "null"]


def schema_go_type(definitions: Definitions, node: dict[str, Any]) -> str:
    """The Go type a schema node stands for, as ``encoding/json`` names it in error messages."""
    target = definitions.ref_target(node)
    if target:
        resolved = definitions.definitions.get(target) or {}
        if "properties" in resolved or type_names(resolved) == ["object"]:
            parts = target.split(".")
            return f"{parts[-2]}.{parts[-1]}"
        return schema_go_type(definitions, resolved)
    types = type_names(node)
    kind = types[0] if types else ""
    if kind == "array":
        return "[]" + schema_go_type(definitions, node.get("items") or {})
    if kind == "object":
        additional = node.get("additionalProperties")
        if isinstance(additional, dict):
            return "map[string]" + schema_go_type(definitions, additional)
        return "map[string]interface {}"
    if kind == "integer":
        return "int32" if node.get("format") == "int32" else "int64"
    if kind == "number":
        return "float64"
    if kind == "boolean":
        return "bool"
    if kind == "string":
        return "[]uint8" if node.get("format") == "byte" else "string"
    return "interface {}"
