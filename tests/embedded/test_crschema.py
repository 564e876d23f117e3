"""Pruning of custom resources against their structural schema, as apiextensions-apiserver prunes."""

from __future__ import annotations

from typing import Any

from chainsaw_py.embedded.crschema import prune

# The shape of opentelemetry-operator's TargetAllocator.spec.scrapeConfigs: the array preserves unknown fields
# and its items are bare objects (replays its e2e test's Prometheus job_name / static_configs).
_SCHEMA: dict[str, Any] = {"type": "object", "properties": {"spec": {"type": "object", "properties": {
    "scrapeConfigs": {"type": "array", "x-kubernetes-preserve-unknown-fields": True,
                      "items": {"type": "object"}},
    "listed": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
    "kept": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
             "properties": {"inner": {"type": "object", "properties": {"a": {"type": "string"}}}}}}}}}


def test_an_array_that_preserves_unknown_fields_keeps_them_in_its_items() -> None:
    obj = {"spec": {"scrapeConfigs": [{"job_name": "x", "static_configs": [{"targets": ["a:1"]}]}]}}
    assert prune(obj, _SCHEMA) == []
    assert obj["spec"]["scrapeConfigs"][0]["job_name"] == "x"


def test_items_of_a_plain_array_are_pruned() -> None:
    obj = {"spec": {"listed": [{"name": "n", "extra": 1}]}}
    assert prune(obj, _SCHEMA) == ["spec.listed[0].extra"]
    assert obj["spec"]["listed"] == [{"name": "n"}]


def test_declared_properties_of_a_preserving_object_are_still_pruned() -> None:
    obj = {"spec": {"kept": {"free": 1, "inner": {"a": "x", "b": "y"}}}}
    assert prune(obj, _SCHEMA) == ["spec.kept.inner.b"]
    assert obj["spec"]["kept"] == {"free": 1, "inner": {"a": "x"}}
