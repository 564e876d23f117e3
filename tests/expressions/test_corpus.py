"""Every expression in Chainsaw's example suite parses; the ones that need no cluster evaluate."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from chainsaw_py.expressions import Bindings, check_field_syntax, evaluate, evaluate_string, template
from tests.shared import CORPUS, requires_shared

pytestmark = requires_shared("corpus", "chainsaw-examples")

_FOREACH = re.compile(r"^~(\w+)?\.(.*)")
_BINDING = re.compile(r"(.*)\s*->\s*(\w+)$")


def _strings(node: Any, compiler: str) -> list[tuple[str, str]]:
    """Every string (keys with their assertion-tree decorations removed, and values) with its compiler."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        compiler = node.get("compiler", compiler) if isinstance(node.get("compiler"), str) else compiler
        for key, value in node.items():
            text = str(key)
            if match := _FOREACH.match(text):
                text = match.group(2)
            if match := _BINDING.match(text):
                text = match.group(1).strip()
            found.append((text, compiler))
            found.extend(_strings(value, compiler))
    elif isinstance(node, list):
        for item in node:
            found.extend(_strings(item, compiler))
    elif isinstance(node, str):
        found.append((node, compiler))
    return found


def _documents() -> list[tuple[Path, Any]]:
    from chainsaw_py.yamldocs import read_documents

    return [(path, document.data) for path in sorted(CORPUS.rglob("*.yaml"))
            for document in read_documents(path)]


def test_every_corpus_expression_parses() -> None:
    checked = 0
    for _path, data in _documents():
        for text, compiler in _strings(data, "jp"):
            check_field_syntax(text, compiler)
            checked += 1
    assert checked > 500


def test_cel_example() -> None:
    bindings = Bindings().register("a", 1).register("b", 2)
    value = evaluate('string(bindings.resolve("a") + bindings.resolve("b"))', None, bindings, "cel")
    bindings = bindings.register("c", value)
    resource = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "quick-start"},
                "data": {"cel": '(cel; bindings.resolve("c"))', "jp": "(jp; $c)",
                         "default": '(bindings.resolve("c"))'}}
    assert template(resource, resource, bindings, compiler="cel")["data"] == {"cel": "3", "jp": "3", "default": "3"}


def test_metrics_decode_example() -> None:
    from chainsaw_py.yamldocs import read_documents

    test = read_documents(CORPUS / "metrics-decode" / "chainsaw-test.yaml")[0].data
    metrics = test["spec"]["bindings"][0]["value"]
    bindings = Bindings().register("metrics", metrics)
    assert evaluate("length(x_metrics_decode($metrics))", None, bindings) == 4
    decoded = evaluate("x_metrics_decode($metrics)", None, bindings)
    assert [sample["metric"]["__name__"] for sample in decoded] == ["mf2", "mf2", "mf1", "mf1"]
    assert decoded[2] == {"metric": {"__name__": "mf1", "label": "value1"}, "value": -3.14, "timestamp": 123456}
    text = evaluate("to_string(x_metrics_decode($metrics))", None, bindings)
    assert '{"metric":{"__name__":"mf1","label":"value1"},"value":[123.456,"-3.14"]}' in text


def test_metrics_filter_from_the_corpus() -> None:
    exposition = '# TYPE promhttp_metric_handler_requests_total counter\npromhttp_metric_handler_requests_total{code="200"} 7\npromhttp_metric_handler_requests_total{code="500"} 0\npromhttp_metric_handler_requests_total{code="503"} 0'
    bindings = Bindings().register("metrics", evaluate("x_metrics_decode($m)", None,
                                                       Bindings().register("m", exposition)))
    expression = ("$metrics[?as_string(metric.code) == '500' && as_string(metric.__name__) == "
                  "'promhttp_metric_handler_requests_total'].value")
    assert evaluate(expression, None, bindings) == [0]


def test_string_building_from_the_corpus() -> None:
    bindings = (Bindings().register("namespace", "chainsaw-x").register("index", 0).register("prefix", "p")
                .register("operation", {"id": 1, "resourceId": 2})
                .register("test", {"id": 1, "scenarioId": 1, "metadata": {"name": "t"}}))
    assert evaluate_string("(join('-', [$namespace, 'foo']))", bindings) == "chainsaw-x-foo"
    assert evaluate_string("(join('-', ['nginx', to_string($index + `1`)]))", bindings) == "nginx-1"
    assert evaluate_string("(join('', [$prefix, to_string($operation.resourceId)]))", bindings) == "p2"
    assert evaluate_string("(to_upper($prefix))", bindings) == "P"
    assert evaluate_string("(join('-', [$test.metadata.name, 'foo']))", bindings) == "t-foo"
    assert evaluate("to_number($test.scenarioId) == `1` && 'hello'", None, bindings) == "hello"
