"""delete against the embedded cluster: by name, by labels, from a file, nothing found, expect, waiting
until gone (finalizers), propagation and the delete timeout."""

from __future__ import annotations

import threading

import pytest

from chainsaw_py.loading.model import Delete, Expectation, ObjectReference
from chainsaw_py.operations import delete
from chainsaw_py.operations.base import OperationError
from tests.operations.harness import Harness, configmap


def run_delete(h: Harness, action: Delete, **ctx: object) -> None:
    for payload in delete.load(action, h.ctx()):
        delete.run(action, payload, h.ctx(**ctx))


def test_delete_by_name(harness: Harness) -> None:
    harness.apply(configmap("a"))
    run_delete(harness, Delete(ref=ObjectReference(api_version="v1", kind="ConfigMap", name="a")))
    assert not harness.exists("v1", "ConfigMap", "a")
    ns = harness.namespace
    assert harness.lines() == [f"test | step | DELETE | RUN | v1/ConfigMap @ {ns}/a",
                               f"test | step | DELETE | OK | v1/ConfigMap @ {ns}/a",
                               f"test | step | DELETE | DONE | v1/ConfigMap @ {ns}/a"]


def test_delete_by_labels_and_templated_names(harness: Harness) -> None:
    for name, team in (("x1", "a"), ("x2", "a"), ("y", "b")):
        harness.apply({**configmap(name), "metadata": {"name": name, "labels": {"team": team}}})
    run_delete(harness, Delete(ref=ObjectReference(api_version="v1", kind="ConfigMap", labels={"team": "a"})))
    assert [harness.exists("v1", "ConfigMap", n) for n in ("x1", "x2", "y")] == [False, False, True]
    run_delete(harness, Delete(ref=ObjectReference(api_version="v1", kind="ConfigMap", name="($target)")),
               bindings=harness.ctx().bindings.register("target", "y"))
    assert not harness.exists("v1", "ConfigMap", "y")


def test_delete_from_a_file(harness: Harness) -> None:
    (harness.base_path / "cms.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: f1\n---\n"
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: f2\n")
    harness.apply(configmap("f1"))
    harness.apply(configmap("f2"))
    run_delete(harness, Delete(file="cms.yaml"))
    assert not harness.exists("v1", "ConfigMap", "f1") and not harness.exists("v1", "ConfigMap", "f2")


def test_nothing_to_delete_is_success(harness: Harness) -> None:
    run_delete(harness, Delete(ref=ObjectReference(api_version="v1", kind="ConfigMap", name="absent")))
    assert "DELETE | DONE" in harness.log() and "DELETE | OK" not in harness.log()


def test_expect_sees_the_deleted_resource(harness: Harness) -> None:
    harness.apply(configmap("e", k="v"))
    action = Delete(ref=ObjectReference(api_version="v1", kind="ConfigMap", name="e"),
                    expect=[Expectation(check={"($error)": None, "data": {"k": "other"}})])
    with pytest.raises(OperationError, match='data.k: Invalid value: "v": Expected value: "other"'):
        run_delete(harness, action)
    assert not harness.exists("v1", "ConfigMap", "e")


def test_delete_waits_until_gone(harness: Harness) -> None:
    harness.apply({**configmap("fin"), "metadata": {"name": "fin", "finalizers": ["example.com/hold"]}})

    def release() -> None:
        harness.client.patch(configmap("fin") | {"metadata": {"name": "fin", "namespace": harness.namespace}},
                             {"metadata": {"finalizers": None}})

    timer = threading.Timer(0.5, release)
    timer.start()
    try:
        run_delete(harness, Delete(ref=ObjectReference(api_version="v1", kind="ConfigMap", name="fin")))
    finally:
        timer.cancel()
    assert not harness.exists("v1", "ConfigMap", "fin")


def test_delete_times_out_while_the_object_stays(harness: Harness) -> None:
    harness.apply({**configmap("stuck"), "metadata": {"name": "stuck", "finalizers": ["example.com/hold"]}})
    try:
        with pytest.raises(OperationError, match="context deadline exceeded"):
            run_delete(harness, Delete(ref=ObjectReference(api_version="v1", kind="ConfigMap", name="stuck")),
                       timeout=0.3)
    finally:
        harness.client.patch({**configmap("stuck"), "metadata": {"name": "stuck", "namespace": harness.namespace}},
                             {"metadata": {"finalizers": None}})


def test_orphan_propagation_keeps_dependents(harness: Harness) -> None:
    owner = harness.apply(configmap("owner"))
    harness.apply({**configmap("dependent"), "metadata": {"name": "dependent", "ownerReferences": [{
        "apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}]}})
    run_delete(harness, Delete(ref=ObjectReference(api_version="v1", kind="ConfigMap", name="owner")),
               deletion_propagation="Orphan")
    assert harness.exists("v1", "ConfigMap", "dependent")
