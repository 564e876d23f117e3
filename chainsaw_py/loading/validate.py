"""Validation of Chainsaw documents against chainsaw_py's JSON Schemas, with one-line errors.

Every problem becomes a ``LoadError`` naming the file, the line and the field path
(``spec.steps[0].try[1].apply.fle``) and saying what was expected. ``schema_errors`` returns all of
them in document order (for ``lint``); ``validate_document`` raises the first one.

A document is first checked by a validator that ``fastjsonschema`` compiles from the same schema (about
twenty times faster than ``jsonschema``, which matters for large suites); only a document it refuses
goes through ``jsonschema``, whose detailed errors make the messages.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chainsaw_py.errors import LoadError
from chainsaw_py.golang.durations import DurationError, parse_duration_ns
from chainsaw_py.loading import validated
from chainsaw_py.loading.model import OPERATION_KINDS
from chainsaw_py.loading.patterns import (
    BINDING_NAME_PATTERN,
    DURATION_FORMAT,
    DURATION_PATTERN,
    FORMAT_PATTERN,
    FUNCTION_PATTERN,
)
from chainsaw_py.yamldocs import Document, PathPart

if TYPE_CHECKING:
    from jsonschema import Draft7Validator
    from jsonschema.exceptions import ValidationError

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"

_TRY_OPERATIONS = frozenset(key for key, kind in OPERATION_KINDS.items() if not kind.in_catch)
"""Operations allowed in ``try`` but not in ``catch``/``finally``/``cleanup``."""
_TYPE_NAMES = {"string": "a string", "object": "an object", "array": "a list", "boolean": "a boolean",
               "integer": "an integer", "number": "a number", "null": "null"}
_PATTERN_MESSAGES = {
    DURATION_PATTERN: "invalid duration {value}: expected a Go duration such as 30s, 1m30s or 500ms",
    BINDING_NAME_PATTERN: "invalid binding name {value}: expected a word (letters, digits and _) or an "
                          "expression in parentheses",
    FORMAT_PATTERN: "invalid format {value}: expected json, yaml or an expression in parentheses",
    FUNCTION_PATTERN: "invalid function {value}: expected module:attr, or file.py:attr relative to the test folder",
}


def schema_file_name(kind: str, version: str) -> str:
    return f"{kind.lower()}-chainsaw-{version}.json"


def schema_names() -> list[str]:
    return sorted(path.name for path in SCHEMA_DIR.glob("*-chainsaw-*.json"))


@functools.cache
def load_schema(kind: str, version: str) -> dict[str, Any]:
    """The shipped schema for ``kind`` (Test, StepTemplate, Configuration) at ``version``."""
    name = schema_file_name(kind, version)
    if name not in _shipped_schema_names():   # an arbitrary version never becomes a file-system path
        raise LoadError(f"open {name}: file does not exist")
    return dict(json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8")))


@functools.cache
def _shipped_schema_names() -> frozenset[str]:
    return frozenset(schema_names())


_DURATION_SYNTAX = re.compile(DURATION_PATTERN)


def check_go_duration(value: Any) -> bool:
    """The ``go-duration`` format: a string of duration syntax must be in Go's range (raises
    ``DurationError`` with Go's message). Other values are left to the type and pattern keywords."""
    if isinstance(value, str) and _DURATION_SYNTAX.search(value):
        parse_duration_ns(value)
    return True


_JSON_INTEGER_LIMIT = 2**53
"""go-openapi's ``IsFloat64AJSONInteger``: a number decoded as float64 (a YAML integer beyond int64, or
``1e3``) is an integer only when whole and within +-2^53."""


def is_go_json_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and value.is_integer() and abs(value) <= _JSON_INTEGER_LIMIT


@functools.cache
def _validator(kind: str, version: str) -> Draft7Validator:
    from jsonschema import Draft7Validator, FormatChecker, validators

    formats = FormatChecker(formats=())
    formats.checks(DURATION_FORMAT, raises=DurationError)(check_go_duration)
    types = Draft7Validator.TYPE_CHECKER.redefine("integer", lambda _checker, value: is_go_json_integer(value))
    validator_class = validators.extend(Draft7Validator, type_checker=types)
    return validator_class(load_schema(kind, version), format_checker=formats)  # type: ignore[no-any-return]


