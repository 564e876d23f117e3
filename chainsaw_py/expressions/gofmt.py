"""Go-compatible rendering of plain data: ``encoding/json`` output, ``fmt``'s ``%v`` and number handling.

go-jmespath computes with float64, so numbers that are whole are printed without a fraction
(``3``, not ``3.0``); ``go_number`` folds such floats back into Python ints so that every later
printer (YAML, JSON, logs) shows them the way Go does.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

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


def format_json_float(value: float) -> str:
    """``encoding/json``'s float64 encoding (shortest digits, exponent only for tiny or huge values)."""
    if not math.isfinite(value):
        raise ValueError(f"json: unsupported value: {format_go_float(value)}")
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    if abs(value) < 1e-6 or abs(value) >= _JSON_EXPONENT_LIMIT:
        return _exponent_form(repr(value))
    return _fixed_form(value)


def format_go_float(value: float) -> str:
    """``fmt``'s ``%v`` for a float64 (``strconv.FormatFloat(f, 'g', -1, 64)``: ``1e+06``, ``123456``)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    _, exponent = _shortest_digits(value)
    if exponent < -4 or exponent >= 6:
        return _exponent_form(repr(value), clean=False)
    return _fixed_form(value)


def _shortest_digits(value: float) -> tuple[str, int]:
    _, digits, exponent = Decimal(repr(abs(value))).as_tuple()
    text = "".join(str(d) for d in digits).rstrip("0") or "0"
    assert isinstance(exponent, int)
    return text, len(digits) + exponent - 1


def _fixed_form(value: float) -> str:
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _exponent_form(text: str, clean: bool = True) -> str:
    mantissa, _, exponent = format(Decimal(text), "e").partition("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    sign = "-" if exponent.startswith("-") else "+"
    digits = exponent.lstrip("+-").lstrip("0") or "0"
    if len(digits) < 2:
        digits = "0" + digits
    result = f"{mantissa}e{sign}{digits}"
    # encoding/json cleans e-09 up to e-9 (but keeps e+21)
    if clean and sign == "-" and digits.startswith("0"):
        result = f"{mantissa}e-{digits[1:]}"
    return result


def go_json_dumps(value: Any) -> str:
    """``json.Marshal``: compact, map keys sorted, ``<``, ``>`` and ``&`` escaped, Go number format."""
    parts: list[str] = []
    _encode(value, parts)
    return "".join(parts)


def _encode(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_encode_string(value))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(format_json_float(value))
    elif isinstance(value, dict):
        go_json = getattr(value, "go_json", None)
        if callable(go_json):
            _encode(go_json(), out)
            return
        out.append("{")
        for index, key in enumerate(sorted(value, key=str)):
            if index:
                out.append(",")
            out.append(_encode_string(str(key)))
            out.append(":")
            _encode(value[key], out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        go_json = getattr(value, "go_json", None)
        if callable(go_json):
            _encode(go_json(), out)
            return
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        go_json = getattr(value, "go_json", None)
        if callable(go_json):
            _encode(go_json(), out)
            return
        out.append(_encode_string(str(value)))


def _encode_string(text: str) -> str:
    encoded = json.dumps(text, ensure_ascii=False)
    return (encoded.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def go_sprint(value: Any) -> str:
    """``fmt``'s ``%v`` for plain data (``map[a:1 b:x]``, ``[1 2]``, ``<nil>``)."""
    if value is None:
        return "<nil>"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_go_float(value)
    if isinstance(value, dict):
        items = " ".join(f"{go_sprint(k)}:{go_sprint(value[k])}" for k in sorted(value, key=str))
        return f"map[{items}]"
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(go_sprint(item) for item in value) + "]"
    return str(value)
