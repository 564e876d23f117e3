"""The jmespath-community dialect: variables, root, arithmetic, let, literals, go-jmespath semantics."""

from __future__ import annotations

from typing import Any

import pytest

from chainsaw_py.expressions import Bindings, ExpressionError, ExpressionSyntaxError, evaluate

DATA: dict[str, Any] = {
    "metadata": {"name": "quick-start", "labels": {"app": "demo"}},
    "spec": {"replicas": 3, "ratio": 0.5, "containers": [
        {"name": "a", "image": "nginx", "port": 80},
        {"name": "b", "image": "busybox", "port": 8080},
    ]},
    "items": [1, 2, 3, 4],
    "empty": [],
    "text": "héllo",
    "nothing": None,
}
BINDINGS = (Bindings().register("name", "quick-start").register("n", 2).register("obj", {"x": {"y": 5}})
            .register("list", [3, 1, 2]).register("nil", None))

CASES: list[tuple[str, Any]] = [
    # variables and root
    ("$name", "quick-start"),
    ("$obj.x.y", 5),
    ("$list[0]", 3),
    ("$nil", None),
    ("$", DATA),
    ("$.metadata.name", "quick-start"),
    ("spec.containers[?name == $name]", []),
    ("spec.containers[?port > `100`].name", ["b"]),
    ("spec.containers[?starts_with(image, 'n')].name | [0]", "a"),
    # arithmetic in float64, whole results as ints
    ("`1` + `2`", 3),
    ("spec.replicas + `1`", 4),
    ("spec.replicas - `5`", -2),
    ("spec.replicas * $n", 6),
    ("spec.replicas × $n", 6),
    ("spec.replicas / $n", 1.5),
    ("spec.replicas ÷ $n", 1.5),
    ("`7` % `3`", 1),
    ("`-7` % `3`", -1),
    ("`7` // `2`", 3),
    ("`-7` // `2`", -4),
    ("`1` / `0`", float("inf")),
    ("-spec.replicas", -3),
    ("+spec.replicas", 3),
    ("- `2` - `3`", -5),
    ("`1` + `2` * `3`", 7),
    ("(`1` + `2`) * `3`", 9),
    ("spec.ratio * `4`", 2),
    ("`0.1` + `0.2`", 0.30000000000000004),
    ("'a' + `1`", None),
    ("nothing + `1`", None),
    ("-'a'", None),
    ("`true` + `1`", None),
    ("to_string(`1` + `2`)", "3"),
    ("to_string(`1.5` * `2`)", "3"),
    ("to_string(`0.5`)", "0.5"),
    ("to_string(`1e21`)", "1e+21"),
    # let
    ("let $x = `2` in $x * $x", 4),
    ("let $x = spec.replicas, $y = `10` in $x + $y", 13),
    ("let $name = 'inner' in $name", "inner"),
    ("let $x = `1` in let $x = `2` in $x", 2),
    ("let $c = spec.containers in $c[?port > `100`] | length(@)", 1),
    ("spec.containers[*].let $p = port in $p", [80, 8080]),
    # literals
    ("`\"a\"`", "a"),
    ("`{\"a\": [1, null]}`", {"a": [1, None]}),
    ("'it\\'s'", "it's"),
    ("'back\\\\slash'", "back\\slash"),
    ("'keep\\n'", "keep\\n"),
    ('"metadata".name', "quick-start"),
    # comparisons: ordering only between numbers, equality across int/float
    ("spec.replicas == `3.0`", True),
    ("spec.replicas != `3`", False),
    ("spec.replicas > `2`", True),
    ("spec.replicas <= `3`", True),
    ("'a' < 'b'", None),
    ("metadata == `{\"labels\": {\"app\": \"demo\"}, \"name\": \"quick-start\"}`", True),
    ("`1` == `true`", False),
    ("`0` == `false`", False),
    ("!`0`", False),
    ("!empty", True),
    ("!nothing", True),
    ("empty || 'x'", "x"),
    ("spec && 'y'", "y"),
    ("empty && 'y'", []),
    # projections and go-jmespath specifics
    ("items[1:3]", [2, 3]),
    ("items[::-1]", [4, 3, 2, 1]),
    ("items[-1]", 4),
    ("items[-9]", None),
    ("text[1:3]", "él"),
    ("text[::-1]", "olléh"),
    ("metadata.*", ["quick-start", {"app": "demo"}]),
    ("spec.containers[*].name", ["a", "b"]),
    ("spec.containers[].port", [80, 8080]),
    ("nothing.foo", None),
    ("nothing.{a: 'x'}", None),
    ("{a: $n, b: nothing}", {"a": 2, "b": None}),
    ("[$n, nothing]", [2, None]),
    ("`null` | {a: `1`}", {"a": 1}),
    ("`null` | [`1`]", [1]),
    ("@", DATA),
    ("metadata.labels.app", "demo"),
    ("spec.containers[0].image", "nginx"),
    ("spec.missing[0]", None),
]


