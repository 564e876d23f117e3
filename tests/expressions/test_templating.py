"""Resource templating (Chainsaw's pkg/mutate and pkg/engine/templating tests)."""

from __future__ import annotations

from typing import Any

import pytest

from chainsaw_py.expressions import Bindings, ExpressionError, merge, template

BINDINGS = Bindings().register("namespace", "chainsaw-abc").register("n", 2).register("values", {"x": "y"})

CASES: list[tuple[str, Any, Any, Any]] = [
    ("scalar literal", 64, 42, 64),
    ("null template", None, 42, None),
    ("string expression", "('abc')", "42", "abc"),
    ("@ is the value at the same path", {"a": "(@)"}, {"a": "(@)"}, {"a": "(@)"}),
    ("current node projection", {"c": "(a+b)"}, {"c": {"a": 12, "b": 24}}, {"c": 36}),
    ("current node projection (array)", {"c": ["(a+b)"]}, {"c": [{"a": 12, "b": 24}]}, {"c": [36]}),
    ("no value at the path", {"c": "(a+b)"}, {"a": 12, "b": 24}, {"c": None}),
    ("escaped binding in a list", {"c": ["($foo)"]}, {}, {"c": ["bar"]}),
    ("map keys are not evaluated", {"($n)": "($n)"}, None, {"($n)": 2}),
    ("bindings", {"metadata": {"namespace": "($namespace)", "name": "cm"}}, None,
     {"metadata": {"namespace": "chainsaw-abc", "name": "cm"}}),
    ("any result type", {"data": "($values)", "count": "($n * `3`)"}, None,
     {"data": {"x": "y"}, "count": 6}),
    ("escaped strings are kept, backslashes included", {"c": ["\\(flop())\\", "\\x\\"]}, {}, {"c": ["\\(flop())\\", "\\x\\"]}),
    ("plain strings untouched", {"a": "plain (not expr)", "b": "(unclosed"}, None,
     {"a": "plain (not expr)", "b": "(unclosed"}),
    ("lists element-wise with @", {"items": ["(to_upper(@))", "(@)", "(@)"]}, {"items": ["a", "b"]},
     {"items": ["A", "b", None]}),
    ("nested @", {"spec": {"replicas": "(@ + `1`)"}}, {"spec": {"replicas": 2}}, {"spec": {"replicas": 3}}),
    ("forced engines", {"jp": "(jp; $n)", "cel": "(cel; bindings.resolve('n') + 1)", "jsonpath": "(jsonpath; $.a)"},
     {"jsonpath": {"a": 7}}, {"jp": 2, "cel": 3, "jsonpath": 7}),
    ("unknown engine leaves the value alone", {"a": "(foo; bar)"}, None, {"a": "(foo; bar)"}),
    ("expression yielding null", {"a": "($nil_value)"}, None, None),
]


@pytest.mark.parametrize(("name", "obj", "value", "expected"), CASES, ids=[c[0] for c in CASES])
def test_template(name: str, obj: Any, value: Any, expected: Any) -> None:
    bindings = BINDINGS.register("nil_value", None).register("foo", "bar")
    if name == "expression yielding null":
        assert template(obj, value, bindings) == {"a": None}
        return
    assert template(obj, value, bindings) == expected


def test_template_of_a_resource_against_itself() -> None:
    resource = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "(join('-', ['cm', $namespace]))"},
                "data": {"self": "(@)", "k": "v"}}
    assert template(resource, resource, BINDINGS) == {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm-chainsaw-abc"},
        "data": {"self": "(@)", "k": "v"}}


def test_template_does_not_mutate_its_input() -> None:
    obj = {"a": {"b": "($n)"}, "l": ["($n)"]}
    template(obj, obj, BINDINGS)
    assert obj == {"a": {"b": "($n)"}, "l": ["($n)"]}


def test_default_compiler() -> None:
    assert template({"a": "(bindings.resolve('n') * 2)"}, None, BINDINGS, compiler="cel") == {"a": 4}
    assert template({"a": "(jp; $n)"}, None, BINDINGS, compiler="cel") == {"a": 2}


ERRORS: list[tuple[Any, Any, str]] = [
    ({"c": ["(a+b)"]}, {"c": "string"}, 'c: Invalid value: "string": expected a slice or array'),
    ({"c": ["(a+b)"]}, {"c": {"a": 1}}, 'c: Invalid value: map[string]interface {}{"a":1}: expected a slice or array'),
    ({"c": ["(flop())"]}, {}, "c[0]: Internal error: unknown function: flop"),
    ({"a": {"b": "($missing)"}}, None, "a.b: Internal error: variable not defined: $missing"),
    ("($missing)", None, "<nil>: Internal error: variable not defined: $missing"),
    ([{"a": "(a.)"}], None, "[0].a: Internal error: SyntaxError: Expected identifier, lbracket, or lbrace"),
]


@pytest.mark.parametrize(("obj", "value", "message"), ERRORS)
def test_template_errors(obj: Any, value: Any, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        template(obj, value, BINDINGS)
    assert str(caught.value) == message


@pytest.mark.parametrize(("base", "patch", "expected"), [
    ({"foo": "bar"}, {"foo": "baz"}, {"foo": "baz"}),
    ({"a": {"b": 1, "c": 2}}, {"a": {"b": 3}}, {"a": {"b": 3, "c": 2}}),
    ({"a": {"b": 1}}, {"a": "x"}, {"a": "x"}),
    ({"a": "x"}, {"a": {"b": 1}}, {"a": {"b": 1}}),
    ({"a": [1, 2]}, {"a": [3]}, {"a": [3]}),
    ({}, {"a": None}, {"a": None}),
])
def test_merge(base: dict[str, Any], patch: dict[str, Any], expected: dict[str, Any]) -> None:
    assert merge(base, patch) == expected
