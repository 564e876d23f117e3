"""The three PATCH dialects: JSON Patch (RFC 6902), JSON merge patch (RFC 7386) and strategic merge patch.

Strategic merge patch follows ``k8s.io/apimachinery/pkg/util/strategicpatch``: lists whose schema carries
``x-kubernetes-patch-strategy: merge`` are merged by ``x-kubernetes-patch-merge-key`` (or as sets for
primitives); directives ``$patch: replace|delete|merge``, ``$retainKeys``, ``$deleteFromPrimitiveList/<f>``
and ``$setElementOrder/<f>`` are honoured. Schema lookups go through a :class:`SchemaCursor`, so the same
code serves built-in kinds (kubernetes-validate definitions) and anything else with no merge keys.
"""

from __future__ import annotations

import copy
from typing import Any

from chainsaw_py.embedded.apierrors import ApiError, BadRequest
from chainsaw_py.embedded.schemas import Definitions

REJECTED = "the server rejected our request due to an error in our request"


class PatchError(ApiError):
    """A patch could not be applied (422 Invalid with the apiserver's generic wording)."""

    code = 422
    reason = "Invalid"

    def __init__(self, message: str = REJECTED) -> None:
        super().__init__(message, details={})


# --- JSON patch and merge patch -----------------------------------------------------------------------------


def apply_json_patch(document: dict[str, Any], operations: Any) -> dict[str, Any]:
    """RFC 6902 via the ``jsonpatch`` package; malformed patches are 400, failing operations 422."""
    import jsonpatch
    import jsonpointer

    if not isinstance(operations, list):
        raise BadRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    for operation in operations:
        if not isinstance(operation, dict) or "op" not in operation:
            raise BadRequest("Unexpected kind: unknown")
    try:
        result = jsonpatch.JsonPatch(operations).apply(document, in_place=False)
    except jsonpatch.InvalidJsonPatch as err:
        raise BadRequest(str(err)) from None
    except (jsonpatch.JsonPatchConflict, jsonpatch.JsonPatchTestFailed, jsonpointer.JsonPointerException,
            KeyError, IndexError, TypeError, ValueError):
        raise PatchError() from None
    if not isinstance(result, dict):
        raise PatchError()
    return result


def apply_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, ``null`` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    return result


# --- strategic merge patch ----------------------------------------------------------------------------------


class SchemaCursor:
    """Where we are in a schema while walking an object: children, list items, merge key and strategy."""

    def __init__(self, definitions: Definitions | None, node: dict[str, Any] | None) -> None:
        self.definitions = definitions
        self.node = node or {}

    def resolved(self) -> dict[str, Any]:
        if self.definitions is None:
            return self.node
        return self.definitions.resolve(self.node) or {}

    def child(self, key: str) -> SchemaCursor:
        resolved = self.resolved()
        properties = resolved.get("properties")
        if isinstance(properties, dict) and key in properties:
            return SchemaCursor(self.definitions, properties[key])
        additional = resolved.get("additionalProperties")
        if isinstance(additional, dict):
            return SchemaCursor(self.definitions, additional)
        return SchemaCursor(self.definitions, None)

    def items(self) -> SchemaCursor:
        resolved = self.resolved()
        items = resolved.get("items")
        return SchemaCursor(self.definitions, items if isinstance(items, dict) else None)

    def strategy(self) -> set[str]:
        raw = self.node.get("x-kubernetes-patch-strategy") or self.resolved().get("x-kubernetes-patch-strategy")
        return set(str(raw).split(",")) if raw else set()

    def merge_key(self) -> str | None:
        key = self.node.get("x-kubernetes-patch-merge-key") or self.resolved().get("x-kubernetes-patch-merge-key")
        return str(key) if key else None


_DIRECTIVE = "$patch"
_RETAIN_KEYS = "$retainKeys"
_DELETE_PRIMITIVE = "$deleteFromPrimitiveList/"
_SET_ORDER = "$setElementOrder/"


def apply_strategic_merge_patch(original: dict[str, Any], patch: Any, cursor: SchemaCursor) -> dict[str, Any]:
    """Apply a strategic merge patch to ``original`` (not modified); raises BadRequest on malformed patches."""
    if not isinstance(patch, dict):
        raise BadRequest("json: cannot unmarshal array into Go value of type map[string]interface {}")
    merged = _merge_map(copy.deepcopy(original), patch, cursor)
    return merged if isinstance(merged, dict) else {}


