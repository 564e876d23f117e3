"""YAML loading: go-yaml v2 scalar resolution, anchors and merge keys, line numbers, errors."""

from __future__ import annotations

import pytest

from chainsaw_py import yamldocs as yaml_module
from chainsaw_py.errors import LoadError
from chainsaw_py.yamldocs import format_path, load_documents, parse_documents, resolve_plain


@pytest.fixture(autouse=True, params=yaml_module.LOADERS, ids=lambda loader: loader.__name__)
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> type:
    """Every test runs with libyaml's parser (when PyYAML has it) and with the pure-Python one."""
    monkeypatch.setattr(yaml_module, "_Loader", request.param)
    return request.param  # type: ignore[no-any-return]


@pytest.mark.parametrize(("text", "expected"), [
    # YAML 1.1 booleans as go-yaml v2 resolves them (PyYAML does not know y/n)
    ("yes", True), ("Yes", True), ("YES", True), ("y", True), ("Y", True), ("on", True), ("ON", True),
    ("true", True), ("True", True), ("no", False), ("n", False), ("N", False), ("off", False),
    ("Off", False), ("false", False), ("FALSE", False),
    ("yEs", "yEs"), ("tRUE", "tRUE"),
    # nulls
    ("", None), ("~", None), ("null", None), ("Null", None), ("NULL", None), ("nULL", "nULL"),
    # integers: strconv.ParseInt(s, 0, 64) after removing underscores
    ("0", 0), ("42", 42), ("-7", -7), ("+5", 5), ("1_000", 1000), ("0x1F", 31), ("0X1f", 31),
    ("0o17", 15), ("017", 15), ("0b101", 5), ("-0b101", -5), ("9223372036854775807", 2**63 - 1),
    ("18446744073709551615", 2**64 - 1),
    # floats: go-yaml's pattern, including exponents without a dot
    ("1.5", 1.5), ("-2.", -2.0), (".5", 0.5), ("1e3", 1000.0), ("1E-2", 0.01), ("09", 9.0),
    ("99999999999999999999", 1e20),
    # strings where PyYAML would differ
    ("1:30", "1:30"), ("=", "="), ("2001-12-14", "2001-12-14"), ("2001-12-14T21:59:43Z", "2001-12-14T21:59:43Z"),
    ("0x", "0x"), ("1.2.3", "1.2.3"), ("-", "-"), (".", "."), ("+.5e", "+.5e"), ("abc", "abc"),
])
def test_plain_scalars_resolve_like_go_yaml_v2(text: str, expected: object) -> None:
    value = resolve_plain(text)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(("source", "expected"), [
    ("a: 1.0", {"a": 1}),  # the JSON round trip turns integral floats into integers
    ("a: 1.5", {"a": 1.5}),
    ("a: 18446744073709551615", {"a": float(2**64 - 1)}),  # beyond int64: a float, as unstructured does
    ("on: yes", {"true": True}),  # sigs.k8s.io/yaml turns non-string keys into their JSON text
    ("1: a\n2.5: b\nfalse: c", {"1": "a", "2.5": "b", "false": "c"}),
    ("a: 'yes'\nb: \"on\"", {"a": "yes", "b": "on"}),
    ("a: !!str 12\nb: !!float 3\nc: !custom text", {"a": "12", "b": 3, "c": "text"}),
    ("a: !!binary aGVsbG8=", {"a": "hello"}),
    ("a: |\n  line\n", {"a": "line\n"}),
])
def test_documents_become_json_compatible_values(source: str, expected: object) -> None:
    assert load_documents(source) == [expected]


def test_anchors_aliases_and_merge_keys() -> None:
    source = """
base: &base
  image: alpine
  spec: {replicas: 1}
extra: &extra {labels: {a: b}, image: busybox}
derived:
  <<: [*base, *extra]
  spec: {replicas: 3}
again: *base
"""
    (data,) = load_documents(source)
    assert data["derived"] == {"image": "alpine", "spec": {"replicas": 3}, "labels": {"a": "b"}}
    assert data["again"] == data["base"]
    data["again"]["image"] = "changed"
    assert data["base"]["image"] == "alpine"  # aliases are copies, as Go's decoder makes them


def test_explicit_keys_win_over_merged_keys_wherever_they_are() -> None:
    (data,) = load_documents("base: &b {p: 1, q: 1}\nm:\n  p: 2\n  <<: *b\n")
    assert data["m"] == {"p": 2, "q": 1}


def test_anchors_can_be_redefined() -> None:
    (data,) = load_documents("a: &x 1\nb: *x\nc: &x 2\nd: *x\n")
    assert data == {"a": 1, "b": 1, "c": 2, "d": 2}


def test_multi_document_files_skip_empty_documents() -> None:
    documents = parse_documents("# header\n---\na: 1\n---\n# only a comment\n---\n- b\n...\n")
    assert [document.data for document in documents] == [{"a": 1}, ["b"]]
    assert [document.index for document in documents] == [0, 1]


def test_line_numbers_of_keys_and_items() -> None:
    source = "apiVersion: v1\nspec:\n  steps:\n  - try:\n    - apply:\n        file: x\n    - assert: {}\n"
    (document,) = parse_documents(source, "t.yaml")
    assert document.line_of(("spec", "steps", 0, "try", 0, "apply", "file")) == 6
    assert document.line_of(("spec", "steps", 0, "try", 1)) == 7
    assert document.line_of(("spec", "steps", 0, "try", 1, "assert", "missing")) == 7
    assert document.line_of(()) == 1


def test_format_path() -> None:
    assert format_path(("spec", "steps", 0, "try", 1, "apply", "fle")) == "spec.steps[0].try[1].apply.fle"
    assert format_path(("metadata", "labels", "app.kubernetes.io/name")) == 'metadata.labels["app.kubernetes.io/name"]'
    assert format_path(("check", "($error != null)")) == "check.($error != null)"
    assert format_path(("resource", "(metadata.name)", "~.(items)")) == "resource.(metadata.name).~.(items)"
    assert format_path(("data", "a b", "")) == 'data["a b"][""]'
    assert format_path(()) == ""


@pytest.mark.parametrize(("source", "line", "fragment"), [
    ("a: 1\nb:\n\t- x\n", 3, "tab character"),
    ("a: [1, 2\nb: 3\n", 2, "invalid YAML"),
    ("a: 1\na: 2\n", 2, 'duplicate key "a"'),
    ("on: 1\ntrue: 2\n", 2, 'duplicate key "true"'),
    ("a: *nothing\n", 1, "undefined alias"),
    ("a: &x [*x]\n", 1, "recursive anchor"),
    ("a: .nan\n", 1, "unsupported value"),
    ("? [a]\n: 1\n", 1, "cannot be used as a map key"),
    ("~: 1\n", 1, "unsupported map key"),
    ("a: !!int abc\n", 1, "cannot decode !!str `abc` as a !!int"),
    ("a:\n  <<: 5\n", 2, "map merge requires map or sequence of maps"),
    ("a: 1\nb: \"x\x07\"\n", 2, "unacceptable character #x0007"),
    ("a: 1\n  b: 2\n", 2, "invalid YAML: "),
])
def test_errors_name_the_file_and_line(source: str, line: int, fragment: str) -> None:
    with pytest.raises(LoadError) as caught:
        load_documents(source, "f.yaml")
    message = str(caught.value)
    assert message.startswith(f"f.yaml:{line}: "), message
    assert fragment in message
    assert "\n" not in message


def test_alias_bombs_fail_instead_of_exhausting_memory() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    with pytest.raises(LoadError, match="excessive aliasing"):
        load_documents("\n".join(lines))
