"""Property: what goyaml.marshal writes reads back (with PyYAML, also YAML 1.1) as the same JSON value."""

from __future__ import annotations

import re
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from chainsaw_py.golang.fmt import json_marshal
from chainsaw_py.golang.yaml import marshal

# Printable text, line breaks and tabs; without the characters go-yaml refuses (C1 controls, U+FFFE/F),
# NEL (folded by go-yaml's reader) and lone surrogates.
_ALPHABET = st.characters(
    blacklist_categories=("Cs", "Cc"),
    blacklist_characters="\x85\ufffe\uffff\ufeff=",
) | st.sampled_from(list("\n\t :#-?[]{}'\"!&*|>%@`,~"))
_TEXT = st.text(_ALPHABET, max_size=40) | st.sampled_from(
    ["yes", "No", "on", "y", "null", "~", "", "1.5", "0x1F", "1_000", "1:20", "2024-01-01", "-", "- a", "a: b"])
_SCALARS = st.none() | st.booleans() | st.integers(-(2 ** 63), 2 ** 63 - 1) | _TEXT | st.floats(
    allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300)
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
                       max_leaves=25)


class _Loader(yaml.SafeLoader):
    """PyYAML's YAML 1.1 floats need a dot; Go writes ``1e+300``, which YAML 1.2 (and go-yaml) read as a float."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9]+(?:\.[0-9]*)?[eE][-+]?[0-9]+$"), list("-+0123456789"))


def _as_go_reads_it(value: Any) -> Any:
    """json.Marshal writes whole floats below 1e21 without a fraction; go-yaml reads them back as ints when
    they fit an int64 or a uint64 (ParseInt, then ParseUint), as floats otherwise."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        number = int(json_marshal(value))
        return number if -(2**63) <= number < 2**64 else value
    if isinstance(value, list):
        return [_as_go_reads_it(item) for item in value]
    if isinstance(value, dict):
        return {key: _as_go_reads_it(item) for key, item in value.items()}
    return value


@settings(max_examples=200, deadline=None, database=None)
@given(_VALUES)
def test_marshal_round_trips(value: Any) -> None:
    text = marshal(value)
    assert yaml.load(text, Loader=_Loader) == _as_go_reads_it(value)


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(st.sampled_from(list(" -:#?,[]{}&*!|>'\"%@`.abc")), min_size=1, max_size=12))
def test_ascii_fast_analysis_agrees_with_the_character_loop(text: str) -> None:
    from chainsaw_py.golang.yaml import _analyze_chars, _analyze_one_line_ascii

    assert _analyze_one_line_ascii(text) == _analyze_chars(text)
