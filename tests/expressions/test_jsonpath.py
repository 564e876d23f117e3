"""JSONPath as an expression language (chainsaw_py extension) and kubectl-style templates."""

from __future__ import annotations

from typing import Any

import pytest

from chainsaw_py.expressions import (
    Bindings,
    ExpressionError,
    ExpressionSyntaxError,
    check_syntax,
    evaluate,
    evaluate_string,
    template,
)
from chainsaw_py.golang.jsonpath import (
    JsonPathError,
    JsonPathSyntaxError,
    find_results,
    find_values,
    format_value,
    render,
)

POD: dict[str, Any] = {
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web", "labels": {"app.kubernetes.io/name": "web", "tier": "front"}},
    "spec": {"containers": [{"name": "a", "image": "nginx", "ports": [{"containerPort": 80}]},
                            {"name": "b", "image": "busybox", "ports": [{"containerPort": 8080}]}],
             "replicas": 2, "ratio": 1e6, "enabled": True},
    "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"},
                                                  {"type": "Initialized", "status": "False"}]},
}
POD_LIST = {"kind": "List", "items": [POD, {"metadata": {"name": "db"}, "status": {"phase": "Pending"}}]}

JSONPATH_CASES: list[tuple[str, Any]] = [
    ("$.metadata.name", "web"),
    ("metadata.name", "web"),
    ("$.spec.containers[0].image", "nginx"),
    ("$.spec.containers[-1].name", "b"),
    ("$.spec.containers[*].image", ["nginx", "busybox"]),
    ("$.spec.containers[0:1].name", ["a"]),
    ("$..containerPort", [80, 8080]),
    ("$.status.conditions[?(@.type == 'Ready')].status", ["True"]),
    ("$.status.conditions[?status = 'False'].type", ["Initialized"]),
    ("$.spec.containers[?(@.ports[0].containerPort > 100)].name", ["b"]),
    ("$.metadata.missing", None),
    ("$.spec.containers[*].missing", []),
    ("$.metadata.labels['tier','app.kubernetes.io/name']", ["front", "web"]),
    ("$.spec.replicas", 2),
    ("$", POD),
    ("@.kind", "Pod"),
]


@pytest.mark.parametrize(("query", "expected"), JSONPATH_CASES)
def test_jsonpath(query: str, expected: Any) -> None:
    assert evaluate(query, POD, Bindings(), "jsonpath") == expected


def test_jsonpath_in_strings_and_templates() -> None:
    resource = {"metadata": {"name": "(jsonpath; $.metadata.labels.tier)"}, "images": "(jsonpath; $..image)"}
    assert template(resource, POD, Bindings()) == {"metadata": {"name": None}, "images": []}
    assert template({"images": "(jsonpath; $.spec.containers[*].image)"}, {"images": POD}, Bindings()) == {
        "images": ["nginx", "busybox"]}
    assert template({"x": "(@)"}, {"x": 1}, Bindings(), compiler="jsonpath") == {"x": 1}
    with pytest.raises(ExpressionError, match="expression didn't evaluate to a string"):
        evaluate_string("(jsonpath; $.a)", Bindings())


@pytest.mark.parametrize("query", ["$.[", "$.a[?(@.x ==]", "", "   "])
def test_jsonpath_syntax_errors(query: str) -> None:
    with pytest.raises(ExpressionSyntaxError, match="invalid JSONPath expression"):
        check_syntax(query, "jsonpath")


def test_jsonpath_is_lenient_with_odd_data() -> None:
    assert evaluate("$.items[?(@.a > 1)]", {"items": [{"a": "x"}]}, Bindings(), "jsonpath") == []
    assert evaluate("$.a.b", {"a": "text"}, Bindings(), "jsonpath") is None
    assert evaluate("$.a[*]", None, Bindings(), "jsonpath") == []


