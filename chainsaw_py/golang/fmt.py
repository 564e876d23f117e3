"""Go's ``fmt``, ``strconv`` and ``encoding/json`` for values decoded from JSON/YAML.

Chainsaw's messages are produced by Go code, so a compatible runner must print values the way Go does.
The Python values stand for what Kubernetes' unstructured decoding gives in Go:

==============  =========================  ==========
Python          Go                          reflect kind
==============  =========================  ==========
``None``        ``nil``                     ``invalid``
``bool``        ``bool``                    ``bool``
``int``         ``int64``                   ``int64``
``float``       ``float64``                 ``float64``
``str``         ``string``                  ``string``
``list``        ``[]interface {}``          ``slice``
``dict``        ``map[string]interface {}`` ``map``
==============  =========================  ==========

Public helpers: :func:`go_kind` (``reflect.Kind`` name), :func:`format_v` (``%v``), :func:`format_sharp_v`
(``%#v``), :func:`quote` (``%q`` / ``strconv.Quote``), :func:`format_float` (``strconv.FormatFloat``) and
:func:`json_marshal` (``encoding/json.Marshal``: compact, keys sorted, HTML characters escaped),
:func:`go_json_dumps` (``json.Marshal`` honouring a ``go_json()`` method), :func:`quote_rune_to_ascii`.

go-jmespath computes with float64, so numbers that are whole are printed without a fraction (``3``, not
``3.0``); :func:`go_number` folds such floats back into Python ints so that every later printer (YAML, JSON,
logs) shows them the way Go does.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "GoFormatError",
    "format_float",
    "format_sharp_v",
    "format_v",
    "go_json_dumps",
    "go_json_error",
    "go_kind",
    "go_number",
    "go_type_name",
    "is_number",
    "json_kind",
    "json_marshal",
    "openapi_type_name",
    "quote",
    "quote_rune_to_ascii",
]

_INTERFACE_MAP = "map[string]interface {}"
_INTERFACE_SLICE = "[]interface {}"


class GoFormatError(ValueError):
    """A value cannot be rendered the way Go would (e.g. ``json.Marshal`` of NaN)."""


# --- kinds --------------------------------------------------------------------------------------------------


def go_kind(value: Any) -> str:
    """The name of the ``reflect.Kind`` Go would see for ``value`` (``string``, ``int64``, ``map``, ...)."""
    if value is None:
        return "invalid"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, (list, tuple)):
        return "slice"
    return "struct"


def go_type_name(value: Any) -> str:
    """The dynamic Go type (``%T``) of a value decoded from JSON/YAML into ``interface{}``."""
    if value is None:
        return "nil"
    kind = go_kind(value)
    return {"map": "map[string]interface {}", "slice": "[]interface {}"}.get(kind, kind)


def json_kind(value: Any) -> str:
    """encoding/json's name of a JSON value's type, as used in ``cannot unmarshal X``."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def openapi_type_name(value: Any) -> str:
    """The OpenAPI type name of a decoded JSON value (``integer``, ``array``, ``null``...)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray))


# --- floats -------------------------------------------------------------------------------------------------


def _shortest_digits(value: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of ``abs(value)`` and the decimal point position (Go's ``digs.dp``)."""
    text = repr(abs(value))
    mantissa, _, exponent = text.partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    point = len(whole) + (int(exponent) if exponent else 0)
    if not digits:
        return "0", 1
    leading_zeros = len(whole + fraction) - len((whole + fraction).lstrip("0"))
    point -= leading_zeros
    return digits.rstrip("0") or "0", point


def _format_e(negative: bool, digits: str, point: int, letter: str = "e") -> str:
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    exponent = point - 1 if digits != "0" else 0
    sign = "-" if exponent < 0 else "+"
    return f"{'-' if negative else ''}{mantissa}{letter}{sign}{abs(exponent):02d}"


def _format_f(negative: bool, digits: str, point: int) -> str:
    if point <= 0:
        text = "0." + "0" * (-point) + digits
    elif point >= len(digits):
        text = digits + "0" * (point - len(digits))
    else:
        text = digits[:point] + "." + digits[point:]
    return ("-" if negative else "") + text


