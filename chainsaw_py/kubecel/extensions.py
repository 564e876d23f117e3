"""Replacements for some of the ``cel`` package's extension functions (``cel.stdlib``), registered after it by
Chainsaw's CEL and the API server's: the package's ``distinct`` and ``sets.*`` compare every element with every
other (``distinct`` of 100,000 elements took hours) and its ``lowerAscii``/``upperAscii``/``strings.quote`` loop
over characters in Python. These give the same results in time linear in their input (sets of hashable keys,
``str.translate``), so that one call cannot outlast a deadline by more than reading its arguments does.

Equality is the package's: Python's, so ``true`` and ``1`` are one element, as there.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

_LOWER = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}
_UPPER = {code: code - 32 for code in range(ord("a"), ord("z") + 1)}
_QUOTED = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\x07": "\\a",
                         "\x08": "\\b", "\x0c": "\\f", "\x0b": "\\v"})


def _key(value: Any) -> Hashable:
    """A hashable key equal for values Python finds equal (lists and maps by content)."""
    if isinstance(value, dict):
        return ("map", frozenset((_key(key), _key(item)) for key, item in value.items()))
    if isinstance(value, (list, tuple)):
        return ("list", tuple(_key(item) for item in value))
    if isinstance(value, Hashable):
        try:
            hash(value)
            return value
        except TypeError:
            pass
    return ("object", id(value))


def distinct(items: list[Any]) -> list[Any]:
    """The elements without repetitions, first occurrences in order."""
    seen: set[Hashable] = set()
    result: list[Any] = []
    for item in items:
        key = _key(item)
        if key not in seen:
            seen.add(key)
            result.append(item)
    return result


def _keys(items: list[Any]) -> set[Hashable]:
    return {_key(item) for item in items}


def sets_contains(container: list[Any], sublist: list[Any]) -> bool:
    return _keys(sublist) <= _keys(container)


def sets_equivalent(first: list[Any], second: list[Any]) -> bool:
    return _keys(first) == _keys(second)


def sets_intersects(first: list[Any], second: list[Any]) -> bool:
    return not _keys(first).isdisjoint(_keys(second))


def lower_ascii(text: str) -> str:
    return text.translate(_LOWER)


def upper_ascii(text: str) -> str:
    return text.translate(_UPPER)


def quote(text: str) -> str:
    return '"' + text.translate(_QUOTED) + '"'


def functions() -> dict[str, Callable[..., Any]]:
    return {"distinct": distinct, "sets.contains": sets_contains, "sets.equivalent": sets_equivalent,
            "sets.intersects": sets_intersects, "lowerAscii": lower_ascii, "upperAscii": upper_ascii,
            "strings.quote": quote}
