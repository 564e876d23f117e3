"""apply, create, patch and update against the embedded cluster: success, failure and timeout paths,
``expect``/``$error``, outputs, dry run, cleanup registration and the client-level log lines."""

from __future__ import annotations

import http.server
import threading
import time
from functools import partial
from typing import Any

import pytest

from chainsaw_py.loading.model import Apply, Create, Expectation, Output, Patch, Update
from chainsaw_py.operations import apply, create, patch, update
from chainsaw_py.operations.base import OperationError
from chainsaw_py.operations.internal import resources
from tests.operations.harness import Harness, configmap

UNKNOWN_FIELD = ('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: '
                 'unknown field "bar"')


def run_apply(h: Harness, resource: dict[str, Any], **fields: Any) -> Any:
    return apply.run(Apply(resource=resource, **fields), resource, h.ctx())


def test_apply_creates_then_patches(harness: Harness) -> None:
    ns = harness.namespace
    run_apply(harness, configmap("a", foo="bar"))
    assert harness.cleaner.names() == ["ConfigMap/a"]
    run_apply(harness, configmap("a", other="x"))
    assert harness.client.get("v1", "ConfigMap", ns, "a")["data"] == {"foo": "bar", "other": "x"}
    assert harness.cleaner.names() == ["ConfigMap/a"]  # patched objects are not registered again
    assert harness.lines() == [
        f"test | step | APPLY | RUN | v1/ConfigMap @ {ns}/a",
        f"test | step | CREATE | OK | v1/ConfigMap @ {ns}/a",
        f"test | step | APPLY | DONE | v1/ConfigMap @ {ns}/a",
        f"test | step | APPLY | RUN | v1/ConfigMap @ {ns}/a",
        f"test | step | PATCH | OK | v1/ConfigMap @ {ns}/a",
        f"test | step | APPLY | DONE | v1/ConfigMap @ {ns}/a",
    ]


def test_apply_templates_and_injects_the_namespace(harness: Harness) -> None:
    resource = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "($namespace)"},
                "data": {"ns": "($namespace)", "kept": "\\(escaped)\\"}}
    run_apply(harness, resource)
    got = harness.client.get("v1", "ConfigMap", harness.namespace, harness.namespace)
    assert got["data"] == {"ns": harness.namespace, "kept": "\\(escaped)\\"}


def test_apply_without_templating_keeps_expressions(harness: Harness) -> None:
    resource = configmap("raw", v="($namespace)")
    apply.run(Apply(resource=resource), resource, harness.ctx(templating=False))
    assert harness.client.get("v1", "ConfigMap", harness.namespace, "raw")["data"] == {"v": "($namespace)"}


def test_expect_consumes_the_field_validation_error(harness: Harness) -> None:
    resource = {**configmap("fv", foo="bar"), "bar": "baz"}
    run_apply(harness, resource, expect=[Expectation(check={"($error)": UNKNOWN_FIELD})])
    assert not harness.exists("v1", "ConfigMap", "fv")
    assert harness.cleaner.added == []
    assert f"CREATE | ERROR | v1/ConfigMap @ {harness.namespace}/fv\n=== ERROR\n{UNKNOWN_FIELD}" in harness.log()


def test_expect_applies_only_to_matching_resources(harness: Harness) -> None:
    expect = [Expectation(match={"metadata": {"name": "bad"}}, check={"($error != null)": True})]
    run_apply(harness, configmap("good", foo="bar"), expect=expect)
    run_apply(harness, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bad"}, "data": {"foo": True}},
              expect=expect)
    assert harness.exists("v1", "ConfigMap", "good") and not harness.exists("v1", "ConfigMap", "bad")


def test_apply_fails_at_once_on_an_invalid_object(harness: Harness) -> None:
    resource = {**configmap("never", foo="bar"), "bar": "baz"}
    with pytest.raises(OperationError) as caught:
        apply.run(Apply(resource=resource), resource, harness.ctx(timeout=5))
    assert str(caught.value) == UNKNOWN_FIELD
    assert harness.log().count("CREATE | ERROR") == 1  # a 400 is not retried
    assert "CREATE | OK" not in harness.log()
    assert harness.lines()[-3:] == [f"test | step | APPLY | ERROR | v1/ConfigMap @ {harness.namespace}/never",
                                    "=== ERROR", UNKNOWN_FIELD]


