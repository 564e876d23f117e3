"""cel-go's optional syntax (``a.?b``, ``a[?k]``, ``optMap``/``optFlatMap``) as both evaluators run it: the results
are cel-go's (interpreter/attributes.go ``applyQualifiers``, cel/cel_test.go, cel/library.go examples)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chainsaw_py.embedded import celenv
from chainsaw_py.expressions.bindings import Bindings
from chainsaw_py.expressions.cel import evaluate_cel
from chainsaw_py.grammar.errors import ExpressionError
from chainsaw_py.kubecel.optionals import desugar

DATA = {"m": {"x": {"y": "z", "l": [1, 2]}, "k": {"dashed-index": "v"}, "n": None, "e": {}}, "l": [10, 20]}
NONE = "<none>"

CASES = [
    # .? on maps: present, missing, null value, chained
    ("self.m.?x.?y", "z"),
    ("self.m.?q", NONE),
    ("self.m.?n", None),
    ("self.m.?q.?y", NONE),
    ("self.m.?x.?q", NONE),
    ("self.?m.?x.?y.orValue('d')", "z"),
    ("self.?m.?q.?y.orValue('d')", "d"),
    ("self.m.?x.hasValue()", True),
    ("self.m.e.?x.hasValue()", False),
    # after an optional qualifier, plain qualifiers are presence-tested too
    ("self.m.?x.q.orValue('d')", "d"),
    ("self.m.?x.y.orValue('d')", "z"),
    ("self.m.?x.l[5].orValue(0)", 0),
    ("self.m.?x.l[1].value()", 2),
    # [?k] on maps and lists
    ("self.m.k[?'dashed-index'].orValue('default value')", "v"),
    ("self.m.k[?'other'].orValue('default value')", "default value"),
    ("self.l[?0]", 10),
    ("self.l[?2]", NONE),
    ("self.l[?-1]", NONE),
    ("self.l[?1u].value()", 20),
    ("self.?l[?1].orValue(0) + 1", 21),
    ("self.m[?'x'][?'l'][?0].value()", 1),
    ("self[?'missing'][?0].hasValue()", False),
    # optional receivers
    ("optional.of(self.m).?x.?y.value()", "z"),
    ("optional.none().?x.hasValue()", False),
    ("optional.of(self.l)[?1].value()", 20),
    # values without fields: none
    ("'text'.?x.hasValue()", False),
    ("(1).?x.hasValue()", False),
    # has() over an optional chain
    ("has(self.m.?x.y)", True),
    ("has(self.m.?x.q)", False),
    ("has(self.m.?q.y)", False),
    ("has(self.m.e.?x.y)", False),
    # comparison and equality of optionals
    ("self.m.?x.?y == optional.of('z')", True),
    ("self.m.?q == optional.none()", True),
    ("self.l.all(i, [i][?0].hasValue())", True),
    # optMap / optFlatMap (cel/library.go examples)
    ("optional.none().optMap(i, i * 2).hasValue()", False),
    ("optional.of(2).optMap(i, i * 2).value()", 4),
    ("self.m.?x.?l.optMap(e, e.size()).orValue(0)", 2),
    ("self.m.?q.?l.optMap(e, e.size()).orValue(0)", 0),
    ("self.m.?x.?l.optFlatMap(e, e[?0]).value()", 1),
    ("self.m.?x.?l.optFlatMap(e, e[?7]).hasValue()", False),
    ("self.m.?q.optFlatMap(e, e[?0]).hasValue()", False),
    # optional entries of list and map literals: left out when none
    ("[1, ?self.m.?x.?y, ?self.m.?q, 3]", [1, "z", 3]),
    ("[?optional.none(),]", []),
    ("size([?self.l[?0], ?self.l[?9]])", 1),
    ("{'k': 1, ?'y': self.m.?x.?y, ?'q': self.m.?q}", {"k": 1, "y": "z"}),
    ("{true ? 'a' : 'b': 1, ?'c': optional.of(false ? 2 : 3)}", {"a": 1, "c": 3}),
    ("[?self.m.?x][?0].?y.value()", "z"),
    ("{'a': 1, ?'a': optional.of(2)}.a", 2),
    # strings and comments that look like the syntax are left alone
    ("'a.?b' + \"[?0]\"", "a.?b[?0]"),
    ("self.m.?x.?y.value() // .?z", "z"),
]

ERRORS = [
    ("self.m.?q.value()", "optional.none() dereference"),
    ("self.l[?'a']", "unsupported index type 'string' in list"),
    ("self.l[?1.5]", "unsupported index value 1.5 in list"),
    ("[?1]", "cannot initialize optional list element from non-optional value 1"),
    ("{?'k': 1}", "cannot initialize optional entry 'k' from non-optional value 1"),
]


def _plain(value: Any) -> Any:
    if type(value).__name__ == "OptionalValue":
        return _plain(value.value()) if value.has_value() else NONE
    return value


def _runner(source: str) -> Any:
    """Chainsaw's CEL names the current node ``object``."""
    return evaluate_cel(source.replace("self", "object"), DATA, Bindings())


def _server(source: str) -> Any:
    return _plain(celenv.execute(celenv.compile_program(source), "rules", {"self": DATA}))


