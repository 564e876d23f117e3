"""The client facade against the embedded cluster: CRUD, strict validation, mapping refresh after a CRD,
tables, raw reads, change feeds, and the ``x_k8s_*`` functions through ``$client``/``$config``."""

from __future__ import annotations

import threading
import time

import pytest

from chainsaw_py.client.errors import ApiError, NoKindMatchError, NotFoundError
from chainsaw_py.expressions import Bindings, ExpressionError, evaluate
from tests.operations.harness import Harness, configmap


def test_crud_round_trip(harness: Harness) -> None:
    client, ns = harness.client, harness.namespace
    created = client.create({**configmap("a", foo="bar"), "metadata": {"name": "a", "namespace": ns,
                                                                       "labels": {"app": "x"}}})
    assert created["apiVersion"] == "v1" and created["kind"] == "ConfigMap" and created["metadata"]["uid"]
    assert client.get("v1", "ConfigMap", ns, "a")["data"] == {"foo": "bar"}
    patched = client.patch(created, {"data": {"more": "yes"}})
    assert patched["data"] == {"foo": "bar", "more": "yes"}
    replaced = client.update({**patched, "data": {"only": "this"}})
    assert replaced["data"] == {"only": "this"}
    listing = client.list("v1", "ConfigMap", ns, {"app": "x"})
    assert [item["metadata"]["name"] for item in listing["items"]] == ["a"]
    assert all(item["kind"] == "ConfigMap" and item["apiVersion"] == "v1" for item in listing["items"])
    assert client.list("v1", "ConfigMap", ns, "app=y")["items"] == []
    client.delete("v1", "ConfigMap", ns, "a", propagation="Background")
    with pytest.raises(NotFoundError, match='configmaps "a" not found'):
        client.get("v1", "ConfigMap", ns, "a")


def test_writes_use_strict_field_validation(harness: Harness) -> None:
    with pytest.raises(ApiError) as caught:
        harness.client.create({**configmap("bad", foo="bar"), "bar": "baz",
                               "metadata": {"name": "bad", "namespace": harness.namespace}})
    assert str(caught.value) == ('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: '
                                 'unknown field "bar"')
    assert caught.value.code == 400


def test_dry_run_writes_nothing(harness: Harness) -> None:
    obj = {**configmap("dry", a="b"), "metadata": {"name": "dry", "namespace": harness.namespace}}
    assert harness.client.create(obj, dry_run=True)["metadata"]["name"] == "dry"
    assert not harness.exists("v1", "ConfigMap", "dry")


def test_names_are_required_where_go_requires_them(harness: Harness) -> None:
    with pytest.raises(ApiError, match="resource name may not be empty"):
        harness.client.get("v1", "ConfigMap", harness.namespace, "")
    with pytest.raises(ApiError, match="resource name may not be empty"):
        harness.client.patch(configmap(""), {"data": {}})


def test_mapping_learns_kinds_registered_by_a_crd(harness: Harness) -> None:
    client = harness.client
    with pytest.raises(NoKindMatchError):
        client.resource("mapping.example.com/v1", "Gadget")
    assert client.resource_exists("mapping.example.com/v1", "Gadget") is False
    client.create({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "gadgets.mapping.example.com"},
        "spec": {"group": "mapping.example.com", "scope": "Namespaced",
                 "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget", "listKind": "GadgetList"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                     "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]}})
    try:
        deadline = time.monotonic() + 10
        while not client.resource_exists("mapping.example.com/v1", "Gadget") and time.monotonic() < deadline:
            time.sleep(0.05)
        resource = client.resource("mapping.example.com/v1", "Gadget")
        assert (resource.plural, resource.namespaced) == ("gadgets", True)
    finally:
        client.delete("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "gadgets.mapping.example.com")


def test_tables_and_raw_reads(harness: Harness) -> None:
    harness.apply(configmap("t", a="1", b="2"))
    table = harness.client.table("v1", "ConfigMap", harness.namespace)
    assert table["kind"] == "Table"
    names = [column["name"] for column in table["columnDefinitions"]]
    assert names[:2] == ["Name", "Data"]
    assert ["t", 2] in [row["cells"][:2] for row in table["rows"]]
    assert b'"kind":"APIResourceList"' in harness.client.raw_get("/api/v1").replace(b" ", b"")


def test_change_waiter_wakes_on_a_change_of_the_kind(harness: Harness) -> None:
    cm = harness.apply(configmap("w", v="1"))
    wake = harness.client.change_waiter("v1", "ConfigMap")
    assert wake is not None
    threading.Timer(0.2, lambda: harness.client.patch(cm, {"data": {"v": "2"}})).start()
    started = time.monotonic()
    wake(30.0)
    assert time.monotonic() - started < 20.0  # woken by the event, not by the 30 s timeout
    assert harness.client.change_waiter("v1", "NoSuchKind") is None


def test_x_k8s_functions_through_the_client(harness: Harness) -> None:
    harness.apply(configmap("fn", k="v"))
    bindings = Bindings().register("client", harness.client).register("config", harness.cluster.config) \
        .register("ns", harness.namespace)
    assert evaluate("x_k8s_get($client, 'v1', 'ConfigMap', $ns, 'fn').data.k", None, bindings) == "v"
    assert evaluate("length(x_k8s_list($client, 'v1', 'ConfigMap', $ns).items)", None, bindings) >= 1
    assert evaluate("x_k8s_exists($client, 'v1', 'ConfigMap', $ns, 'fn')", None, bindings) is True
    assert evaluate("x_k8s_exists($client, 'v1', 'ConfigMap', $ns, 'nope')", None, bindings) is False
    assert evaluate("x_k8s_resource_exists($client, 'apps/v1', 'Deployment')", None, bindings) is True
    assert evaluate("x_k8s_resource_exists($client, 'apps/v1', 'Nothing')", None, bindings) is False
    version = evaluate("x_k8s_server_version($config)", None, bindings)
    assert version["major"] == "1" and version["gitVersion"]
    with pytest.raises(ExpressionError, match='configmaps "nope" not found'):
        evaluate("x_k8s_get($client, 'v1', 'ConfigMap', $ns, 'nope')", None, bindings)
