"""JSON numbers as Go decodes them: exact integers within int64 (``sigs.k8s.io/json``; also how chainsaw_py
keeps whole numbers that ``encoding/json`` would hold as float64, which JMESPath and comparisons treat
alike), float64 beyond, and Go's error for a number float64 cannot hold. Python's own limits (4,300-digit
integers, ``inf`` for huge floats) never show. Use as ``json.loads(..., parse_int=decode_integer,
parse_float=decode_float)``."""

from __future__ import annotations

import math

_INT64_DIGITS = 19


class NumberOutOfRange(ValueError):
    """A JSON number float64 cannot hold; the message is Go's."""

    def __init__(self, text: str) -> None:
        super().__init__(f"json: cannot unmarshal number {text} into Go value of type float64")
        self.text = text


def decode_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise NumberOutOfRange(text)
    return value


def decode_integer(text: str) -> int | float:
    if len(text.lstrip("-")) <= _INT64_DIGITS:
        value = int(text)
        if -2**63 <= value < 2**63:
            return value
    return decode_float(text)