@pytest.mark.parametrize(("source", "expected"), CASES)
def test_optional_syntax_in_the_api_server(source: str, expected: Any) -> None:
    assert _server(source) == expected


@pytest.mark.parametrize(("source", "expected"), CASES)
def test_optional_syntax_in_chainsaw_cel(source: str, expected: Any) -> None:
    # Chainsaw shows an empty optional as null
    assert _runner(source) == (None if expected == NONE else expected)


@pytest.mark.parametrize(("source", "message"), ERRORS)
def test_optional_errors_have_cel_go_messages(source: str, message: str) -> None:
    with pytest.raises(RuntimeError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        _server(source)
    with pytest.raises(ExpressionError) as error:
        _runner(source)
    assert message in str(error.value)


def test_desugaring_keeps_everything_else_verbatim() -> None:
    assert desugar("a.b[0].c(x ? 1 : 2) // a.?b") == "a.b[0].c(x ? 1 : 2) // a.?b"
    assert desugar("Msg{?f: x}") == "Msg{?f: x}"   # message constructions are not rewritten (the parser refuses)
    rewritten = desugar("f(a).?b.c[?k].orValue(1)")
    assert ".?" not in rewritten and "[?" not in rewritten and rewritten.endswith(".orValue(1)")


# -- properties -------------------------------------------------------------------------------------------------

_KEYS = ["a", "b", "c"]
_SCALARS = st.one_of(st.integers(-3, 3), st.sampled_from(["s", "", None, True]))
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(_KEYS), inner, max_size=3)), max_leaves=12)
_QUALIFIERS = st.lists(st.one_of(st.sampled_from(_KEYS).map(lambda key: ("field", key)),
                                 st.integers(-1, 3).map(lambda index: ("index", index))), min_size=1, max_size=4)


def _expected(value: Any, qualifiers: list[tuple[str, Any]]) -> Any:
    """cel-go: the chain is none as soon as one qualifier finds nothing (maps: key; lists: index in range; other
    values: never); a field name used on a list is an error."""
    for kind, key in qualifiers:
        if isinstance(value, dict) and key in value and isinstance(key, str):
            value = value[key]
        elif isinstance(value, list) and kind == "field":
            return "error"
        elif isinstance(value, list) and 0 <= key < len(value):
            value = value[key]
        else:
            return NONE
    return value


def _source(qualifiers: list[tuple[str, Any]]) -> str:
    return "self" + "".join(f".?{key}" if kind == "field" else f"[?{key}]" for kind, key in qualifiers)


@settings(max_examples=200, deadline=None)
@given(_VALUES, _QUALIFIERS)
def test_optional_chains_follow_cel_go(value: Any, qualifiers: list[tuple[str, Any]]) -> None:
    expected = _expected(value, qualifiers)
    source = _source(qualifiers)
    try:
        result = _plain(celenv.execute(celenv.compile_program(source), "rules", {"self": value}))
    except RuntimeError:
        result = "error"
    assert result == expected and type(result) is type(expected), source


_PLAIN_PARTS = st.sampled_from([
    "self.a", "self[0]", "'x.?y'", '"[?0]"', "r'.?'", "(1 > 0 ? 2 : 3)", "[1, 2][1]", "{'k': 1}.k",
    "size(self)", "self.all(v, v == 1)", "'a' + 'b'", "[?", ".?", "x ? .5 : 1", "// .?a\n1",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PLAIN_PARTS, min_size=1, max_size=4).map(" + ".join))
def test_sources_without_the_syntax_are_unchanged(source: str) -> None:
    """The rewrite changes nothing (hence no result) in an expression without the optional syntax, whatever
    strings, comments and ternaries it holds; sources with ``.?``/``[?`` outside strings and comments are
    left to the parser when the rewrite cannot read them."""
    rewritten = desugar(source)
    if not any(part in source.replace("'x.?y'", "").replace('"[?0]"', "").replace("r'.?'", "")
               .replace("// .?a", "") for part in (".?", "[?")):
        assert rewritten == source


_ELEMENTS = st.lists(st.tuples(st.sampled_from(["plain", "of", "none"]), st.integers(-3, 3)), max_size=5)


@settings(max_examples=100, deadline=None)
@given(_ELEMENTS, st.booleans())
def test_optional_literal_entries_follow_cel_go(elements: list[tuple[str, int]], as_map: bool) -> None:
    """Entries ``?o`` are kept with ``o``'s value when it has one, left out when it is none."""
    forms = {"plain": "{}", "of": "?optional.of({})", "none": "?optional.none()"}
    if as_map:
        source = "{" + ", ".join(f"'k{index}': {value}" if kind == "plain"
                                 else f"?'k{index}': {forms[kind].format(value).lstrip('?')}"
                                 for index, (kind, value) in enumerate(elements)) + "}"
        expected: Any = {f"k{index}": value for index, (kind, value) in enumerate(elements) if kind != "none"}
    else:
        source = "[" + ", ".join(forms[kind].format(value) for kind, value in elements) + "]"
        expected = [value for kind, value in elements if kind != "none"]
    assert _server(source) == expected, source
    assert _runner(source) == expected, source
