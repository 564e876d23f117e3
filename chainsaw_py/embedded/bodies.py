"""Request bodies -> data with kube-apiserver's media types, limits and messages (used by ``codec``).

- media types: an empty ``Content-Type`` is JSON; anything but JSON, YAML (and protobuf for built-in kinds,
  decoded by the caller) is 415 ``the body of the request was in an unknown format - accepted media types
  include: ...``;
- JSON: Go's syntax only (no ``NaN``/``Infinity``), numbers beyond float64 (``1e999``) refused as Go refuses
  them, nesting beyond :attr:`Limits.max_json_depth` refused with encoding/json's ``exceeded max depth``;
- YAML: go-yaml's alias-expansion budget (``yaml: document contains excessive aliasing``), a nesting limit
  checked on the event stream before anything recursive runs, timestamps kept as strings (go-yaml into
  ``interface{}``), and ``.inf``/``.nan`` refused as sigs.k8s.io/yaml's JSON conversion refuses them.

Errors are :class:`BodyError` carrying the apiserver's whole message (``the object provided is unrecognized
(must be of type ConfigMap): ...``) so that the handler only maps them to a status.
"""

from __future__ import annotations

import json
import math
import re
import threading
from typing import Any

import yaml

from chainsaw_py.golang.jsonnum import NumberOutOfRange, decode_float, decode_integer

JSON = "application/json"
YAML = "application/yaml"
PROTOBUF = "application/vnd.kubernetes.protobuf"
JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"

_JSON_TYPES = (JSON, JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH)
_YAML_TYPES = (YAML, APPLY_PATCH)

# go-yaml v2 (decode.go): alias-driven decodes may be 99% of a small document, scaling down to 10%
_ALIAS_RATIO_LOW = 400_000
_ALIAS_RATIO_HIGH = 4_000_000


class BodyError(Exception):
    """A body the apiserver refuses: ``status`` (400 or 415) and its message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def media_type(header: str) -> str:
    """The media type of a Content-Type header, lower-cased; JSON when empty (as the apiserver)."""
    return header.split(";", 1)[0].strip().lower() or JSON


def unsupported(accepted: list[str]) -> BodyError:
    return BodyError(415, "the body of the request was in an unknown format - accepted media types include: "
                     + ", ".join(accepted))


def accepted_types(protobuf: bool) -> list[str]:
    return [JSON, YAML, PROTOBUF] if protobuf else [JSON, YAML]


class _Refused(Exception):
    """A decoding failure with the inner (Go) message; ``typed`` when apiVersion/kind were readable."""

    def __init__(self, message: str, typed: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.typed = typed


def decode(body: bytes, content_type: str, kind: str, max_depth: int,
           duplicates: list[str] | None = None) -> Any:
    """Decode a JSON or YAML body for an object of ``kind`` (used in messages); raises BodyError."""
    try:
        if content_type in _YAML_TYPES:
            return load_yaml(body, max_depth)
        return load_json(body, max_depth, duplicates)
    except _Refused as err:
        raise BodyError(400, _transform(err, body, kind)) from None


def _transform(err: _Refused, body: bytes, kind: str) -> str:
    """k8s.io/apiserver's transformDecodeError."""
    if err.typed:
        head = _type_meta(body)
        if head is not None:
            api_version, found_kind = head
            version = api_version.rsplit("/", 1)[-1]
            return f'{found_kind} in version "{version}" cannot be handled as a {kind or found_kind}: {err.message}'
    target = f" (must be of type {kind})" if kind else ""
    return f"the object provided is unrecognized{target}: {err.message} ({_summary(body)})"


def _type_meta(body: bytes) -> tuple[str, str] | None:
    api_version = re.search(rb'"apiVersion"\s*:\s*"([^"\\]{0,200})"', body[:65536])
    kind = re.search(rb'"kind"\s*:\s*"([^"\\]{0,200})"', body[:65536])
    if api_version is None or kind is None:
        return None
    return api_version.group(1).decode("utf-8", "replace"), kind.group(1).decode("utf-8", "replace")


def _summary(data: bytes, max_length: int = 30) -> str:
    """k8s.io/apiserver's summarizeData."""
    if not data:
        return "<empty>"
    if data[:1] == b"{":
        text = data[:max_length].decode("utf-8", "replace")
        return text + " ..." if len(data) > max_length else text
    return data[:max_length].hex() + (" ..." if len(data) > max_length else "")