@pytest.mark.parametrize(("expression", "expected"), CASES)
def test_dialect(expression: str, expected: Any) -> None:
    result = evaluate(expression, DATA, BINDINGS)
    assert result == expected
    assert type(result) is type(expected)


ERRORS: list[tuple[str, type[Exception], str]] = [
    ("$missing", ExpressionError, "variable not defined: $missing"),
    ("let $x = `1` in $y", ExpressionError, "variable not defined: $y"),
    ("let $x = `1`, $y = $x in $y", ExpressionError, "variable not defined: $x"),
    ("$x = `1`", ExpressionError, "Unknown AST node: ASTBinding"),
    ("items[::0]", ExpressionError, "invalid slice, step cannot be 0"),
    ("nope(@)", ExpressionError, "unknown function: nope"),
    ("let $x in $x", ExpressionSyntaxError,
     "SyntaxError: Expected a variable binding such as $name = expression in let"),
    ("let $x = `1`", ExpressionSyntaxError, "SyntaxError: Expected keyword in, received: TOKEOF"),
    ("foo(", ExpressionSyntaxError, "SyntaxError: Incomplete expression"),
    ("a.[", ExpressionSyntaxError, "SyntaxError: Incomplete expression"),
    ("{a}", ExpressionSyntaxError, "SyntaxError: Expected TOKColon, received: TOKRbrace"),
    ("{1: a}", ExpressionSyntaxError, "SyntaxError: Expected tQuotedIdentifier or tUnquotedIdentifier"),
    ("a[x]", ExpressionSyntaxError, "SyntaxError: Expected TOKStar, received: TOKUnquotedIdentifier"),
    ("a[1:x]", ExpressionSyntaxError, "SyntaxError: Expected tColon or tNumber, received: TOKUnquotedIdentifier"),
    ("[*] *", ExpressionSyntaxError, "SyntaxError: Error"),
    ("a.b(1)", ExpressionSyntaxError, "SyntaxError: Invalid token: TOKNumber"),
    ("@(1)", ExpressionSyntaxError, "SyntaxError: Invalid node as function name."),
    ("a ! b", ExpressionSyntaxError, "SyntaxError: Unexpected token: TOKNot"),
    ("a b", ExpressionSyntaxError, "SyntaxError: Unexpected token at the end of the expression: TOKUnquotedIdentifier"),
    ("a # b", ExpressionSyntaxError, "SyntaxError: Unknown char: '#'"),
    ("a ; b", ExpressionSyntaxError, "SyntaxError: Unknown char: ';'"),
    ("\"a", ExpressionSyntaxError, "SyntaxError: Unclosed delimiter: \""),
    ("`1", ExpressionSyntaxError, "SyntaxError: Unclosed delimiter: `"),
    ("`[1,]`", ExpressionSyntaxError, "invalid character ']' looking for beginning of value"),
    ("`1 2`", ExpressionSyntaxError, "invalid character '2' after top-level value"),
    ("", ExpressionSyntaxError, "SyntaxError: Incomplete expression"),
]


@pytest.mark.parametrize(("expression", "kind", "message"), ERRORS)
def test_dialect_errors(expression: str, kind: type[Exception], message: str) -> None:
    with pytest.raises(kind) as caught:
        evaluate(expression, DATA, BINDINGS)
    assert str(caught.value) == message


