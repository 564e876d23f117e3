"""``$values``: files deep-merged in order (``-`` = stdin), then ``--set`` / ``--set-string`` (Helm strvals)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from chainsaw_py.errors import ChainsawError, LoadError
from chainsaw_py.loading import load_values
from chainsaw_py.loading.values import StrvalsError, parse_into

from .conftest import CORPUS, Writer, requires_shared


@pytest.mark.parametrize(("line", "expected"), [
    ("name=value", {"name": "value"}),
    ("a=1,b=true,c=FALSE,d=null,e=0", {"a": 1, "b": True, "c": False, "d": None, "e": 0}),
    ("a=01,b=1.5,c=-3,d=+4,e=0x10,f=1e3", {"a": "01", "b": "1.5", "c": -3, "d": 4, "e": "0x10", "f": "1e3"}),
    ("a=9223372036854775808", {"a": "9223372036854775808"}),
    ("outer.inner=x,outer.other=y", {"outer": {"inner": "x", "other": "y"}}),
    ("list[0]=a,list[2]=c", {"list": ["a", None, "c"]}),
    ("list={a,b,3}", {"list": ["a", "b", 3]}),
    ("list={}", {"list": [""]}),
    ("a={x,y},b=z", {"a": ["x", "y"], "b": "z"}),
    ("nested[0].name=a,nested[0].value=1", {"nested": [{"name": "a", "value": 1}]}),
    ("matrix[1][0]=x", {"matrix": [None, ["x"]]}),
    (r"escaped=a\,b,dot\.key=v", {"escaped": "a,b", "dot.key": "v"}),
    ("empty=", {"empty": ""}),
    ("a=b=c", {"a": "b=c"}),
    ("spaced = x ", {"spaced ": " x "}),
    ("a.", {}),
    ("=x", {}),
])
def test_set_syntax(line: str, expected: dict[str, Any]) -> None:
    values: dict[str, Any] = {}
    parse_into(line, values)
    assert values == expected


def test_set_string_keeps_strings() -> None:
    values: dict[str, Any] = {}
    parse_into("a=1,b=true,c=null,d={1,2}", values, as_strings=True)
    assert values == {"a": "1", "b": "true", "c": "null", "d": ["1", "2"]}


def test_set_merges_into_existing_values() -> None:
    values: dict[str, Any] = {"image": {"repository": "x", "tag": "latest"}, "list": ["a", "b"]}
    parse_into("image.tag=1,list[1]=c", values)
    assert values == {"image": {"repository": "x", "tag": 1}, "list": ["a", "c"]}


@pytest.mark.parametrize(("line", "start", "message"), [
    ("noequals", {}, 'key "noequals" has no value'),
    ("a,b=1", {}, 'key "a" has no value (cannot end with ,)'),
    ("a.b", {}, 'key "b" has no value'),
    ("a.=1", {}, 'key map "a" has no value'),
    ("list={a,b", {}, "list must terminate with '}'"),
    ("list[x]=1", {}, 'error parsing index: strconv.Atoi: parsing "x": invalid syntax'),
    ("list[-1]=1", {}, "negative -1 index not allowed"),
    ("list[70000]=1", {}, "index of 70000 is greater than maximum supported index of 65536"),
    ("list[0]x=1", {}, 'unexpected data at end of array index: "x"'),
    ("a.b=1", {"a": "scalar"}, ("unable to parse key: interface conversion: interface {} is string, not "
                               "map[string]interface {}")),
    ("a[0]=1", {"a": {"b": 1}}, ("unable to parse key: interface conversion: interface {} is "
                                "map[string]interface {}, not []interface {}")),
    (".".join("k" * 32) + "=1", {}, "value name nested level is greater than maximum supported nested level of 30"),
])
def test_set_errors(line: str, start: dict[str, Any], message: str) -> None:
    with pytest.raises(StrvalsError) as caught:
        parse_into(line, dict(start))
    assert str(caught.value) == message


def test_files_are_deep_merged_in_order(write: Writer) -> None:
    first = write("a.yaml", "image: {repository: r, tag: '1'}\nlist: [1, 2]\nkeep: yes\n")
    second = write("b.yaml", "image: {tag: '2'}\nlist: [3]\n")
    assert load_values([str(first), str(second)]) == {
        "image": {"repository": "r", "tag": "2"}, "list": [3], "keep": True}


def test_stdin_and_empty_files(write: Writer) -> None:
    empty = write("empty.yaml", "# nothing\n")
    assert load_values(["-", str(empty)], stdin=io.StringIO("from: stdin\n")) == {"from": "stdin"}


def test_flags_apply_after_files_and_set_string_last(write: Writer) -> None:
    values_file = write("v.yaml", "image: {tag: latest}\nenv: dev\n")
    values = load_values([str(values_file)], ["env=prod,image.tag=01"], ["image.pull=01"])
    assert values == {"image": {"tag": "01", "pull": "01"}, "env": "prod"}


@pytest.mark.parametrize(("text", "message"), [
    ("- a\n- b\n", "values must be a map, got a list"),
    ("just a string\n", "values must be a map, got a scalar"),
    ("a: [1\n", "invalid YAML"),
])
def test_bad_values_files(write: Writer, text: str, message: str) -> None:
    path = write("bad.yaml", text)
    with pytest.raises(LoadError, match="bad.yaml") as caught:
        load_values([str(path)])
    assert message in str(caught.value)


def test_bad_set_flags_name_the_flag() -> None:
    with pytest.raises(ChainsawError, match=r'^failed parsing --set data: key "a" has no value$'):
        load_values([], ["a"])
    with pytest.raises(ChainsawError, match=r"^failed parsing --set-string data: list must terminate"):
        load_values([], [], ["a={b"])


@requires_shared
def test_upstream_corpus_flags() -> None:
    values = load_values([str(CORPUS / "values.yaml")], ["env=poc", "clusterDirectory=my-cluster"],
                         ["image.tag=01"])
    assert values == {"foo": "bar", "env": "poc", "clusterDirectory": "my-cluster", "image": {"tag": "01"}}
    assert isinstance(values["image"]["tag"], str)