# --- JSON ------------------------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise _Refused(f"couldn't get version/kind; json parse error: invalid character '{name[0]}' looking for "
                   "beginning of value")


def _parse_float(text: str) -> float:
    try:
        return decode_float(text)
    except NumberOutOfRange as error:
        raise _Refused(str(error), typed=True) from None


def _parse_int(text: str) -> int | float:
    try:
        return decode_integer(text)  # beyond int64 Go keeps a float64 (sigs.k8s.io/json)
    except NumberOutOfRange as error:
        raise _Refused(str(error), typed=True) from None


class _Duplicates(threading.local):
    found: list[str] | None = None


_DUPLICATES = _Duplicates()     # where this thread's decoding records repeated keys


def _pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in items:
        if key in result and _DUPLICATES.found is not None:
            _DUPLICATES.found.append(key)
        result[key] = value
    return result


# made once: json.loads with hooks builds a new decoder (and its scanner) per call
_DECODER = json.JSONDecoder(parse_float=_parse_float, parse_int=_parse_int, parse_constant=_reject_constant)
_DUPLICATES_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_float=_parse_float, parse_int=_parse_int,
                                       parse_constant=_reject_constant)


def load_json(body: bytes, max_depth: int, duplicates: list[str] | None = None) -> Any:
    """Parse JSON as Go does, within ``max_depth``; repeated keys are appended to ``duplicates`` if given."""
    try:
        text = body.decode(json.detect_encoding(body), "surrogatepass")   # what json.loads does with bytes
        if duplicates is None:
            value = _DECODER.decode(text)
        else:
            _DUPLICATES.found = duplicates
            try:
                value = _DUPLICATES_DECODER.decode(text)
            finally:
                _DUPLICATES.found = None
    except RecursionError:
        raise _depth_error(body, max_depth) from None
    except UnicodeDecodeError:
        raise _Refused("couldn't get version/kind; json parse error: invalid character in string literal") from None
    except ValueError as err:
        raise _Refused(f"couldn't get version/kind; json parse error: {_go_syntax_message(err)}") from None
    if body.count(b"{") + body.count(b"[") > max_depth and nesting_depth(value) > max_depth:
        raise _depth_error(body, max_depth)
    return without_lone_surrogates(value) if _SURROGATE_ESCAPE.search(body) else value