@functools.cache
def _fast_validator(kind: str, version: str) -> Callable[[Any], Any]:
    import fastjsonschema

    return fastjsonschema.compile(  # type: ignore[no-any-return]
        _without_costly_one_of(load_schema(kind, version)), use_default=False, use_formats=True,
        detailed_exceptions=False, formats={DURATION_FORMAT: _passes_go_duration})


def _without_costly_one_of(schema: Any) -> Any:
    """The same schema with "exactly one of these keys" (``oneOf`` of single ``required``, as operations
    are written) said as "at least one" plus "none of the others with it": equivalent for objects, and
    about five times cheaper for the compiled validator, which otherwise tries every branch.

    Integers are also bounded by +-2^53 there: the compiled validator takes every whole float for an
    integer, and a document it refuses is decided by ``jsonschema`` (``is_go_json_integer``)."""
    if isinstance(schema, list):
        return [_without_costly_one_of(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    rewritten = {key: _without_costly_one_of(value) for key, value in schema.items()}
    if "integer" in _as_list(schema.get("type")):
        rewritten["minimum"] = max(schema.get("minimum", -_JSON_INTEGER_LIMIT), -_JSON_INTEGER_LIMIT)
        rewritten["maximum"] = min(schema.get("maximum", _JSON_INTEGER_LIMIT), _JSON_INTEGER_LIMIT)
    kinds = _operation_kinds(schema)
    if kinds and schema.get("type") == "object":
        del rewritten["oneOf"]
        rewritten["anyOf"] = [{"required": [kind]} for kind in kinds]
        exclusive = {kind: {"properties": {other: False for other in kinds if other != kind}} for kind in kinds}
        rewritten["allOf"] = [*rewritten.get("allOf", []), {"dependencies": exclusive}]
    return rewritten


def _passes_go_duration(value: Any) -> bool:
    try:
        return check_go_duration(value)
    except DurationError:
        return False


def is_valid(data: Any, kind: str, version: str) -> bool:
    """Whether ``data`` passes the schema (fast; ``schema_errors`` says why not)."""
    import fastjsonschema

    try:
        _fast_validator(kind, version)(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def validate_document(document: Document, kind: str, version: str) -> None:
    """Raise the first schema violation of ``document`` as a ``LoadError`` (documents found valid before
    are recognised without jsonschema: ``loading.validated``)."""
    schema_file = SCHEMA_DIR / schema_file_name(kind, version)
    digest = validated.document_digest(document.data)
    if validated.is_known_valid(schema_file, digest):
        return
    errors = schema_errors(document, kind, version)
    if errors:
        raise errors[0]
    validated.remember_valid(schema_file, digest)


def schema_errors(document: Document, kind: str, version: str) -> list[LoadError]:
    """Every schema violation of ``document``, one ``LoadError`` each, in document order."""
    if is_valid(document.data, kind, version):
        return []
    raw = list(_validator(kind, version).iter_errors(document.data))
    extra_field_paths = {tuple(error.absolute_path) for error in raw
                         if error.validator == "additionalProperties"}
    unknown_operation_paths = {tuple(error.absolute_path) for error in raw if _is_operation_one_of(error)
                               and not _present_operations(error)} & extra_field_paths
    found: dict[tuple[tuple[PathPart, ...], str], LoadError] = {}
    for error in raw:
        for path, message in _describe(error, unknown_operation_paths):
            found.setdefault((path, message), document.error(message, path))
    return sort_errors(found.values())


def sort_errors(errors: Iterable[LoadError]) -> list[LoadError]:
    return sorted(errors, key=lambda err: (err.file or "", err.line or 0, err.path or "", err.message))


# ---------------------------------------------------------------------------------------------
# Turning jsonschema errors into messages


def _describe(error: ValidationError, unknown_operations: set[tuple[PathPart, ...]]
              ) -> list[tuple[tuple[PathPart, ...], str]]:
    path = tuple(error.absolute_path)
    keyword = error.validator
    if keyword == "additionalProperties":
        return [((*path, name), _unknown_field_message(error, name, path in unknown_operations))
                for name in _extra_properties(error)]
    if keyword == "oneOf" and _is_operation_one_of(error):
        return _operation_count_message(error, path, path in unknown_operations)
    if keyword == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return [(path, f'missing required field "{name}"') for name in missing]
    if keyword == "not":
        return [(path, _exclusive_message(error))]
    return [(path, _simple_message(error))]


def _simple_message(error: ValidationError) -> str:
    keyword, expected, value = error.validator, error.validator_value, error.instance
    if keyword == "type":
        wanted = [_TYPE_NAMES.get(name, name) for name in _as_list(expected) if name != "null"]
        return f"expected {' or '.join(wanted)}, got {describe_value(value)}"
    if keyword == "enum":
        choices = ", ".join(json.dumps(choice) for choice in expected)
        return f"unsupported value {_render(value)}: expected one of {choices}"
    if keyword == "pattern":
        template = _PATTERN_MESSAGES.get(expected, "{value} does not match the pattern " + expected)
        return template.format(value=_render(value))
    if keyword == "minItems":
        return f"must contain at least {expected} item{'s' if expected != 1 else ''}"
    if keyword == "minimum":
        return f"must be at least {expected}, got {_render(value)}"
    if keyword == "format" and error.cause is not None:
        return str(error.cause)
    return str(error.message)


def _extra_properties(error: ValidationError) -> list[str]:
    allowed = error.schema.get("properties", {})
    return [name for name in error.instance if name not in allowed]


def _unknown_field_message(error: ValidationError, name: str, is_operation: bool) -> str:
    allowed = sorted(error.schema.get("properties", {}))
    if is_operation:
        kinds = _operation_kinds(error.schema)
        listed = ", ".join(kinds)
        if name in _TRY_OPERATIONS:
            return f'operation "{name}" is not allowed in catch, finally or cleanup: expected one of {listed}'
        return f'unknown operation "{name}": expected one of {listed}{_did_you_mean(name, kinds)}'
    hint = _did_you_mean(name, allowed)
    if hint or not allowed:
        return f'unknown field "{name}"{hint}'
    return f'unknown field "{name}": expected one of {", ".join(allowed)}'


def _did_you_mean(name: str, choices: Sequence[str]) -> str:
    lowered = {choice.lower(): choice for choice in choices}
    if name.lower() in lowered:
        return f' (did you mean "{lowered[name.lower()]}"?)'
    import difflib  # only for an error

    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _is_operation_one_of(error: ValidationError) -> bool:
    return error.validator == "oneOf" and bool(_operation_kinds(error.schema))


def _operation_kinds(schema: dict[str, Any]) -> list[str]:
    branches = schema.get("oneOf", [])
    if not branches or not all(set(branch) == {"required"} and len(branch["required"]) == 1
                               for branch in branches):
        return []
    return [branch["required"][0] for branch in branches]


def _present_operations(error: ValidationError) -> list[str]:
    instance = error.instance if isinstance(error.instance, dict) else {}
    return [kind for kind in _operation_kinds(error.schema) if kind in instance]


def _operation_count_message(error: ValidationError, path: tuple[PathPart, ...], unknown: bool
                             ) -> list[tuple[tuple[PathPart, ...], str]]:
    present = _present_operations(error)
    if present:
        return [(path, f"only one operation is allowed per entry, found {', '.join(present)}")]
    if unknown:
        return []  # reported as the unknown operation itself
    kinds = ", ".join(_operation_kinds(error.schema))
    return [(path, f"missing operation: expected one of {kinds}")]


def _exclusive_message(error: ValidationError) -> str:
    rule = error.validator_value
    instance = error.instance if isinstance(error.instance, dict) else {}
    names = rule.get("required", [])
    others = [branch["required"][0] for branch in rule.get("anyOf", []) if branch["required"][0] in instance]
    if others:
        listed = ", ".join(f'"{name}"' for name in others)
        return f'"{names[0]}" cannot be combined with {listed}'
    return " and ".join(f'"{name}"' for name in names) + " cannot be used together"


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "list" if isinstance(value, list) else "object"


def describe_value(value: Any) -> str:
    """``a list``, ``an object``, ``null``, ``string \"x\"``, ``integer 5``..."""
    kind = _json_type(value)
    if kind in ("list", "object", "null"):
        return {"list": "a list", "object": "an object", "null": "null"}[kind]
    return f"{kind} {_render(value)}"


def _render(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."
