"""Go-style value formatting (chainsaw_py.golang.fmt).

The expected strings were produced by Go itself (fmt, strconv, encoding/json of Go 1.19 on values decoded
from JSON the way Kubernetes decodes them: integers as int64), so these tables pin real Go output.
"""

from __future__ import annotations

from typing import Any

import pytest

from chainsaw_py.golang.fmt import (
    GoFormatError,
    format_float,
    format_sharp_v,
    format_v,
    go_kind,
    json_marshal,
    quote,
)

# (value, %v, %#v, json.Marshal)
CASES: list[tuple[Any, str, str, str]] = [
    (None, '<nil>', '<nil>', 'null'),
    (True, 'true', 'true', 'true'),
    (False, 'false', 'false', 'false'),
    (0, '0', '0', '0'),
    (3, '3', '3', '3'),
    (-42, '-42', '-42', '-42'),
    (9223372036854775807, '9223372036854775807', '9223372036854775807', '9223372036854775807'),
    (1.5, '1.5', '1.5', '1.5'),
    (3.0, '3', '3', '3'),
    (0.1, '0.1', '0.1', '0.1'),
    (1000000.0, '1e+06', '1e+06', '1000000'),
    (123456.0, '123456', '123456', '123456'),
    (1234567.0, '1.234567e+06', '1.234567e+06', '1234567'),
    (1e+21, '1e+21', '1e+21', '1e+21'),
    (1e-07, '1e-07', '1e-07', '1e-7'),
    (0.0001, '0.0001', '0.0001', '0.0001'),
    (1e-05, '1e-05', '1e-05', '0.00001'),
    (-2.5, '-2.5', '-2.5', '-2.5'),
    ('', '', '""', '""'),
    ('text', 'text', '"text"', '"text"'),
    ('with "quotes" and \\', 'with "quotes" and \\', '"with \\"quotes\\" and \\\\"', '"with \\"quotes\\" and \\\\"'),
    ('tab\tnew\nline', 'tab\tnew\nline', '"tab\\tnew\\nline"', '"tab\\tnew\\nline"'),
    ('\x01\x7f', '\x01\x7f', '"\\x01\\x7f"', '"\\u0001\x7f"'),
    ('é日本', 'é日本', '"é日本"', '"é日本"'),
    ('\xa0nbsp', '\xa0nbsp', '"\\u00a0nbsp"', '"\xa0nbsp"'),
    ('😀', '😀', '"😀"', '"😀"'),
    ('<tag> & more', '<tag> & more', '"<tag> & more"', '"\\u003ctag\\u003e \\u0026 more"'),
    ('\u2028', '\u2028', '"\\u2028"', '"\\u2028"'),
    ([], '[]', '[]interface {}{}', '[]'),
    ({}, 'map[]', 'map[string]interface {}{}', '{}'),
    (['a', 1, None, True, 1.5], '[a 1 <nil> true 1.5]', '[]interface {}{"a", 1, interface {}(nil), true, 1.5}', '["a",1,null,true,1.5]'),
    ({'b': 1, 'a': [1, {'x': None}], 'c': '<&>'}, 'map[a:[1 map[x:<nil>]] b:1 c:<&>]', 'map[string]interface {}{"a":[]interface {}{1, map[string]interface {}{"x":interface {}(nil)}}, "b":1, "c":"<&>"}', '{"a":[1,{"x":null}],"b":1,"c":"\\u003c\\u0026\\u003e"}'),
    ({'k': {'z': [], 'y': {}}}, 'map[k:map[y:map[] z:[]]]', 'map[string]interface {}{"k":map[string]interface {}{"y":map[string]interface {}{}, "z":[]interface {}{}}}', '{"k":{"y":{},"z":[]}}'),
    ([[1, 2], [3]], '[[1 2] [3]]', '[]interface {}{[]interface {}{1, 2}, []interface {}{3}}', '[[1,2],[3]]'),
    ({'10': 1, '9': 2, 'a': 3, 'B': 4}, 'map[10:1 9:2 B:4 a:3]', 'map[string]interface {}{"10":1, "9":2, "B":4, "a":3}', '{"10":1,"9":2,"B":4,"a":3}'),
]

