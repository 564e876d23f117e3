"""CEL: ``object``, ``bindings.resolve()``, and the libraries Chainsaw's environment enables."""

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

OBJECT: dict[str, Any] = {
    "metadata": {"name": "quick-start", "labels": {"app": "demo"}},
    "spec": {"replicas": 3, "ratio": 0.5, "containers": [{"name": "a", "image": "nginx:1.25"},
                                                         {"name": "b", "image": "busybox"}]},
}
BINDINGS = Bindings().register("a", 1).register("b", 2).register("c", "3").register("nil", None)

CASES: list[tuple[str, Any]] = [
    # corpus (cel, namespace-template-config)
    ('bindings.resolve("c")', "3"),
    ('string(bindings.resolve("a") + bindings.resolve("b"))', "3"),
    ('string("hello")', "hello"),
    ('bindings.resolve("nil") == null', True),
    # object and core CEL
    ("object.metadata.name", "quick-start"),
    ("object.spec.replicas * 2", 6),
    ("object.spec.replicas / 2", 1),
    ("object.spec.ratio * 4.0", 2),
    ("size(object.spec.containers)", 2),
    ("object.spec.containers.map(c, c.name)", ["a", "b"]),
    ("object.spec.containers.filter(c, c.name == 'b')[0].image", "busybox"),
    ("object.spec.containers.exists(c, c.image.startsWith('nginx'))", True),
    ("object.spec.containers.all(c, c.name != '')", True),
    ("has(object.spec.missing)", False),
    ("object.metadata.labels['app']", "demo"),
    ("'app' in object.metadata.labels", True),
    ("{'a': 1}", {"a": 1}),
    ("string(true)", "true"),
    # cross-type numeric comparisons
    ("object.spec.replicas == 3.0", True),
    ("object.spec.ratio < 1", True),
    ("1u == 1", True),
    # ext strings and sets
    ("'a,b,c'.split(',')", ["a", "b", "c"]),
    ("'Hello'.lowerAscii()", "hello"),
    ("'Hello'.upperAscii()", "HELLO"),
    ("'  x '.trim()", "x"),
    ("['a', 'b'].join('-')", "a-b"),
    ("'abc'.substring(1)", "bc"),
    ("'abcabc'.indexOf('c')", 2),
    ("'abcabc'.lastIndexOf('c')", 5),
    ("'abc'.replace('b', 'x')", "axc"),
    ("'abc'.charAt(1)", "b"),
    ("sets.contains([1, 2, 3], [1, 3])", True),
    ("sets.equivalent([1, 2], [2, 1])", True),
    ("sets.intersects([1, 2], [3])", False),
    # optional values
    ("optional.of(1).hasValue()", True),
    ("optional.none().orValue(7)", 7),
    ("optional.of(1)", 1),
    ("optional.none()", None),
    # Kubernetes lists, regex
    ("[3, 1, 2].sum()", 6),
    ("[3, 1, 2].min()", 1),
    ("[1, 2, 3].isSorted()", True),
    ("[3, 1].isSorted()", False),
    ("[1, 2, 3].indexOf(2)", 1),
    ("[1, 2, 1].lastIndexOf(1)", 2),
    ("'nginx:1.25'.find('[0-9.]+')", "1.25"),
    ("'a1b22c333'.findAll('[0-9]+')", ["1", "22", "333"]),
    ("'a1b22c333'.findAll('[0-9]+', 2)", ["1", "22"]),
    ("'abc'.matches('^a')", True),
    # Kubernetes quantity
    ("quantity('1Gi').isGreaterThan(quantity('512Mi'))", True),
    ("quantity('1').isLessThan(quantity('1500m'))", True),
    ("quantity('1Gi').compareTo(quantity('1024Mi'))", 0),
    ("quantity('1Gi').add(quantity('512Mi'))", "1536Mi"),
    ("quantity('1').sub(quantity('500m'))", "500m"),
    ("quantity('1k').add(24)", "1024"),
    ("quantity('2k').asInteger()", 2000),
    ("quantity('1500m').isInteger()", False),
    ("quantity('1500m').asApproximateFloat()", 1.5),
    ("quantity('-1').sign()", -1),
    ("isQuantity('100m')", True),
    ("isQuantity('1.2.3')", False),
    ("string(quantity('1024Mi'))", "1Gi"),
    # Kubernetes URL, IP, CIDR, format
    ("isURL('https://example.com/x')", True),
    ("isURL('not a url')", False),
    ("url('https://user@example.com:8443/p?a=1&a=2').getHost()", "example.com:8443"),
    ("url('https://example.com:8443/p').getHostname()", "example.com"),
    ("url('https://example.com:8443/p').getPort()", "8443"),
    ("url('https://example.com/p').getScheme()", "https"),
    ("url('https://example.com/p/q').getEscapedPath()", "/p/q"),
    ("url('https://example.com/?a=1&a=2').getQuery()", {"a": ["1", "2"]}),
    ("isIP('10.0.0.1')", True),
    ("isIP('10.0.0')", False),
    ("ip('10.0.0.1').family()", 4),
    ("ip('::1').isLoopback()", True),
    ("ip('fe80::1').isLinkLocalUnicast()", True),
    ("ip('8.8.8.8').isGlobalUnicast()", True),
    ("ip.isCanonical('2001:db8::1')", True),
    ("ip.isCanonical('2001:DB8::1')", False),
    ("cidr('10.0.0.0/8').containsIP(ip('10.1.2.3'))", True),
    ("cidr('10.0.0.0/8').containsIP('11.0.0.1')", False),
    ("cidr('10.0.0.0/8').containsCIDR(cidr('10.1.0.0/16'))", True),
    ("cidr('10.1.2.3/8').masked()", "10.0.0.0/8"),
    ("cidr('10.0.0.0/8').prefixLength()", 8),
    ("cidr('10.1.2.3/8').ip()", "10.1.2.3"),
    ("isCIDR('10.0.0.0/33')", False),
    ("format.dns1123Label().validate('ok-name').hasValue()", False),
    ("format.dns1123Label().validate('Not_OK').hasValue()", True),
    ("format.named('dns1123Subdomain').hasValue()", True),
    ("format.named('nope').hasValue()", False),
    # cel-go's optional syntax
    ("object.?spec.?replicas.orValue(1)", 3),
    ("object.?status.?ready.orValue(false)", False),
    ("object.spec.containers[?5].hasValue()", False),
    ("object.spec.containers[?1].?image", "busybox"),
    ("object.metadata.labels[?'app'].optMap(a, a + '-x').value()", "demo-x"),
    ("has(object.?spec.replicas)", True),
    # results as plain data
    ("object.?status", None),
    ("timestamp('2023-01-01T00:00:00Z') + duration('1h')", "2023-01-01T01:00:00Z"),
    ("duration('90m')", "1h30m0s"),
    ("b'ab'", "YWI="),
]