_SURROGATE_ESCAPE = re.compile(rb"\\[uU]0*[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def without_lone_surrogates(value: Any) -> Any:
    """Go decodes an unpaired surrogate escape (``"\\ud800"``) as U+FFFD; a Python str would keep it and could
    then never be encoded as UTF-8."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {without_lone_surrogates(key): without_lone_surrogates(item) for key, item in value.items()}
    return value


def _depth_error(body: bytes, max_depth: int) -> _Refused:
    return _Refused(f"couldn't get version/kind; json parse error: invalid character '{_deep_opener(body, max_depth)}' "
                    "exceeded max depth")


def _deep_opener(body: bytes, max_depth: int) -> str:
    """The bracket that goes one level too deep (encoding/json names it); a scan that knows strings, run only
    for a body already known to be too deep."""
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x7B, 0x5B):
            depth += 1
            if depth > max_depth:
                return chr(byte)
        elif byte in (0x7D, 0x5D):
            depth -= 1
    return "{"


def _go_syntax_message(err: ValueError) -> str:
    if isinstance(err, json.JSONDecodeError):
        return err.msg[:1].lower() + err.msg[1:]
    return str(err)


def nesting_depth(value: Any) -> int:
    """How many objects and arrays deep ``value`` goes (iteratively: the value may be deeper than the stack)."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        pending.extend((child, depth) for child in children if isinstance(child, (dict, list)))
    return deepest


# --- YAML ------------------------------------------------------------------------------------------------


def _allowed_alias_ratio(decodes: int) -> float:
    if decodes <= _ALIAS_RATIO_LOW:
        return 0.99
    if decodes >= _ALIAS_RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * (decodes - _ALIAS_RATIO_LOW) / (_ALIAS_RATIO_HIGH - _ALIAS_RATIO_LOW)


def check_yaml_events(body: bytes, max_depth: int) -> None:
    """go-yaml's limits, computed on the event stream (no recursion, no expansion): nesting and the share of
    decodes that alias expansion would cause. Raises _Refused."""
    loader = _GoYamlLoader
    sizes: dict[str, int] = {}          # anchor -> decodes that expanding it costs
    stack: list[list[Any]] = []         # [anchor, decodes in this node so far]
    decodes = aliased = 0
    try:
        for event in yaml.parse(body, Loader=loader):
            if isinstance(event, yaml.AliasEvent):
                size = sizes.get(event.anchor or "")
                if size is None:
                    if any(frame[0] == event.anchor for frame in stack):
                        raise _Refused(f"yaml: anchor '{event.anchor}' value contains itself")
                    raise _Refused(f"yaml: unknown anchor '{event.anchor}' referenced")
                decodes += 1 + size
                aliased += size
                if stack:
                    stack[-1][1] += 1 + size
                if aliased > 100 and decodes > 1000 and aliased / decodes > _allowed_alias_ratio(decodes):
                    raise _Refused("yaml: document contains excessive aliasing")
            elif isinstance(event, yaml.ScalarEvent):
                decodes += 1
                if stack:
                    stack[-1][1] += 1
                if event.anchor:
                    sizes[event.anchor] = 1
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                decodes += 1
                stack.append([event.anchor, 1])
                if len(stack) > max_depth:
                    raise _Refused(f"yaml: exceeded max depth of {max_depth}")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                anchor, size = stack.pop()
                if anchor:
                    sizes[anchor] = size
                if stack:
                    stack[-1][1] += size
            elif isinstance(event, yaml.DocumentStartEvent):
                sizes.clear()
    except yaml.YAMLError as err:
        if _LIBYAML_NESTING_PROBLEM in str(getattr(err, "problem", "")):
            raise _Refused(f"yaml: exceeded max depth of {max_depth}") from None
        raise _Refused(f"error converting YAML to JSON: yaml: {_yaml_problem(err)}") from None


# libyaml 0.2.6+ (PyYAML 6.0.4 wheels) stops at 1,000 levels while its scanner looks ahead in flow
# collections, before the event check above sees the depth: that is the same refusal.
_LIBYAML_NESTING_PROBLEM = "exceeded maximum nesting depth"


def _yaml_problem(err: Exception) -> str:
    problem = getattr(err, "problem", None)
    mark = getattr(err, "problem_mark", None)
    if problem and mark is not None:
        return f"line {mark.line + 1}: {problem}"
    return str(problem or err).splitlines()[0]


class _GoYamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A safe (C when available) loader that keeps timestamps and binaries as strings, as go-yaml does into
    ``interface{}``."""


_GoYamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _GoYamlLoader.construct_yaml_str)
_GoYamlLoader.add_constructor("tag:yaml.org,2002:binary", _GoYamlLoader.construct_yaml_str)


def load_yaml(body: bytes, max_depth: int) -> Any:
    """One YAML document as data, within the limits; raises _Refused."""
    check_yaml_events(body, max_depth)
    try:
        documents = list(yaml.load_all(body, Loader=_GoYamlLoader))
    except yaml.YAMLError as err:
        raise _Refused(f"error converting YAML to JSON: yaml: {_yaml_problem(err)}") from None
    except RecursionError:
        raise _Refused(f"yaml: exceeded max depth of {max_depth}") from None
    value = documents[0] if documents else None
    _check_json_representable(value)
    return as_json_numbers(value)


def as_json_numbers(value: Any) -> Any:
    """encoding/json writes a whole float64 below 1e21 as an integer (``2.0`` -> ``2``). sigs.k8s.io/yaml converts
    YAML to JSON that way, so the apiserver decodes an integer (``replicas: 2.0`` is valid); a custom resource's
    ``1.0`` is stored as a float64 and read back as ``1``."""
    if isinstance(value, float):
        return int(value) if value.is_integer() and abs(value) < 1e21 else value
    if isinstance(value, list):
        return [as_json_numbers(item) for item in value]
    if isinstance(value, dict):
        return {key: as_json_numbers(item) for key, item in value.items()}
    return value


def _check_json_representable(value: Any) -> None:
    """sigs.k8s.io/yaml turns YAML into JSON: a non-finite float cannot be (``json: unsupported value``)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, float) and not math.isfinite(item):
            text = "NaN" if math.isnan(item) else ("+Inf" if item > 0 else "-Inf")
            raise _Refused(f"json: unsupported value: {text}")
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
