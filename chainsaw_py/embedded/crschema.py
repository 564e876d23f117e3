"""Custom resources against their CRD's structural ``openAPIV3Schema``: pruning, defaulting, validation.

Order and wording follow apiextensions-apiserver: unknown fields are pruned (and reported for
fieldValidation), ``null`` in non-nullable fields is dropped, ``default``s are applied, then the value is
validated with kube-openapi's messages (``spec.replicas in body must be of type integer: "string"``).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from chainsaw_py.embedded.apierrors import FieldCause, FieldErrors, go_value
from chainsaw_py.embedded.celrules import check_rules, cost_budget
from chainsaw_py.golang.fmt import openapi_type_name

_ROOT_KEEP = ("apiVersion", "kind", "metadata")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# --- pruning and defaulting ---------------------------------------------------------------------------------


def prune(obj: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """Drop fields the schema does not declare (in place); return their paths for fieldValidation."""
    unknown: list[str] = []
    _prune_object(obj, schema, "", unknown, True, _preserves(schema))
    return unknown


def _preserves(schema: dict[str, Any]) -> bool:
    return bool(schema.get("x-kubernetes-preserve-unknown-fields"))


def _prune_value(value: Any, schema: dict[str, Any], path: str, unknown: list[str],
                 preserved: bool = False) -> None:
    """``preserved``: an array's ``x-kubernetes-preserve-unknown-fields`` reaches its items, as in
    apiextensions' ``skipPrune`` (which a declared property does not inherit)."""
    preserve = preserved or _preserves(schema)
    if isinstance(value, dict):
        _prune_object(value, schema, path, unknown, bool(schema.get("x-kubernetes-embedded-resource")), preserve)
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for index, item in enumerate(value):
                _prune_value(item, items, f"{path}[{index}]", unknown, preserve)


def _prune_object(obj: dict[str, Any], schema: dict[str, Any], path: str, unknown: list[str], root: bool,
                  preserve: bool) -> None:
    properties: dict[str, Any] = schema.get("properties") or {}
    additional = schema.get("additionalProperties")
    for key in list(obj):
        child_path = _join(path, key)
        if root and key in _ROOT_KEEP:
            continue
        if key in properties:
            _prune_value(obj[key], properties[key], child_path, unknown)
        elif isinstance(additional, dict):
            _prune_value(obj[key], additional, child_path, unknown)
        elif not preserve and additional is not True:
            unknown.append(child_path)
            del obj[key]


def drop_nulls_and_default(value: Any, schema: dict[str, Any]) -> Any:
    """Remove ``null`` from non-nullable fields and apply ``default`` values, recursively (in place)."""
    if isinstance(value, dict):
        properties: dict[str, Any] = schema.get("properties") or {}
        additional = schema.get("additionalProperties")
        for key in list(value):
            child = properties.get(key) or (additional if isinstance(additional, dict) else None)
            if value[key] is None and not (child or {}).get("nullable"):
                del value[key]
            elif child is not None:
                value[key] = drop_nulls_and_default(value[key], child)
        for key, child in properties.items():
            if key not in value and "default" in child:
                value[key] = drop_nulls_and_default(copy.deepcopy(child["default"]), child)
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            return [drop_nulls_and_default(item, items) for item in value]
    return value


# --- validation ---------------------------------------------------------------------------------------------


ABSENT = object()   # no previous value (a create, or an element that did not exist before)


def validate(value: Any, schema: dict[str, Any], errors: FieldErrors, old: Any = ABSENT) -> None:
    """Validate an object against a structural schema, appending apiserver-style field errors. ``old`` is the
    previous object (for ``oldSelf`` in x-kubernetes-validations transition rules); the object's rules share
    one runtime cost budget."""
    with cost_budget():
        _validate(value, schema, errors, "", True, old)


def _validate(value: Any, schema: dict[str, Any], errors: FieldErrors, path: str = "", root: bool = True,
              old: Any = ABSENT) -> None:
    if value is None:
        if not schema.get("nullable") and (schema.get("type") or schema.get("properties")):
            errors.invalid(path, value, f'{path or "body"} in body must be of type {schema.get("type", "object")}: "null"')
        return
    if not _check_type(value, schema, errors, path):
        return
    _check_enum(value, schema, errors, path)
    if isinstance(value, dict):
        _validate_object(value, schema, errors, path, root, old)
    elif isinstance(value, list):
        _validate_array(value, schema, errors, path, old)
    elif isinstance(value, str):
        _validate_string(value, schema, errors, path)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        _validate_number(value, schema, errors, path)
    _validate_combinators(value, schema, errors, path)
    if schema.get("x-kubernetes-validations") and not errors.has_errors_under(path):
        check_rules(value, None if old is ABSENT else old, old is not ABSENT, schema, errors, path)


def _check_type(value: Any, schema: dict[str, Any], errors: FieldErrors, path: str) -> bool:
    declared = schema.get("type")
    actual = openapi_type_name(value)
    if schema.get("x-kubernetes-int-or-string"):
        if actual in ("integer", "string"):
            return True
        errors.invalid(path, actual, f"{path} in body must be of type integer,string: {go_value(actual)}")
        return False
    if not declared or declared == actual or (declared == "number" and actual == "integer"):
        return True
    errors.invalid(path, actual, f"{path} in body must be of type {declared}: {go_value(actual)}")
    return False


def _check_enum(value: Any, schema: dict[str, Any], errors: FieldErrors, path: str) -> None:
    enum = schema.get("enum")
    if isinstance(enum, list) and value not in enum:
        errors.not_supported(path, value, [str(item) if not isinstance(item, str) else item for item in enum])