@pytest.mark.parametrize(("expression", "expected"), CASES)
def test_cel(expression: str, expected: Any) -> None:
    result = evaluate(expression, OBJECT, BINDINGS, "cel")
    assert result == expected
    assert type(result) is type(expected)


ERRORS: list[tuple[str, type[Exception], str]] = [
    ("1 +", ExpressionSyntaxError, "ERROR: <input>:1:4: Syntax error: mismatched input '<EOF>' expecting"),
    ("object.?", ExpressionSyntaxError, "ERROR: <input>:1:"),
    ("object.?status.value()", ExpressionError, "Function 'value' error: optional.none() dereference"),
    ('bindings.resolve("missing")', ExpressionError, "variable not defined: $missing"),
    ("object.nope", ExpressionError, "no such key: nope"),
    ("'a' + 1", ExpressionError, "Unsupported operation: string + int."),
    ("1 / 0", ExpressionError, "division by zero in CEL expression"),
    ("quantity('x')", ExpressionError, ("quantities must match the regular expression "
                                       "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")),
    ("ip('10.0.0')", ExpressionError, "IP Address '10.0.0' parse error during conversion from string"),
]


@pytest.mark.parametrize(("expression", "kind", "prefix"), ERRORS)
def test_cel_errors(expression: str, kind: type[Exception], prefix: str) -> None:
    with pytest.raises(kind) as caught:
        evaluate(expression, OBJECT, BINDINGS, "cel")
    assert str(caught.value).startswith(prefix), str(caught.value)
    assert "\n" not in str(caught.value)


def test_cel_inline_and_compiler_forms() -> None:
    bindings = Bindings().register("c", "3")
    assert evaluate_string('(cel; bindings.resolve("c"))', bindings) == "3"
    assert evaluate_string("(cel; object.?a.?b.orValue('.?'))", bindings) == ".?"
    assert evaluate_string('(bindings.resolve("c"))', bindings, compiler="cel") == "3"
    assert template({"data": {"cel": '(cel; bindings.resolve("c"))', "jp": "(jp; $c)",
                              "default": '(bindings.resolve("c"))'}}, None, bindings, "cel") == {
        "data": {"cel": "3", "jp": "3", "default": "3"}}


def test_cel_check_syntax() -> None:
    check_syntax("object.a + 1", "cel")
    with pytest.raises(ExpressionSyntaxError):
        check_syntax("object.a +", "cel")


def test_cel_null_object_and_threads() -> None:
    import concurrent.futures

    assert evaluate("object == null", None, Bindings(), "cel") is True

    def run(index: int) -> Any:
        return evaluate("object.i * 2", {"i": index}, Bindings(), "cel")

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(run, range(50))) == [index * 2 for index in range(50)]
