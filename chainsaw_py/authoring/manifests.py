"""Reading and writing Kubernetes manifests the way Chainsaw's migration commands do.

Reading follows ``pkg/loaders/resource.Load(path, manifest=true)``: every non-empty YAML document must be an
object with a ``kind``; a document with an ``items`` list (a ``v1.List``) stands for its items; a file with
no resource at all is an error. Writing follows ``sigs.k8s.io/yaml.Marshal`` (sorted keys, Go's quoting),
documents separated by ``---``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from chainsaw_py.errors import ChainsawError
from chainsaw_py.golang.fmt import json_marshal

SCHEMA_URL = "https://raw.githubusercontent.com/kyverno/chainsaw/main/.schemas/json/{kind}-chainsaw-{version}.json"


def schema_comment(kind: str, version: str) -> str:
    """The ``yaml-language-server`` modeline Chainsaw writes above generated documents."""
    return "# yaml-language-server: $schema=" + SCHEMA_URL.format(kind=kind, version=version)


def load_manifests(path: str | Path) -> list[dict[str, Any]]:
    """The resources of a manifest file, lists expanded. Raises ``ChainsawError``/``LoadError``."""
    from chainsaw_py.yamldocs import parse_documents, read_text

    if not os.path.exists(path):
        raise ChainsawError(f"no files found matching path: {path}")
    resources: list[dict[str, Any]] = []
    for document in parse_documents(read_text(path), path):
        resources.extend(_resources(document.data, path))
    if not resources:
        raise ChainsawError(f"found no resource in {path}")
    return resources


def _resources(data: Any, path: str | Path) -> list[dict[str, Any]]:
    if not isinstance(data, dict):
        raise ChainsawError(f"{path}: a manifest document must be an object, found {json_marshal(data)}")
    if not isinstance(data.get("kind"), str) or not data["kind"]:
        raise ChainsawError(f"{path}: Object 'Kind' is missing in '{json_marshal(data)}'")
    items = data.get("items")
    if not isinstance(items, list):
        return [data]
    if not all(isinstance(item, dict) for item in items):
        raise ChainsawError(f"{path}: items member is not an object")
    return list(items)


def marshal_manifests(resources: list[dict[str, Any]]) -> str:
    """The resources as ``sigs.k8s.io/yaml`` prints them, separated by ``---`` lines."""
    from chainsaw_py.golang.yaml import marshal

    return "---\n".join(marshal(resource) for resource in resources)


def api_version(resource: dict[str, Any]) -> str:
    value = resource.get("apiVersion")
    return value if isinstance(value, str) else ""