def _validate_object(value: dict[str, Any], schema: dict[str, Any], errors: FieldErrors, path: str,
                     root: bool, old: Any) -> None:
    for required in schema.get("required") or []:
        if required not in value:
            errors.required(_join(path, required))
    properties: dict[str, Any] = schema.get("properties") or {}
    additional = schema.get("additionalProperties")
    for key, item in value.items():
        if root and key in _ROOT_KEEP:
            continue
        child = properties.get(key) or (additional if isinstance(additional, dict) else None)
        if child is not None:
            previous = old.get(key, ABSENT) if isinstance(old, dict) else ABSENT
            _validate(item, child, errors, _join(path, key), root=bool(child.get("x-kubernetes-embedded-resource")),
                     old=previous)
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        errors.causes.append(_too_many(path, len(value), schema["maxProperties"]))
    if "minProperties" in schema and len(value) < schema["minProperties"]:
        errors.invalid(path, len(value), f"{path} in body should have at least {schema['minProperties']} properties")


def _validate_array(value: list[Any], schema: dict[str, Any], errors: FieldErrors, path: str, old: Any) -> None:
    items = schema.get("items")
    if isinstance(items, dict):
        keys = schema.get("x-kubernetes-list-map-keys") if schema.get("x-kubernetes-list-type") == "map" else None
        for index, item in enumerate(value):
            previous = _correlated(item, old, keys)
            _validate(item, items, errors, f"{path}[{index}]", root=bool(items.get("x-kubernetes-embedded-resource")),
                     old=previous)
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        errors.causes.append(_too_many(path, len(value), schema["maxItems"]))
    if "minItems" in schema and len(value) < schema["minItems"]:
        errors.invalid(path, len(value), f"{path} in body should have at least {schema['minItems']} items")
    if schema.get("x-kubernetes-list-type") == "set" or schema.get("uniqueItems"):
        _check_unique(value, errors, path)
    if schema.get("x-kubernetes-list-type") == "map":
        keys = schema.get("x-kubernetes-list-map-keys") or []
        _check_unique([tuple(item.get(key) for key in keys) if isinstance(item, dict) else item for item in value],
                      errors, path, shown=value)


def _correlated(item: Any, old: Any, keys: list[str] | None) -> Any:
    """The old element of an associative list with the same keys (others cannot be correlated)."""
    if not keys or not isinstance(old, list) or not isinstance(item, dict):
        return ABSENT
    for candidate in old:
        if isinstance(candidate, dict) and all(candidate.get(key) == item.get(key) for key in keys):
            return candidate
    return ABSENT


def _check_unique(values: list[Any], errors: FieldErrors, path: str, shown: list[Any] | None = None) -> None:
    seen: list[Any] = []
    for index, item in enumerate(values):
        if item in seen:
            errors.duplicate(f"{path}[{index}]", (shown or values)[index])
        seen.append(item)


def _validate_string(value: str, schema: dict[str, Any], errors: FieldErrors, path: str) -> None:
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        errors.too_long(path, schema["maxLength"])
    if "minLength" in schema and len(value) < schema["minLength"]:
        errors.invalid(path, value, f"{path} in body should be at least {schema['minLength']} chars long")
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and re.search(pattern, value) is None:
        errors.invalid(path, value, f"{path} in body should match '{pattern}'")
    fmt = schema.get("format")
    if fmt in _FORMATS and not _FORMATS[fmt].match(value):
        errors.invalid(path, value, f"{path} in body must be of type {fmt}: {go_value(value)}")


_FORMATS = {
    "date-time": re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"),
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "uuid": re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"),
    "ipv4": re.compile(r"^(\d{1,3}\.){3}\d{1,3}$"),
}


def _validate_number(value: float, schema: dict[str, Any], errors: FieldErrors, path: str) -> None:
    if "maximum" in schema:
        limit = schema["maximum"]
        if schema.get("exclusiveMaximum") and value >= limit:
            errors.invalid(path, value, f"{path} in body should be less than {limit}")
        elif value > limit:
            errors.invalid(path, value, f"{path} in body should be less than or equal to {limit}")
    if "minimum" in schema:
        limit = schema["minimum"]
        if schema.get("exclusiveMinimum") and value <= limit:
            errors.invalid(path, value, f"{path} in body should be greater than {limit}")
        elif value < limit:
            errors.invalid(path, value, f"{path} in body should be greater than or equal to {limit}")
    multiple = schema.get("multipleOf")
    if multiple and value % multiple:
        errors.invalid(path, value, f"{path} in body should be a multiple of {multiple}")


def _validate_combinators(value: Any, schema: dict[str, Any], errors: FieldErrors, path: str) -> None:
    for sub in schema.get("allOf") or []:
        _validate(value, sub, errors, path, root=False)
    any_of = schema.get("anyOf")
    if any_of and not any(_matches(value, sub, path) for sub in any_of):
        errors.invalid(path, value, f'"{path}" must validate at least one schema (anyOf)')
    one_of = schema.get("oneOf")
    if one_of and sum(_matches(value, sub, path) for sub in one_of) != 1:
        errors.invalid(path, value, f'"{path}" must validate one and only one schema (oneOf)')
    negated = schema.get("not")
    if isinstance(negated, dict) and _matches(value, negated, path):
        errors.invalid(path, value, f'"{path}" must not validate the schema (not)')


def _matches(value: Any, schema: dict[str, Any], path: str) -> bool:
    probe = FieldErrors()
    _validate(value, schema, probe, path, root=False)
    return not probe


def _too_many(path: str, actual: int, limit: int) -> Any:
    return FieldCause("FieldValueTooMany", path, f"Too many: {actual}: must have at most {limit} items")