def _merge_map(original: dict[str, Any], patch: dict[str, Any], cursor: SchemaCursor) -> dict[str, Any] | None:
    directive = patch.get(_DIRECTIVE)
    if directive == "replace":
        return _strip_directives({k: v for k, v in patch.items() if k != _DIRECTIVE})
    if directive == "delete":
        return None
    if directive not in (None, "merge"):
        raise BadRequest(f"Unknown patch type: {directive}")
    retain = patch.get(_RETAIN_KEYS)
    if retain is not None:
        if not isinstance(retain, list):
            raise BadRequest("$retainKeys must be a list")
        original = {key: value for key, value in original.items() if key in retain}
    orders: dict[str, list[Any]] = {}
    for key, value in patch.items():
        if key in (_DIRECTIVE, _RETAIN_KEYS):
            continue
        if key.startswith(_SET_ORDER):
            orders[key[len(_SET_ORDER):]] = value if isinstance(value, list) else []
            continue
        if key.startswith(_DELETE_PRIMITIVE):
            field = key[len(_DELETE_PRIMITIVE):]
            if isinstance(original.get(field), list) and isinstance(value, list):
                original[field] = [item for item in original[field] if item not in value]
            continue
        _merge_field(original, key, value, cursor.child(key))
    for field, order in orders.items():
        if isinstance(original.get(field), list):
            original[field] = _apply_order(original[field], order, cursor.child(field).merge_key())
    return original


def _merge_field(original: dict[str, Any], key: str, value: Any, cursor: SchemaCursor) -> None:
    if value is None:
        original.pop(key, None)
        return
    current = original.get(key)
    if isinstance(value, dict):
        if isinstance(current, dict) and "replace" not in cursor.strategy():
            merged = _merge_map(current, value, cursor)
        elif value.get(_DIRECTIVE) == "delete":
            merged = None
        else:
            merged = _merge_map({}, value, cursor)
        if merged is None:
            original.pop(key, None)
        else:
            original[key] = merged
        return
    if isinstance(value, list):
        original[key] = _merge_list(current if isinstance(current, list) else [], value, cursor)
        return
    original[key] = value


def _merge_list(current: list[Any], patch: list[Any], cursor: SchemaCursor) -> list[Any]:
    if any(isinstance(item, dict) and item.get(_DIRECTIVE) == "replace" for item in patch):
        return _strip_directives([item for item in patch
                                  if not (isinstance(item, dict) and item.get(_DIRECTIVE) == "replace")])
    if "merge" not in cursor.strategy():
        return _strip_directives(list(patch))
    merge_key = cursor.merge_key()
    if merge_key is None or not any(isinstance(item, dict) for item in patch + current):
        result = list(current)
        for item in patch:
            if item not in result:
                result.append(item)
        return result
    return _merge_keyed_list(current, patch, merge_key, cursor.items())


def _merge_keyed_list(current: list[Any], patch: list[Any], merge_key: str, items: SchemaCursor) -> list[Any]:
    result = list(current)
    for element in patch:
        if not isinstance(element, dict):
            raise BadRequest(f"map: {element!r} does not contain declared merge key: {merge_key}")
        if merge_key not in element:
            raise BadRequest(f"map: {_go_map(element)} does not contain declared merge key: {merge_key}")
        position = _find(result, merge_key, element[merge_key])
        if element.get(_DIRECTIVE) == "delete":
            if position is not None:
                del result[position]
            continue
        if position is None:
            result.append(_merge_map({}, element, items))
        else:
            merged = _merge_map(result[position], element, items)
            if merged is None:
                del result[position]
            else:
                result[position] = merged
    return result


def _find(items: list[Any], merge_key: str, value: Any) -> int | None:
    for index, item in enumerate(items):
        if isinstance(item, dict) and item.get(merge_key) == value:
            return index
    return None


def _apply_order(items: list[Any], order: list[Any], merge_key: str | None) -> list[Any]:
    def identity(item: Any) -> Any:
        if merge_key is not None and isinstance(item, dict):
            return ("k", _freeze(item.get(merge_key)))
        return ("v", _freeze(item))

    wanted = [identity(entry) for entry in order]
    rank = {key: index for index, key in enumerate(wanted)}
    ordered = sorted((item for item in items if identity(item) in rank), key=lambda item: rank[identity(item)])
    rest = [item for item in items if identity(item) not in rank]
    return ordered + rest


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((key, _freeze(item)) for key, item in value.items()))
    if isinstance(value, list):
        return tuple(_freeze(item) for item in value)
    return value


def _strip_directives(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _strip_directives(item) for key, item in value.items()
                if key not in (_DIRECTIVE, _RETAIN_KEYS) and not key.startswith((_SET_ORDER, _DELETE_PRIMITIVE))}
    if isinstance(value, list):
        return [_strip_directives(item) for item in value]
    return value


def _go_map(value: dict[str, Any]) -> str:
    return "map[" + " ".join(f"{key}:{item}" for key, item in sorted(value.items())) + "]"