def format_float(value: float, verb: str = "g") -> str:
    """``strconv.FormatFloat(value, verb, -1, 64)`` for ``verb`` in ``g``, ``e``, ``f`` (shortest digits)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    negative = math.copysign(1.0, value) < 0
    digits, point = _shortest_digits(value)
    if value == 0:
        digits, point = "0", 1
    if verb == "e":
        return _format_e(negative, digits, point)
    if verb == "f":
        return _format_f(negative, digits, point)
    exponent = point - 1
    if exponent < -4 or exponent >= 6:
        return _format_e(negative, digits, point)
    return _format_f(negative, digits, point)


def _json_float(value: float) -> str:
    """``encoding/json``'s float64 encoding (ES6 style: ``1e+21``, ``1e-7``, ``0.000001``, ``3``)."""
    if math.isnan(value) or math.isinf(value):
        raise GoFormatError(f"json: unsupported value: {format_float(value)}")
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        text = format_float(value, "e")
        if len(text) >= 4 and text[-4] == "e" and text[-3] == "-" and text[-2] == "0":
            text = text[:-2] + text[-1]
        return text
    return format_float(value, "f")


# --- strings ------------------------------------------------------------------------------------------------

_SHORT_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def _is_go_printable(char: str) -> bool:
    """``unicode.IsPrint``: letters, marks, numbers, punctuation, symbols and the ASCII space."""
    if char == " ":
        return True
    return unicodedata.category(char)[0] in "LMNPS"


def quote(text: str) -> str:
    """``strconv.Quote`` (the ``%q`` verb): a double-quoted Go string literal."""
    out = ['"']
    for char in text:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif _is_go_printable(char):
            out.append(char)
        elif char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        else:
            out.append(_escape_code_point(ord(char)))
    out.append('"')
    return "".join(out)


def _escape_code_point(code: int) -> str:
    if 0xD800 <= code <= 0xDFFF:
        return _escape_surrogate(code)
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _escape_surrogate(code: int) -> str:
    # A lone surrogate cannot come from valid UTF-8; Go would see the raw bytes of its (invalid) encoding.
    encoded = chr(code).encode("utf-8", "surrogatepass")
    return "".join(f"\\x{byte:02x}" for byte in encoded)


_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f",
                 "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


_JSON_NEEDS_ESCAPE = re.compile('["\\\\<>&\u2028\u2029\x00-\x1f\ud800-\udfff]')


def _json_string(text: str) -> str:
    if not _JSON_NEEDS_ESCAPE.search(text):
        return '"' + text + '"'
    out = ['"']
    for char in text:
        escaped = _JSON_ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif ord(char) < 0x20:
            out.append(f"\\u{ord(char):04x}")
        elif 0xD800 <= ord(char) <= 0xDFFF:
            out.append("\ufffd")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


# --- encoding/json ------------------------------------------------------------------------------------------


def json_marshal(value: Any) -> str:
    """``encoding/json.Marshal``: compact, map keys sorted, ``<``, ``>``, ``&`` escaped as ``\\u003c`` etc."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _json_float(value)
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, Mapping):
        items = sorted((_key_string(key), item) for key, item in value.items())
        return "{" + ",".join(f"{_json_string(key)}:{json_marshal(item)}" for key, item in items) + "}"
    if _is_sequence(value):
        return "[" + ",".join(json_marshal(item) for item in value) + "]"
    raise GoFormatError(f"json: unsupported type: {type(value).__name__}")


def _key_string(key: Any) -> str:
    return key if isinstance(key, str) else format_v(key)


# --- fmt verbs ----------------------------------------------------------------------------------------------


def format_v(value: Any) -> str:
    """Go's ``%v``: ``<nil>``, ``true``, ``3``, ``1e+06``, ``text``, ``[a 1]``, ``map[a:1 b:x]``."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        items = _sorted_items(value)
        return "map[" + " ".join(f"{format_v(key)}:{format_v(item)}" for key, item in items) + "]"
    if _is_sequence(value):
        return "[" + " ".join(format_v(item) for item in value) + "]"
    return str(value)


def format_sharp_v(value: Any) -> str:
    """Go's ``%#v`` of an ``interface{}`` holding ``value`` (``map[string]interface {}{"a":1}``, ``<nil>``)."""
    if value is None:
        return "<nil>"
    return _sharp_v(value, nested=False)


