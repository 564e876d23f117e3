"""JSON patch, merge patch and strategic merge patch (merge keys from the kubernetes-validate schemas)."""

from __future__ import annotations

from typing import Any

import pytest

from chainsaw_py.embedded.apierrors import BadRequest
from chainsaw_py.embedded.patch import (
    REJECTED,
    PatchError,
    SchemaCursor,
    apply_json_patch,
    apply_merge_patch,
    apply_strategic_merge_patch,
)
from chainsaw_py.embedded.schemas import builtin_definitions

POD: dict[str, Any] = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": "1", "b": "2"}},
    "spec": {"containers": [{"name": "app", "image": "nginx:1", "env": [{"name": "X", "value": "1"}]},
                            {"name": "side", "image": "busybox"}],
             "finalizers": None, "tolerations": [{"key": "k", "operator": "Exists"}]},
}


def _pod_cursor() -> SchemaCursor:
    definitions = builtin_definitions()
    return SchemaCursor(definitions, definitions.for_kind("", "v1", "Pod"))


SMP_CASES: list[tuple[str, dict[str, Any], Any]] = [
    ("merge list by name keeps other containers",
     {"spec": {"containers": [{"name": "app", "image": "nginx:2"}]}},
     lambda pod: [(c["name"], c["image"]) for c in pod["spec"]["containers"]] == [("app", "nginx:2"),
                                                                               ("side", "busybox")]),
    ("new element is appended",
     {"spec": {"containers": [{"name": "extra", "image": "x"}]}},
     lambda pod: [c["name"] for c in pod["spec"]["containers"]] == ["app", "side", "extra"]),
    ("$patch delete removes by key",
     {"spec": {"containers": [{"name": "side", "$patch": "delete"}]}},
     lambda pod: [c["name"] for c in pod["spec"]["containers"]] == ["app"]),
    ("$patch replace on a list",
     {"spec": {"containers": [{"name": "only", "image": "x"}, {"$patch": "replace"}]}},
     lambda pod: pod["spec"]["containers"] == [{"name": "only", "image": "x"}]),
    ("nested merge inside a list element",
     {"spec": {"containers": [{"name": "app", "env": [{"name": "Y", "value": "2"}]}]}},
     lambda pod: pod["spec"]["containers"][0]["env"] == [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}]),
    ("null deletes a map key",
     {"metadata": {"labels": {"a": None}}},
     lambda pod: pod["metadata"]["labels"] == {"b": "2"}),
    ("list without strategy is replaced",
     {"spec": {"tolerations": [{"key": "other", "operator": "Exists"}]}},
     lambda pod: pod["spec"]["tolerations"] == [{"key": "other", "operator": "Exists"}]),
    ("$patch replace on a map",
     {"metadata": {"labels": {"$patch": "replace", "c": "3"}}},
     lambda pod: pod["metadata"]["labels"] == {"c": "3"}),
    ("$setElementOrder reorders",
     {"$setElementOrder/containers": [{"name": "side"}, {"name": "app"}],
      "spec": {"$setElementOrder/containers": [{"name": "side"}, {"name": "app"}]}},
     lambda pod: [c["name"] for c in pod["spec"]["containers"]] == ["side", "app"]),
    ("$retainKeys drops unlisted keys",
     {"metadata": {"$retainKeys": ["name"], "name": "p"}},
     lambda pod: pod["metadata"] == {"name": "p"}),
]


@pytest.mark.parametrize(("name", "patch", "check"), SMP_CASES, ids=[case[0] for case in SMP_CASES])
def test_strategic_merge_patch(name: str, patch: dict[str, Any], check: Any) -> None:
    result = apply_strategic_merge_patch(POD, patch, _pod_cursor())
    assert check(result), result
    assert POD["spec"]["containers"][1]["name"] == "side"  # the original is untouched


def test_strategic_merge_patch_requires_merge_key() -> None:
    with pytest.raises(BadRequest, match="does not contain declared merge key: name"):
        apply_strategic_merge_patch(POD, {"spec": {"containers": [{"image": "x"}]}}, _pod_cursor())


def test_delete_from_primitive_list() -> None:
    definitions = builtin_definitions()
    cursor = SchemaCursor(definitions, definitions.for_kind("", "v1", "ConfigMap"))
    original = {"metadata": {"finalizers": ["a", "b", "c"]}}
    patch = {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"]}}
    assert apply_strategic_merge_patch(original, patch, cursor)["metadata"]["finalizers"] == ["a", "c"]


@pytest.mark.parametrize(("target", "patch", "expected"), [
    ({"a": 1, "b": {"c": 2}}, {"b": {"d": 3}}, {"a": 1, "b": {"c": 2, "d": 3}}),
    ({"a": 1}, {"a": None}, {}),
    ({"a": [1, 2]}, {"a": [3]}, {"a": [3]}),
    ({"a": {"b": 1}}, {"a": "x"}, {"a": "x"}),
])
def test_merge_patch(target: dict[str, Any], patch: dict[str, Any], expected: dict[str, Any]) -> None:
    assert apply_merge_patch(target, patch) == expected


def test_json_patch_operations_and_errors() -> None:
    document = {"data": {"a": "1"}}
    patched = apply_json_patch(document, [{"op": "add", "path": "/data/b", "value": "2"},
                                          {"op": "test", "path": "/data/a", "value": "1"},
                                          {"op": "remove", "path": "/data/a"}])
    assert patched == {"data": {"b": "2"}} and document == {"data": {"a": "1"}}
    with pytest.raises(PatchError) as failed:
        apply_json_patch(document, [{"op": "test", "path": "/data/a", "value": "nope"}])
    assert failed.value.code == 422 and failed.value.message == REJECTED
    with pytest.raises(BadRequest):
        apply_json_patch(document, {"op": "add"})
