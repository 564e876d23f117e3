"""Go's JSON serialization of built-in objects: fields without ``omitempty`` are always present.

A real apiserver decodes every object into its Go struct and encodes it back, so a scalar field whose json tag
has no ``omitempty`` is sent even at its zero value (a new DaemonSet's ``status.numberReady: 0``). The OpenAPI
``required`` lists are generated from exactly those tags (and clients generated from OpenAPI, like the
``kubernetes`` Python client, refuse objects that miss them), so they drive the filling here.

Only scalars are filled: a missing struct, slice, map or timestamp may be a nil pointer or nil slice in Go
(encoded as ``null`` or omitted), which the OpenAPI definitions cannot tell apart from a value.
"""

from __future__ import annotations

import threading
from typing import Any

from chainsaw_py.embedded.schemas import Definitions, type_names

_ZEROS: dict[str, Any] = {"integer": 0, "number": 0, "boolean": False, "string": ""}
_NO_ZERO_FORMATS = {"byte", "date-time", "int-or-string"}


class _Plan:
    """What to fill in one struct: zero-valued scalars, and the schemas of nested properties to descend into."""

    __slots__ = ("children", "zeros")

    def __init__(self) -> None:
        self.zeros: dict[str, Any] = {}
        self.children: dict[str, dict[str, Any]] = {}


class GoSerialization:
    """Fills the always-serialized fields of built-in objects, per their OpenAPI definitions."""

    def __init__(self, definitions: Definitions) -> None:
        self.definitions = definitions
        self._plans: dict[int, _Plan] = {}
        self._lock = threading.Lock()

    def fill(self, obj: dict[str, Any], schema: dict[str, Any]) -> None:
        """Add the missing non-``omitempty`` scalars of ``obj`` (in place), recursively."""
        self._fill_struct(obj, schema, 0)

    def _fill_struct(self, value: dict[str, Any], schema: dict[str, Any], depth: int) -> None:
        if depth > 64:
            return
        plan = self._plan(schema)
        for key, zero in plan.zeros.items():
            if key not in value:
                value[key] = zero
        for key, child in plan.children.items():
            present = value.get(key)
            if present is not None:
                self._fill_value(present, child, depth + 1)

    def _fill_value(self, value: Any, node: dict[str, Any], depth: int) -> None:
        resolved = self.definitions.resolve(node) or {}
        if isinstance(value, dict) and "properties" in resolved:
            self._fill_struct(value, resolved, depth)
        elif isinstance(value, dict) and isinstance(resolved.get("additionalProperties"), dict):
            for item in value.values():
                if item is not None:
                    self._fill_value(item, resolved["additionalProperties"], depth + 1)
        elif isinstance(value, list) and isinstance(resolved.get("items"), dict):
            for item in value:
                if item is not None:
                    self._fill_value(item, resolved["items"], depth + 1)

    def _plan(self, schema: dict[str, Any]) -> _Plan:
        plan = self._plans.get(id(schema))
        if plan is not None:
            return plan
        plan = _Plan()
        required = set(schema.get("required") or ())
        for key, node in (schema.get("properties") or {}).items():
            resolved = self.definitions.resolve(node) or {}
            if key in required and "$ref" not in node:
                zero = _zero_of(resolved)
                if zero is not None:
                    plan.zeros[key] = zero
            if _has_structure(self.definitions, resolved):
                plan.children[key] = node
        with self._lock:
            self._plans[id(schema)] = plan
        return plan


def _zero_of(node: dict[str, Any]) -> Any:
    types = type_names(node)
    if len(types) != 1 or node.get("format") in _NO_ZERO_FORMATS:
        return None
    return _ZEROS.get(types[0])


def _has_structure(definitions: Definitions, node: dict[str, Any]) -> bool:
    """Whether values of this schema may contain structs (so required scalars further down)."""
    if "properties" in node:
        return True
    for key in ("items", "additionalProperties"):
        child = node.get(key)
        if isinstance(child, dict):
            resolved = definitions.resolve(child) or {}
            if "properties" in resolved or isinstance(resolved.get("items"), dict) \
                    or isinstance(resolved.get("additionalProperties"), dict):
                return True
    return False
