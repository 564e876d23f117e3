"""kyverno-json's matching rules (pkg/core/matching) for expected vs actual values."""

from __future__ import annotations

from typing import Any

import pytest

from chainsaw_py.checks.match import IncomparableError, match

MATCHES: list[tuple[str, Any, Any, bool]] = [
    ("nil vs nil", None, None, True),
    ("nil vs value", None, 1, False),
    ("value vs nil", 1, None, False),
    ("string vs nil", "a", None, False),
    ("same strings", "a", "a", True),
    ("different strings", "a", "b", False),
    ("same ints", 3, 3, True),
    ("different ints", 3, 2, False),
    ("int vs float, equal", 3, 3.0, True),
    ("float vs int, equal", 2.0, 2, True),
    ("int vs float, different", 3, 3.5, False),
    ("ints compared as float64", 2 ** 53 + 1, float(2 ** 53), True),
    ("bools", True, True, True),
    ("different bools", True, False, False),
    ("list: same", [1, "a"], [1, "a"], True),
    ("list: element differs", [1, "a"], [1, "b"], False),
    ("list: shorter", [1], [1, 2], False),
    ("list: longer", [1, 2], [1], False),
    ("list: nested numbers across types", [[1]], [[1.0]], True),
    ("map: subset", {"a": 1}, {"a": 1, "b": 2}, True),
    ("map: missing key", {"c": 1}, {"a": 1}, False),
    ("map: different value", {"a": 1}, {"a": 2}, False),
    ("map: nested subset", {"a": {"b": [1]}}, {"a": {"b": [1], "c": 0}}, True),
    ("map: null expected value vs present null", {"a": None}, {"a": None}, True),
    ("empty map vs anything map", {}, {"x": 1}, True),
    ("empty list vs empty list", [], [], True),
]


@pytest.mark.parametrize(("name", "expected", "actual", "result"), MATCHES, ids=[m[0] for m in MATCHES])
def test_match(name: str, expected: Any, actual: Any, result: bool) -> None:
    assert match(expected, actual) is result


INCOMPARABLE: list[tuple[Any, Any, str]] = [
    ("2", 2, "types are not comparable, string - int64"),
    (2, "2", "types are not comparable, int64 - string"),
    (1.5, "x", "types are not comparable, float64 - string"),
    (True, 1, "types are not comparable, bool - int64"),
    (1, True, "types are not comparable, int64 - bool"),
    ("a", {"a": 1}, "types are not comparable, string - map"),
    ("a", ["a"], "types are not comparable, string - slice"),
    ([1], "1", "invalid actual value, must be a slice, found string"),
    ([1], None, "invalid actual value, must be a slice, found invalid"),
    ({"a": 1}, [1], "invalid actual value, must be a map, found slice"),
    ({"a": 1}, None, "invalid actual value, must be a map, found invalid"),
    ({"a": "1"}, {"a": 1}, "types are not comparable, string - int64"),
    (["1"], [1], "types are not comparable, string - int64"),
]


@pytest.mark.parametrize(("expected", "actual", "message"), INCOMPARABLE)
def test_incomparable(expected: Any, actual: Any, message: str) -> None:
    with pytest.raises(IncomparableError) as raised:
        match(expected, actual)
    assert str(raised.value) == message