QUOTES: list[tuple[str, str]] = [
    ('', '""'),
    ('text', '"text"'),
    ('with "quotes" and \\', '"with \\"quotes\\" and \\\\"'),
    ('tab\tnew\nline', '"tab\\tnew\\nline"'),
    ('\x01\x7f', '"\\x01\\x7f"'),
    ('é日本', '"é日本"'),
    ('\xa0nbsp', '"\\u00a0nbsp"'),
    ('😀', '"😀"'),
    ('<tag> & more', '"<tag> & more"'),
    ('\u2028', '"\\u2028"'),
]

# (value, FormatFloat 'g', 'e', 'f' with precision -1)
FLOATS: list[tuple[float, str, str, str]] = [
    (0.0, '0', '0e+00', '0'),
    (1.0, '1', '1e+00', '1'),
    (1.5, '1.5', '1.5e+00', '1.5'),
    (0.1, '0.1', '1e-01', '0.1'),
    (1000000.0, '1e+06', '1e+06', '1000000'),
    (123456.0, '123456', '1.23456e+05', '123456'),
    (999999.0, '999999', '9.99999e+05', '999999'),
    (1234567.0, '1.234567e+06', '1.234567e+06', '1234567'),
    (1e+20, '1e+20', '1e+20', '100000000000000000000'),
    (1e+21, '1e+21', '1e+21', '1000000000000000000000'),
    (1.5e+21, '1.5e+21', '1.5e+21', '1500000000000000000000'),
    (0.0001, '0.0001', '1e-04', '0.0001'),
    (1e-05, '1e-05', '1e-05', '0.00001'),
    (1e-06, '1e-06', '1e-06', '0.000001'),
    (1e-07, '1e-07', '1e-07', '0.0000001'),
    (2.5e-05, '2.5e-05', '2.5e-05', '0.000025'),
    (12345.678, '12345.678', '1.2345678e+04', '12345.678'),
    (-3.25, '-3.25', '-3.25e+00', '-3.25'),
    (100.0, '100', '1e+02', '100'),
]


@pytest.mark.parametrize(("value", "v", "sharp_v", "json_text"), CASES)
def test_fmt_verbs_and_json(value: Any, v: str, sharp_v: str, json_text: str) -> None:
    assert format_v(value) == v
    assert format_sharp_v(value) == sharp_v
    assert json_marshal(value) == json_text


@pytest.mark.parametrize(("text", "quoted"), QUOTES)
def test_quote(text: str, quoted: str) -> None:
    assert quote(text) == quoted


@pytest.mark.parametrize(("value", "g", "e", "f"), FLOATS)
def test_format_float(value: float, g: str, e: str, f: str) -> None:
    assert (format_float(value, "g"), format_float(value, "e"), format_float(value, "f")) == (g, e, f)
    negated = g[1:] if g.startswith("-") else "-" + g
    assert format_float(-value, "g") == negated


def test_format_float_extremes() -> None:
    assert format_float(5e-324) == "5e-324"
    assert format_float(1.7976931348623157e308) == "1.7976931348623157e+308"
    assert format_float(float("inf")) == "+Inf"
    assert format_float(float("-inf")) == "-Inf"
    assert format_float(float("nan")) == "NaN"


def test_json_escapes_backspace_and_form_feed_like_go_1_22() -> None:
    # Go >= 1.22 (Chainsaw is built with 1.26) writes \b and \f; older Go wrote \u0008 and \u000c.
    assert json_marshal("\b\f") == '"\\b\\f"'


@pytest.mark.parametrize("value", [float("nan"), float("inf"), object()])
def test_json_marshal_refuses_what_go_refuses(value: Any) -> None:
    with pytest.raises(GoFormatError):
        json_marshal(value)


@pytest.mark.parametrize(("value", "kind"), [
    (None, "invalid"), (True, "bool"), (1, "int64"), (1.5, "float64"), ("s", "string"),
    ([1], "slice"), ((1,), "slice"), ({"a": 1}, "map"),
])
def test_go_kind(value: Any, kind: str) -> None:
    assert go_kind(value) == kind