def test_apply_outputs_see_the_created_object_and_error(harness: Harness) -> None:
    outputs = [Output(name="uid", value="(metadata.uid)"), Output(name="err", value="($error)"),
               Output(name="skipped", value="x", match={"metadata": {"name": "other"}})]
    result = run_apply(harness, configmap("out", a="b"), outputs=outputs)
    assert set(result) == {"uid", "err"}
    assert result["uid"] == harness.client.get("v1", "ConfigMap", harness.namespace, "out")["metadata"]["uid"]
    assert result["err"] is None


def test_apply_dry_run_writes_and_registers_nothing(harness: Harness) -> None:
    resource = configmap("dry", a="b")
    apply.run(Apply(resource=resource), resource, harness.ctx(dry_run=True, cleaner=None))
    assert not harness.exists("v1", "ConfigMap", "dry")


def test_apply_forces_the_termination_grace_period(harness: Harness) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "graceful"},
           "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    apply.run(Apply(resource=pod), pod, harness.ctx(termination_grace=7.0))
    got = harness.client.get("v1", "Pod", harness.namespace, "graceful")
    assert got["spec"]["terminationGracePeriodSeconds"] == 7


def test_apply_without_cluster(harness: Harness) -> None:
    with pytest.raises(OperationError, match="cluster client not set"):
        apply.run(Apply(resource=configmap("x")), configmap("x"), harness.ctx(cluster=None))
    assert "APPLY | ERROR | v1/ConfigMap @ x" in harness.log()


def test_unknown_kinds_fail_with_the_mapper_message(harness: Harness) -> None:
    resource = {"apiVersion": "nope.example.com/v1", "kind": "Nope", "metadata": {"name": "n"}}
    with pytest.raises(OperationError, match='no matches for kind "Nope" in version "nope.example.com/v1"'):
        run_apply(harness, resource)


# ------------------------------------------------------------------------------------------- create


def test_create_registers_and_refuses_existing_objects(harness: Harness) -> None:
    resource = configmap("c", a="b")
    create.run(Create(resource=resource), resource, harness.ctx())
    assert harness.cleaner.names() == ["ConfigMap/c"]
    started = time.monotonic()
    with pytest.raises(OperationError, match="the resource already exists in the cluster"):
        create.run(Create(resource=resource), resource, harness.ctx(timeout=30))
    assert time.monotonic() - started < 20  # not retried until the timeout


def test_create_errors_go_to_expect(harness: Harness) -> None:
    resource = {**configmap("cx"), "bar": "baz"}
    create.run(Create(resource=resource, expect=[Expectation(check={"($error)": UNKNOWN_FIELD})]), resource,
               harness.ctx())
    with pytest.raises(OperationError, match="unknown field"):
        create.run(Create(resource=resource), resource, harness.ctx(timeout=30))


def test_create_check_failures_are_reported(harness: Harness) -> None:
    resource = configmap("cy", a="b")
    with pytest.raises(OperationError) as caught:
        create.run(Create(resource=resource, expect=[Expectation(check={"($error != null)": True})]), resource,
                   harness.ctx())
    assert str(caught.value) == "($error != null): Invalid value: false: Expected value: true"


# ------------------------------------------------------------------------------------------- patch


def test_patch_merges_and_is_not_cleaned_up(harness: Harness) -> None:
    harness.apply(configmap("p", foo="bar"))
    resource = configmap("p", lorem="ipsum")
    patch.run(Patch(resource=resource), resource, harness.ctx())
    assert harness.client.get("v1", "ConfigMap", harness.namespace, "p")["data"] == {"foo": "bar", "lorem": "ipsum"}
    assert harness.cleaner.added == []
    assert f"PATCH | OK | v1/ConfigMap @ {harness.namespace}/p" in harness.log()


def test_patch_of_a_missing_object_fails_at_once(harness: Harness) -> None:
    resource = configmap("missing", a="b")
    started = time.monotonic()
    with pytest.raises(OperationError, match='configmaps "missing" not found'):
        patch.run(Patch(resource=resource), resource, harness.ctx(timeout=30))
    assert time.monotonic() - started < 20


