"""Chainsaw's PrettyDiff: pruning the actual resource, go-difflib's unified diff of the YAML of both sides."""

from __future__ import annotations

from typing import Any

import pytest

from chainsaw_py.checks.diff import pretty_diff, prune_actual, split_lines, unified_diff

POD: dict[str, Any] = {
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "foo", "namespace": "bar", "annotations": {"bar": "baz"}},
    "spec": {"data": ["foo"], "something": {"foo": "foos"}},
}


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    import copy

    result = copy.deepcopy(base)
    for dotted, value in changes.items():
        node = result
        *parents, last = dotted.split("__")
        for parent in parents:
            node = node.setdefault(parent, {})
        node[last] = value
    return result


# chainsaw pkg/utils/diff/diff_test.go
def test_same_objects_give_no_diff() -> None:
    assert pretty_diff(POD, POD) == ""


def test_extra_actual_fields_are_pruned_away() -> None:
    actual = _with(POD, metadata__resourceVersion="123", metadata__labels={"foo": "bar"},
                   spec__something__else={"bar": "bars"}, status={"data": ["bar"]})
    assert pretty_diff(POD, actual) == ""


def test_different_objects() -> None:
    expected = _with(POD, metadata__resourceVersion="123")
    assert pretty_diff(expected, POD) == (
        "--- expected\n+++ actual\n@@ -5,7 +5,6 @@\n     bar: baz\n   name: foo\n   namespace: bar\n"
        "-  resourceVersion: \"123\"\n spec:\n   data:\n   - foo\n")


PRUNING: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    ("apiVersion and kind are always kept",
     {}, {"apiVersion": "v1", "kind": "Pod", "spec": {}}, {"apiVersion": "v1", "kind": "Pod"}),
    ("metadata name and ownerReferences are kept when metadata is expected",
     {"metadata": {"labels": {}}},
     {"metadata": {"name": "n", "uid": "u", "ownerReferences": [{"name": "o"}], "labels": {"a": "b"}}},
     {"metadata": {"name": "n", "ownerReferences": [{"name": "o"}], "labels": {}}}),
    ("metadata is dropped entirely when not expected",
     {"spec": {}}, {"metadata": {"name": "n"}, "spec": {"x": 1}}, {"spec": {}}),
    ("name is only kept directly under metadata",
     {"spec": {"template": {}}}, {"spec": {"template": {"name": "t", "x": 1}}}, {"spec": {"template": {}}}),
    ("an expected null drops the key",
     {"spec": None}, {"spec": {"x": 1}}, {}),
    ("expression keys do not keep anything",
     {"status": {"(conditions[0])": {}}}, {"status": {"conditions": [{}]}}, {"status": {}}),
    ("lists are kept whole",
     {"spec": {"containers": [{"name": "a"}]}},
     {"spec": {"containers": [{"name": "a", "image": "i"}, {"name": "b"}]}},
     {"spec": {"containers": [{"name": "a", "image": "i"}, {"name": "b"}]}}),
    ("a map where a scalar is expected is kept whole",
     {"spec": "(anything)"}, {"spec": {"x": {"y": 1}}}, {"spec": {"x": {"y": 1}}}),
]


@pytest.mark.parametrize(("name", "expected", "actual", "pruned"), PRUNING, ids=[p[0] for p in PRUNING])
def test_prune_actual(name: str, expected: dict[str, Any], actual: dict[str, Any], pruned: dict[str, Any]) -> None:
    original = repr(actual)
    assert prune_actual(expected, actual) == pruned
    assert repr(actual) == original


@pytest.mark.parametrize(("text", "lines"), [
    ("", ["\n"]),
    ("a\n", ["a\n", "\n"]),
    ("a\nb", ["a\n", "b\n"]),
    ("a\n\nb\n", ["a\n", "\n", "b\n", "\n"]),
])
def test_split_lines_like_go_difflib(text: str, lines: list[str]) -> None:
    assert split_lines(text) == lines


def test_change_at_the_end_shows_the_extra_empty_line_as_context() -> None:
    # go-difflib's SplitLines adds a final "\n" line to both sides; it shows up as " \n" in the context
    assert unified_diff("a: 1\nb: 2\n", "a: 1\nb: 3\n") == (
        "--- expected\n+++ actual\n@@ -1,3 +1,3 @@\n a: 1\n-b: 2\n+b: 3\n \n")


def test_hunks_are_separated_with_three_lines_of_context() -> None:
    expected = "".join(f"k{i}: {i}\n" for i in range(20))
    actual = expected.replace("k2: 2", "k2: x").replace("k17: 17", "k17: y")
    assert unified_diff(expected, actual) == (
        "--- expected\n+++ actual\n"
        "@@ -1,6 +1,6 @@\n k0: 0\n k1: 1\n-k2: 2\n+k2: x\n k3: 3\n k4: 4\n k5: 5\n"
        "@@ -15,7 +15,7 @@\n k14: 14\n k15: 15\n k16: 16\n-k17: 17\n+k17: y\n k18: 18\n k19: 19\n \n")


def test_insertions_only() -> None:
    assert unified_diff("a\n", "a\nb\n") == "--- expected\n+++ actual\n@@ -1,2 +1,3 @@\n a\n+b\n \n"
