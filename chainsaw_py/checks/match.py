"""Comparing an expected value with an actual one: kyverno-json's ``pkg/core/matching``.

* an expected list needs an actual list of the same length, compared element by element;
* an expected map needs an actual map holding every expected key, compared recursively (a subset match);
* ``None`` equals only ``None``; values of the same type are compared with ``==``;
* numbers compare across int and float (as float64, like Go's ``reflect.Value.Float``);
* anything else (a string against a number, a bool against a number, a scalar against a map...) cannot be
  compared: :class:`IncomparableError` (``types are not comparable, string - int64``), a hard error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chainsaw_py.golang.fmt import go_kind

__all__ = ["IncomparableError", "equal", "match"]


class IncomparableError(Exception):
    """The two values cannot be compared; the message is kyverno-json's."""


def _is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple))


_SCALARS = frozenset((str, int, float, bool))


def match(expected: Any, actual: Any) -> bool:
    """kyverno-json's ``matching.Match``; raises :class:`IncomparableError`."""
    if type(expected) in _SCALARS:  # the common case, without the abstract-class checks below
        return equal(expected, actual)
    if expected is not None:
        if _is_list(expected):
            if not _is_list(actual):
                raise IncomparableError(f"invalid actual value, must be a slice, found {go_kind(actual)}")
            if len(expected) != len(actual):
                return False
            return all(match(item, other) for item, other in zip(expected, actual))
        if isinstance(expected, Mapping):
            if not isinstance(actual, Mapping):
                raise IncomparableError(f"invalid actual value, must be a map, found {go_kind(actual)}")
            for key, item in expected.items():
                if key not in actual:
                    return False
                if not match(item, actual[key]):
                    return False
            return True
    return equal(expected, actual)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def equal(expected: Any, actual: Any) -> bool:
    """kyverno-json's ``matching.Equal`` for scalars (and ``==`` for two values of the same type)."""
    if expected is None or actual is None:
        return expected is None and actual is None
    if type(expected) is type(actual):
        return bool(expected == actual)
    if _is_number(expected) and _is_number(actual):
        return float(expected) == float(actual)
    raise IncomparableError(f"types are not comparable, {go_kind(expected)} - {go_kind(actual)}")
