"""Label-selector parsing and matching (chainsaw_py.util.labels), checked against apimachinery's behaviour."""

from __future__ import annotations

import pytest

from chainsaw_py.util.labels import (
    SelectorError,
    parse_selector,
    selector_from_label_selector,
    selector_from_set,
)

CANONICAL = [
    ("", ""),
    ("x=a", "x=a"),
    ("x==a", "x==a"),
    ("x!=a", "x!=a"),
    ("  x = a , y ", "x=a,y"),
    ("y,x=a", "x=a,y"),
    ("!x", "!x"),
    ("x in (b,a,a)", "x in (a,b)"),
    ("x notin (a)", "x notin (a)"),
    ("x in (foo,,baz),y,z notin ()", "x in (,baz,foo),y,z notin ()"),
    ("x>1", "x>1"),
    ("x<10", "x<10"),
    ("x=", "x="),
    ("example.com/app=web", "example.com/app=web"),
    ("in in (in)", "in in (in)"),
]


@pytest.mark.parametrize(("text", "expected"), CANONICAL)
def test_canonical_string(text: str, expected: str) -> None:
    assert str(parse_selector(text)) == expected


MATCHES = [
    ("", {}, True),
    ("app=web", {"app": "web"}, True),
    ("app=web", {"app": "db"}, False),
    ("app=web", {}, False),
    ("app!=web", {}, True),
    ("app!=web", {"app": "web"}, False),
    ("app", {"app": ""}, True),
    ("app", {"other": "x"}, False),
    ("!app", {"other": "x"}, True),
    ("!app", {"app": "x"}, False),
    ("tier in (a,b)", {"tier": "b"}, True),
    ("tier in (a,b)", {}, False),
    ("tier notin (a,b)", {}, True),
    ("tier notin (a,b)", {"tier": "a"}, False),
    ("n>3", {"n": "4"}, True),
    ("n>3", {"n": "3"}, False),
    ("n<3", {"n": "x"}, False),
    ("app=web,tier in (fe)", {"app": "web", "tier": "fe"}, True),
    ("app=web,tier in (fe)", {"app": "web", "tier": "be"}, False),
    ("x=", {"x": ""}, True),
]


@pytest.mark.parametrize(("text", "labels", "expected"), MATCHES)
def test_matches(text: str, labels: dict[str, str], expected: bool) -> None:
    assert parse_selector(text).matches(labels) is expected


QUALIFIED_RULE = ("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
                  "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation "
                  "is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")

ERRORS = [
    ("x in a", "unable to parse requirement: found 'a' expected: '('"),
    ("x in (a", "unable to parse requirement: found '', expected: ',' or ')'"),
    ("x y", "unable to parse requirement: found 'y', expected: in, notin, =, ==, !=, gt, lt"),
    ("x=a y", "found 'y', expected: ',' or 'end of string'"),
    ("x=a,", "found '', expected: identifier after ','"),
    ("=a", "found '=', expected: !, identifier, or 'end of string'"),
    ("!", "unable to parse requirement: found '', expected: identifier"),
    ("x>a", ("unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, "
             "the value must be an integer")),
    ("-x=a", 'unable to parse requirement: <nil>: Invalid value: "-x": name part ' + QUALIFIED_RULE),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_errors_use_apimachinery_wording(text: str, message: str) -> None:
    with pytest.raises(SelectorError) as caught:
        parse_selector(text)
    assert str(caught.value) == message


def test_invalid_value_is_reported_with_key_path() -> None:
    with pytest.raises(SelectorError, match=r'values\[0\]\[x\]: Invalid value: "-a-": a valid label'):
        parse_selector("x=-a-")


def test_selector_error_is_value_error() -> None:
    assert issubclass(SelectorError, ValueError)


def test_selector_from_set_and_label_selector() -> None:
    assert str(selector_from_set({"b": "2", "a": "1"})) == "a=1,b=2"
    converted = selector_from_label_selector(
        {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["x"]}]})
    assert converted is not None and str(converted) == "app=web,tier in (x)"
    assert selector_from_label_selector(None) is None
    empty = selector_from_label_selector({})
    assert empty is not None and empty.matches({"any": "thing"})
    with pytest.raises(SelectorError, match='"Bogus" is not a valid label selector operator'):
        selector_from_label_selector({"matchExpressions": [{"key": "a", "operator": "Bogus"}]})


def test_requires_exact_match() -> None:
    selector = parse_selector("app=web,tier in (a,b)")
    assert selector.requires_exact_match("app") == "web"
    assert selector.requires_exact_match("tier") is None
    assert selector.requires_exact_match("other") is None
