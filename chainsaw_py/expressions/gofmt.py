"""Go-compatible rendering for expression results, on top of ``chainsaw_py.util.goformat``.

go-jmespath computes with float64, so numbers that are whole are printed without a fraction
(``3``, not ``3.0``); ``go_number`` folds such floats back into Python ints so that every later
printer (YAML, JSON, logs) shows them the way Go does. ``go_json_dumps`` is ``json.Marshal`` and
honours a ``go_json()`` method on values whose Go type marshals itself differently from its fields
(e.g. Prometheus samples).
"""

from __future__ import annotations

import math
from typing import Any

from chainsaw_py.util import goformat

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


def format_go_float(value: float) -> str:
    """``fmt``'s ``%v`` for a float64 (``1e+06``, ``123456``)."""
    return goformat.format_float(value, "g")


def go_json_dumps(value: Any) -> str:
    """``json.Marshal``: compact, map keys sorted, ``<``, ``>`` and ``&`` escaped, Go number format."""
    try:
        return goformat.json_marshal(_marshalled(value))
    except goformat.GoFormatError as error:
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


def go_sprint(value: Any) -> str:
    """``fmt``'s ``%v`` (``map[a:1 b:x]``, ``[1 2]``, ``<nil>``)."""
    return goformat.format_v(value)


def go_sharp_sprint(value: Any) -> str:
    """``fmt``'s ``%#v`` (``map[string]interface {}{"a":1}``)."""
    return goformat.format_sharp_v(value)
