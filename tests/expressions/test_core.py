"""The core contract: Bindings, parse/escapes, evaluate_string, check_syntax."""

from __future__ import annotations

from typing import Any

import pytest

from chainsaw_py.errors import ChainsawError
from chainsaw_py.expressions import (
    Bindings,
    Expression,
    ExpressionError,
    ExpressionSyntaxError,
    check_field_syntax,
    check_syntax,
    evaluate,
    evaluate_string,
    is_escaped,
    parse,
    unescape,
)


def test_bindings_are_immutable_and_shadow() -> None:
    root = Bindings()
    first = root.register("a", 1)
    second = first.register("$a", 2).register("b", None)
    assert root.names() == []
    assert first.resolve("a") == 1
    assert second.resolve("a") == 2
    assert second.resolve("$b") is None
    assert second.names() == ["a", "b"]
    assert "b" in second and "b" not in first


def test_unknown_binding() -> None:
    with pytest.raises(ExpressionError, match=r"^variable not defined: \$missing$"):
        Bindings().resolve("missing")
    assert issubclass(ExpressionError, ChainsawError)
    assert issubclass(ExpressionSyntaxError, ExpressionError)


PARSE_CASES: list[tuple[str, Expression | None]] = [
    ("(foo)", Expression("foo", None)),
    ("(jp; foo.bar)", Expression(" foo.bar", "jp")),
    ("(cel;object.x)", Expression("object.x", "cel")),
    ("(jsonpath; $.a[*])", Expression(" $.a[*]", "jsonpath")),
    ("(foo; bar)", Expression(" bar", "foo")),
    ("((a))", Expression("(a)", None)),
    ("\\(foo)\\", None),
    ("foo", None),
    ("()", None),
    ("(a)\n", None),
    ("(a\nb)", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_CASES)
def test_parse(text: str, expected: Expression | None) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(("text", "escaped", "literal"), [
    ("\\(foo)\\", True, "(foo)"),
    ("\\x\\", True, "x"),
    ("\\\\", False, "\\\\"),
    ("foo", False, "foo"),
])
def test_escapes(text: str, escaped: bool, literal: str) -> None:
    assert is_escaped(text) is escaped
    assert unescape(text) == literal


STRING_CASES: list[tuple[str, str]] = [
    ("", ""),
    ("plain", "plain"),
    ("\\(x)\\", "(x)"),
    ("('abc')", "abc"),
    ("($name)", "quick-start"),
    ("(join('-', [$name, 'x']))", "quick-start-x"),
    ("(foo; bar)", " bar"),
    ("(jp; $name)", "quick-start"),
]


@pytest.mark.parametrize(("field", "expected"), STRING_CASES)
def test_evaluate_string(field: str, expected: str) -> None:
    bindings = Bindings().register("name", "quick-start")
    assert evaluate_string(field, bindings) == expected


@pytest.mark.parametrize(("field", "message"), [
    ("(`42`)", "expression didn't evaluate to a string ((`42`))"),
    ("($nope)", "variable not defined: $nope"),
    ("(a;)", "SyntaxError: Unknown char: ';'"),
])
def test_evaluate_string_errors(field: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate_string(field, Bindings())
    assert str(caught.value) == message


@pytest.mark.parametrize(("source", "compiler", "message"), [
    ("a;", "jp", "SyntaxError: Unknown char: ';'"),
    ("a.", "jp", "SyntaxError: Expected identifier, lbracket, or lbrace"),
    ("foo(", "jp", "SyntaxError: Incomplete expression"),
    ("a b", "jp", "SyntaxError: Unexpected token at the end of the expression: TOKUnquotedIdentifier"),
    ("'abc", "jp", "SyntaxError: Unclosed delimiter: '"),
    ("`{`", "jp", "unexpected end of JSON input"),
    ("`foo`", "jp", "invalid character 'o' in literal false (expecting 'a')"),
    ("`bar`", "jp", "invalid character 'b' looking for beginning of value"),
    ("a[1:2:3:4]", "jp", "SyntaxError: Too many colons in slice expression"),
    ('"f"(1)', "jp", "SyntaxError: Can't have quoted identifier as function name."),
    ("a // 2", "jp", "SyntaxError: Invalid token: TOKNumber"),
    ("x", "lisp", "unknown compiler 'lisp' (expected one of: jp, cel, jsonpath)"),
])
def test_check_syntax_errors(source: str, compiler: str, message: str) -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        check_syntax(source, compiler)
    assert str(caught.value) == message


@pytest.mark.parametrize("field", ["plain text; with semicolons", "\\(a;)\\", "(foo; a;b)", 42, None])
def test_check_field_syntax_ignores_non_expressions(field: Any) -> None:
    check_field_syntax(field)


def test_check_field_syntax_checks_expressions() -> None:
    with pytest.raises(ExpressionSyntaxError):
        check_field_syntax("(a.)")


def test_evaluate_unknown_compiler() -> None:
    with pytest.raises(ExpressionError, match="unknown compiler 'xx'"):
        evaluate("a", {}, Bindings(), "xx")