def _sharp_v(value: Any, nested: bool) -> str:
    if value is None:
        return "interface {}(nil)" if nested else "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, Mapping):
        items = _sorted_items(value)
        body = ", ".join(f"{_sharp_v(key, True)}:{_sharp_v(item, True)}" for key, item in items)
        return _INTERFACE_MAP + "{" + body + "}"
    if _is_sequence(value):
        return _INTERFACE_SLICE + "{" + ", ".join(_sharp_v(item, True) for item in value) + "}"
    return repr(value)


def _sorted_items(value: Mapping[Any, Any]) -> list[tuple[Any, Any]]:
    """Map entries in the order ``fmt`` prints them (keys sorted; Go >= 1.12)."""
    try:
        return sorted(value.items(), key=lambda item: item[0])
    except TypeError:
        return sorted(value.items(), key=lambda item: (go_kind(item[0]), format_v(item[0])))


# --- numbers as go-jmespath and json.Marshal see them ------------------------------------------------------

_JSON_EXPONENT_LIMIT = 1e21


def go_number(value: float) -> float | int:
    """A float64 result as Go would print it: whole values below 1e21 become ints."""
    if isinstance(value, (bool, int)):
        return value
    if math.isfinite(value) and value.is_integer() and abs(value) < _JSON_EXPONENT_LIMIT:
        return int(value)
    return value


def is_number(value: Any) -> bool:
    """A JSON number (bools are not numbers, unlike Python's view of them)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def go_json_dumps(value: Any) -> str:
    """``json.Marshal`` of ``value``, honouring a ``go_json()`` method on values whose Go type marshals itself
    differently from its fields (e.g. Prometheus samples); raises ``ValueError`` where Go fails."""
    try:
        return json_marshal(_marshalled(value))
    except GoFormatError as error:
        raise ValueError(str(error)) from None


def _marshalled(value: Any) -> Any:
    go_json = getattr(value, "go_json", None)
    if callable(go_json):
        return _marshalled(go_json())
    if isinstance(value, dict):
        return {key: _marshalled(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_marshalled(item) for item in value]
    return value


def quote_rune_to_ascii(char: str) -> str:
    """``strconv.QuoteRuneToASCII``."""
    if char == "'":
        return "'\\''"
    if char == "\\":
        return "'\\\\'"
    code = ord(char)
    if 0x20 <= code < 0x7F:
        return f"'{char}'"
    if char in _SHORT_ESCAPES:
        return f"'{_SHORT_ESCAPES[char]}'"
    if code < 0x10000:
        return f"'\\u{code:04x}'" if code >= 0x80 else f"'\\x{code:02x}'"
    return f"'\\U{code:08x}'"


# --- encoding/json errors --------------------------------------------------------------------------------


def go_json_error(error: json.JSONDecodeError) -> str:
    """The message Go's ``encoding/json`` gives for the same bad document."""
    document, position = error.doc, error.pos
    if position >= len(document.rstrip()):
        return "unexpected end of JSON input"
    char = quote_rune_to_ascii(document[position])
    literal = _bad_literal(document, position)
    if literal:
        return literal
    if error.msg == "Extra data":
        return f"invalid character {char} after top-level value"
    if error.msg == "Expecting value":
        return f"invalid character {char} looking for beginning of value"
    if error.msg.startswith("Invalid control character"):
        return f"invalid character {char} in string literal"
    if error.msg.startswith("Invalid \\escape"):
        return f"invalid character {char} in string escape code"
    return f"invalid character {char} {error.msg[0].lower()}{error.msg[1:]}"


def _bad_literal(document: str, position: int) -> str:
    """Go's message for a misspelt ``true``/``false``/``null`` starting at ``position``."""
    for word in ("true", "false", "null"):
        if document[position] == word[0]:
            for offset, expected in enumerate(word[1:], start=1):
                actual = document[position + offset:position + offset + 1]
                if not actual:
                    return "unexpected end of JSON input"
                if actual != expected:
                    return f"invalid character {quote_rune_to_ascii(actual)} in literal {word} (expecting '{expected}')"
    return ""
