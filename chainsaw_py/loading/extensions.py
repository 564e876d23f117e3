"""Where a document uses chainsaw_py extensions that upstream Chainsaw cannot run: the ``python`` operation,
the ``jsonpath`` compiler and ``(jsonpath; ...)`` expressions. ``lint`` reports them; ``declare`` uses it too."""

from __future__ import annotations

import re
from typing import Any

from chainsaw_py.loading.schema_source import EXTENSION_OPERATIONS

OPERATION_LISTS = frozenset({"try", "catch", "finally", "cleanup"})
_JSONPATH_EXPRESSION = re.compile(r"^\(\s*jsonpath\s*;")


def extensions_used(document: Any) -> list[str]:
    """``<field path>: <extension>`` for every use, in document order; the spec's own compilers last."""
    spec = document.get("spec") if isinstance(document, dict) else None
    if not isinstance(spec, dict):
        return []
    found: list[str] = []
    for key, value in spec.items():
        if key not in ("compiler", "namespaceTemplateCompiler"):
            _walk(value, f"spec.{key}", key, found)
    if "jsonpath" in (spec.get("compiler"), spec.get("namespaceTemplateCompiler")):
        found.append("spec: compiler jsonpath")
    return found


def _walk(node: Any, path: str, parent_key: str, found: list[str]) -> None:
    if isinstance(node, list):
        for index, item in enumerate(node):
            _walk(item, f"{path}[{index}]", parent_key, found)
    elif isinstance(node, dict):
        if parent_key in OPERATION_LISTS:
            found.extend(f"{path}: {kind}" for kind in EXTENSION_OPERATIONS if kind in node)
        if node.get("compiler") == "jsonpath":
            found.append(f"{path}: compiler jsonpath")
        for key, value in node.items():
            if isinstance(key, str) and _JSONPATH_EXPRESSION.match(key):
                found.append(f"{path}.{key}: jsonpath expression")
            _walk(value, f"{path}.{key}", str(key), found)
    elif isinstance(node, str) and _JSONPATH_EXPRESSION.match(node):
        found.append(f"{path}: jsonpath expression")