def test_patch_status_subresource(harness: Harness) -> None:
    harness.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "sp"},
                   "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
    condition = {"type": "TestCondition", "status": "True", "reason": "R", "message": "M",
                 "lastTransitionTime": "2026-03-28T10:51:35Z"}
    resource = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "sp"}, "status": {"conditions": [condition]}}
    deadline = time.monotonic() + 10
    while True:  # the simulated kubelet also writes the status: retry until ours is the last word
        patch.run(Patch(resource=resource, subresource="status"), resource, harness.ctx())
        conditions = harness.client.get("v1", "Pod", harness.namespace, "sp")["status"].get("conditions", [])
        if condition_set(condition, conditions) or time.monotonic() > deadline:
            break
    assert condition_set(condition, conditions)


def condition_set(condition: dict[str, Any], conditions: list[dict[str, Any]]) -> bool:
    """``condition`` is among ``conditions`` as the apiserver writes them back (``lastProbeTime: null`` added)."""
    return {**condition, "lastProbeTime": None} in conditions


# ------------------------------------------------------------------------------------------- update


def test_update_replaces_and_logs_like_chainsaw(harness: Harness) -> None:
    harness.apply(configmap("u", foo="bar"))
    resource = configmap("u", lorem="ipsum")
    update.run(Update(resource=resource), resource, harness.ctx())
    assert harness.client.get("v1", "ConfigMap", harness.namespace, "u")["data"] == {"lorem": "ipsum"}
    assert f"PATCH | OK | v1/ConfigMap @ {harness.namespace}/u" in harness.log()  # Chainsaw's client says PATCH
    assert harness.cleaner.added == []


def test_update_of_a_missing_object(harness: Harness) -> None:
    with pytest.raises(OperationError, match="the resource does not exist in the cluster"):
        update.run(Update(resource=configmap("gone")), configmap("gone"), harness.ctx())


def test_update_failure_is_logged_as_update(harness: Harness) -> None:
    harness.apply(configmap("uf", foo="bar"))
    resource = {**configmap("uf"), "bar": "baz"}
    with pytest.raises(OperationError, match="unknown field"):
        update.run(Update(resource=resource), resource, harness.ctx())
    assert f"UPDATE | ERROR | v1/ConfigMap @ {harness.namespace}/uf\n=== ERROR" in harness.log()


# ------------------------------------------------------------------------------------------- files


def test_apply_from_globs_lists_and_urls(harness: Harness) -> None:
    (harness.base_path / "one.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: g1\n")
    (harness.base_path / "two.yaml").write_text(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: g2\n"
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: g3\n")
    (harness.base_path / "served.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: url\n")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(harness.base_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        ctx = harness.ctx()
        documents = resources.resolve("*.yaml", None, ctx, manifest=True)
        documents += resources.resolve(f"http://127.0.0.1:{server.server_port}/served.yaml", None, ctx, manifest=True)
    finally:
        server.shutdown()
    names = [doc["metadata"]["name"] for doc in documents]
    assert names == ["g1", "url", "g2", "g3", "url"]
    for document in documents[:4]:
        apply.run(Apply(file="*.yaml"), document, harness.ctx())
    assert harness.cleaner.names() == ["ConfigMap/g1", "ConfigMap/url", "ConfigMap/g2", "ConfigMap/g3"]


def test_missing_files_are_reported(harness: Harness) -> None:
    with pytest.raises(OperationError, match="no files found matching path"):
        resources.resolve("nothing-*.yaml", None, harness.ctx(), manifest=True)


def test_outputs_of_a_patch_see_the_servers_object(harness: Harness) -> None:
    live = harness.apply(configmap("po", a="1"))
    resource = configmap("po", b="2")
    outputs = [Output(name="uid", value="(metadata.uid)"), Output(name="data", value="(data)")]
    result = patch.run(Patch(resource=resource, outputs=outputs), resource, harness.ctx())
    assert result == {"uid": live["metadata"]["uid"], "data": {"a": "1", "b": "2"}}
    again = run_apply(harness, configmap("po", c="3"), outputs=outputs)
    assert again == {"uid": live["metadata"]["uid"], "data": {"a": "1", "b": "2", "c": "3"}}