MIXED: dict[str, Any] = {"a": [{"t": "x", "n": 1, "b": True}, {"t": "y", "n": 2.0, "b": False},
                              {"t": 1, "n": "1", "b": None}, 5, None, "x", [1], {"t": ["x"]}]}

# Filters over elements of every type: the compiled shapes of ``==``/``!=`` against a literal (either side,
# a field or another node on the other side) and of boolean conditions must give go_equal's results.
FILTERS: list[tuple[str, Any]] = [
    ("a[?t == 'x'].n", [1]),
    ("a[?'x' == t].n", [1]),
    ("a[?t != 'x'] | length(@)", 6),
    ("a[?'x' != t] | length(@)", 6),
    ("a[?t.u == 'x']", []),
    ("a[?@ == 'x']", ['x']),
    ('a[?@ != `null`] | length(@)', 7),
    ('a[?n == `1`].t', ['x']),
    ('a[?`1` == n].t', ['x']),
    ('a[?n == `2`].t', ['y']),
    ('a[?n != `1`] | length(@)', 6),
    ('a[?b == `true`].t', ['x']),
    ('a[?b != `true`] | length(@)', 6),
    ('a[?t == `["x"]`]', [{'t': ['x']}]),
    ('a[?t == $s].n', [1]),
    ('a[?$s == t].n', [1]),
    ("a[?t == 'x' || n == `2`].t", ['x', 'y']),
    ("a[?t == 'x' && b].n", [1]),
    ("a[?b && t == 'x'].n", [1]),
    ("a[?!(t == 'x')] | length(@)", 6),
    ('a[?t]', [{'t': 'x', 'n': 1, 'b': True}, {'t': 'y', 'n': 2.0, 'b': False}, {'t': 1, 'n': '1', 'b': None}, {'t': ['x']}]),
    ('a[?b].t', ['x']),
    ('a[?n > `1`].t', ['y']),
    ('a[0:2].t', ['x', 'y']),
    ('a[*].t', ['x', 'y', 1, ['x']]),
]


@pytest.mark.parametrize(("expression", "expected"), FILTERS)
def test_filters_over_mixed_elements(expression: str, expected: Any) -> None:
    assert evaluate(expression, MIXED, Bindings().register("s", "x")) == expected


@pytest.mark.parametrize(("expression", "message"), [
    ("a[?length(@) > `0`]", 'invalid type for: 5, expected: []functions.JpType{"string", "array", "object"}'),
    ("length(a, a)", "invalid arity, the function 'length' expects at most 1 arguments but 2 were supplied"),
    ("abs(a[5])", 'invalid type for: x, expected: []functions.JpType{"number"}'),
    ("join(',', ['a', `1`])", 'invalid type for: [a 1], expected: []functions.JpType{"array[string]"}'),
    ("not_null()", "invalid arity, the function 'not_null' expects 1 argument or more but none were supplied"),
    ("not_null(`null`, `1`, a[0])", None),
    ("`false` && not_null()", None),
    ("`false` && nope()", None),
])
def test_function_checks_run_when_the_call_is_evaluated(expression: str, message: str | None) -> None:
    if message is None:
        evaluate(expression, MIXED, Bindings())
        return
    with pytest.raises(ExpressionError) as caught:
        evaluate(expression, MIXED, Bindings())
    assert str(caught.value) == message


def test_parse_cache_is_separate_from_the_jmespath_package() -> None:
    import jmespath

    evaluate("a - b", {"a": 3, "b": 1}, Bindings())
    # the plain package still parses (and rejects) its own dialect independently
    assert jmespath.search("a", {"a": 1}) == 1
    with pytest.raises(jmespath.exceptions.LexerError):
        jmespath.compile("$x")


def test_bindings_are_not_mutated_by_let() -> None:
    bindings = Bindings().register("x", 1)
    assert evaluate("let $x = `2` in $x", None, bindings) == 2
    assert bindings.resolve("x") == 1
    assert evaluate("[let $x = `2` in $x, $x]", None, bindings) == [2, 1]


def test_opaque_values_pass_through() -> None:
    marker = object()
    assert evaluate("$client", None, Bindings().register("client", marker)) is marker
