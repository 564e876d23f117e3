"""Parsing assertion-tree keys: the table of kyverno-json's expression_test.go, plus RE2 details."""

from __future__ import annotations

import pytest

from chainsaw_py.checks.keys import DEFAULT_ENGINE, KeyExpression, parse_key

D = DEFAULT_ENGINE

CASES: list[tuple[str, KeyExpression]] = [
    # kyverno-json pkg/core/expression/expression_test.go
    ("", KeyExpression("")),
    ("test", KeyExpression("test")),
    ("(test)", KeyExpression("test", engine=D)),
    ("test.test", KeyExpression("test.test")),
    ("(test.test)", KeyExpression("test.test", engine=D)),
    ("~.test", KeyExpression("test", foreach=True)),
    ("~.(test)", KeyExpression("test", engine=D, foreach=True)),
    ("~.(test.test)", KeyExpression("test.test", engine=D, foreach=True)),
    ("test->foo", KeyExpression("test", binding="foo")),
    ("(test)->foo", KeyExpression("test", engine=D, binding="foo")),
    ("~.test->foo", KeyExpression("test", foreach=True, binding="foo")),
    ("~.(test)->foo", KeyExpression("test", engine=D, foreach=True, binding="foo")),
    ("\\~(test)->foo\\", KeyExpression("~(test)->foo")),
    ("\\test\\", KeyExpression("test")),
    ("\\(test)\\", KeyExpression("(test)")),
    ("\\/test/\\", KeyExpression("/test/")),
    ("~index.\\(test)\\", KeyExpression("(test)", foreach=True, foreach_name="index")),
    ("~index.\\(test)\\->name", KeyExpression("(test)", foreach=True, foreach_name="index", binding="name")),
    # engines: the statement keeps what follows the semicolon, space included
    ("(jp; a.b)", KeyExpression(" a.b", engine="jp")),
    ("(cel; object.x)", KeyExpression(" object.x", engine="cel")),
    ("(jsonpath; $.spec)", KeyExpression(" $.spec", engine="jsonpath")),
    ("(unknown; x)", KeyExpression(" x", engine="unknown")),
    ("(a;b;c)", KeyExpression("b;c", engine="a")),
    # the greedy binding regex keeps the space before the arrow, so this is no longer an expression
    ("(foo) -> bar", KeyExpression("(foo) ", binding="bar")),
    ("foo -> bar", KeyExpression("foo ", binding="bar")),
    ("a->b->c", KeyExpression("a->b", binding="c")),
    ("a->b c", KeyExpression("a->b c")),
    # greedy statement: the outer parentheses are the delimiters
    ("(x) == (y)", KeyExpression("x) == (y", engine=D)),
    # RE2's $ is the end of the text and . never matches a newline
    ("(a)\n", KeyExpression("(a)\n")),
    ("~.(a)\nrest", KeyExpression("a", engine=D, foreach=True)),
    ("~é.x", KeyExpression("~é.x")),
    ("()", KeyExpression("()")),
    ("~.", KeyExpression("", foreach=True)),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_parse_key(text: str, expected: KeyExpression) -> None:
    assert parse_key(text) == expected


def test_parse_key_of_a_long_text() -> None:
    """The binding search runs in linear time: a backtracking search of it was quadratic (minutes here)."""
    long = "x" * 1_000_000
    assert parse_key(long) == KeyExpression(long)
    assert parse_key(f"({long})->y") == KeyExpression(long, engine=D, binding="y")
