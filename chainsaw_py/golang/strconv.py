"""Go's ``strconv.ParseInt``/``ParseUint`` in base 10, with Go's error text (``strconv.ParseInt: parsing
"1e23": invalid syntax``, ``...: value out of range``): Python's ``int()`` also takes spaces, underscores,
non-ASCII digits and any length, which Go refuses."""

from __future__ import annotations

import math
import re

from chainsaw_py.golang.fmt import quote

_SIGNED = re.compile(r"[+-]?[0-9]+")
_UNSIGNED = re.compile(r"[0-9]+")
_MAX_DIGITS = 40  # beyond int64/uint64 in any case; keeps int() far from its 4,300-digit limit


def parse_int(text: str, bits: int = 64) -> int:
    """``strconv.ParseInt(text, 10, bits)``; a ``ValueError`` with Go's message otherwise."""
    if not _SIGNED.fullmatch(text):
        raise ValueError(f"strconv.ParseInt: parsing {quote(text)}: invalid syntax")
    limit = 1 << (bits - 1)
    digits = text.lstrip("+-").lstrip("0") or "0"
    value = -int(digits) if text.startswith("-") and len(digits) <= _MAX_DIGITS else int(digits[:_MAX_DIGITS + 1])
    if len(digits) > _MAX_DIGITS or not -limit <= value < limit:
        raise ValueError(f"strconv.ParseInt: parsing {quote(text)}: value out of range")
    return value


def parse_uint(text: str, bits: int = 64) -> int:
    """``strconv.ParseUint(text, 10, bits)`` (no sign); a ``ValueError`` with Go's message otherwise."""
    if not _UNSIGNED.fullmatch(text):
        raise ValueError(f"strconv.ParseUint: parsing {quote(text)}: invalid syntax")
    digits = text.lstrip("0") or "0"
    if len(digits) > _MAX_DIGITS or int(digits) >= 1 << bits:
        raise ValueError(f"strconv.ParseUint: parsing {quote(text)}: value out of range")
    return int(digits)


_INT64_MIN = -(1 << 63)


def int64_of_float(value: float) -> int:
    """Go's ``int64(f)`` / ``int(f)`` / ``time.Duration(f)`` on amd64: truncation toward zero, and the CPU's
    "integer indefinite" value (``math.MinInt64``) for NaN, the infinities and values beyond int64."""
    if not math.isfinite(value) or not _INT64_MIN <= value < (1 << 63):
        return _INT64_MIN
    return int(value)


def wrap_int64(value: int) -> int:
    """Go's int64 arithmetic: a result beyond int64 wraps around (two's complement)."""
    return (value - _INT64_MIN) % (1 << 64) + _INT64_MIN