RENDER_CASES: list[tuple[str, Any, str]] = [
    ("{.status.phase}", POD, "Running"),
    ("{.metadata.name}", POD, "web"),
    ("{$.metadata.name}", POD, "web"),
    ("{.items[*].metadata.name}", POD_LIST, "web db"),
    ("{.items[0].metadata.name}", POD_LIST, "web"),
    ("{.items[-1].metadata.name}", POD_LIST, "db"),
    ("{.items[0:1].metadata.name}", POD_LIST, "web"),
    ("{range .items[*]}{.metadata.name}{\"\\t\"}{.status.phase}{\"\\n\"}{end}", POD_LIST,
     "web\tRunning\ndb\tPending\n"),
    ("{range .items[*]}[{.metadata.name}]{end}", POD_LIST, "[web][db]"),
    ("{.status.conditions[?(@.type==\"Ready\")].status}", POD, "True"),
    ("{.status.conditions[?(@.type=='Ready')].status}", POD, "True"),
    ("{.status.conditions[?(@.status!=\"True\")].type}", POD, "Initialized"),
    ("{.spec.containers[?(@.ports[0].containerPort>=8080)].name}", POD, "b"),
    ("{.metadata.labels.app\\.kubernetes\\.io/name}", POD, "web"),
    ("{.metadata.labels['app.kubernetes.io/name']}", POD, "web"),
    ("{.metadata.labels}", POD, '{"app.kubernetes.io/name":"web","tier":"front"}'),
    ("{.spec.containers[*].ports}", POD, '[{"containerPort":80}] [{"containerPort":8080}]'),
    ("{.spec.replicas} {.spec.ratio} {.spec.enabled}", POD, "2 1e+06 true"),
    ("{.metadata.labels.*}", POD, "web front"),
    ("{..name}", POD_LIST, "web a b db"),
    ("{.spec.containers[0,1].name}", POD, "a b"),
    ("{.missing}", POD, ""),
    ("name={.metadata.name} phase={.status.phase}", POD, "name=web phase=Running"),
    ("plain text", POD, "plain text"),
    ("{'single'}{\"double\"}", POD, "singledouble"),
]


@pytest.mark.parametrize(("template_text", "data", "expected"), RENDER_CASES)
def test_kubectl_render(template_text: str, data: Any, expected: str) -> None:
    assert render(template_text, data) == expected


def test_kubectl_find_values() -> None:
    assert find_values("{.status.conditions[?(@.type=='Ready')].status}", POD) == ["True"]
    assert find_values("{.status.phase}", POD) == ["Running"]
    assert find_values("{.nope}", POD) == []
    assert find_results("{.items[*].metadata.name}", POD_LIST) == [["web", "db"]]


@pytest.mark.parametrize(("template_text", "message"), [
    ("{.missing}", "missing is not found"),
    ("{.items[5].metadata.name}", "array index out of bounds: index 5, length 2"),
])
def test_kubectl_missing_keys_when_not_allowed(template_text: str, message: str) -> None:
    with pytest.raises(JsonPathError, match=message):
        render(template_text, POD_LIST, allow_missing_keys=False)


@pytest.mark.parametrize(("template_text", "message"), [
    ("{.a", "unclosed action"),
    ("{range .items[*]}{.x}", "range without end"),
    ("{end}", "not in range, nothing to end"),
    ("{.items[x]}", "invalid array index x"),
    ("{.items[?@.a]}", "unclosed filter"),
])
def test_kubectl_syntax_errors(template_text: str, message: str) -> None:
    with pytest.raises(JsonPathSyntaxError, match=message):
        render(template_text, POD)


@pytest.mark.parametrize(("value", "text"), [
    ("s", "s"), (1, "1"), (1.5, "1.5"), (1e21, "1e+21"), (True, "true"), (None, "<nil>"),
    ({"b": 1, "a": "<"}, '{"a":"\\u003c","b":1}'), ([1, "x"], '[1,"x"]'),
])
def test_kubectl_value_formatting(value: Any, text: str) -> None:
    assert format_value(value) == text


@pytest.mark.parametrize(("path", "relaxed"), [
    ("status.phase", "{.status.phase}"), (".status.phase", "{.status.phase}"),
    ("{status.phase}", "{.status.phase}"), ("{.status.phase}", "{.status.phase}"), ("", ""),
])
def test_relaxed_expression(path: str, relaxed: str) -> None:
    from chainsaw_py.golang.jsonpath import relaxed_expression

    assert relaxed_expression(path) == relaxed


def test_relaxed_expression_rejects_templates() -> None:
    from chainsaw_py.golang.jsonpath import relaxed_expression

    with pytest.raises(JsonPathSyntaxError, match="unexpected path string"):
        relaxed_expression("{.a}{.b}")
