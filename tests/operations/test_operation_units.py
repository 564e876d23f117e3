"""Operation building blocks without a cluster: termination grace, expectations, kubectl's printers,
wait conditions, command lines."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import pytest

from chainsaw_py.client.client import Resource
from chainsaw_py.client.errors import ApiError, ConnectionFailed, NotFoundError
from chainsaw_py.expressions import Bindings
from chainsaw_py.golang.durations import human_duration
from chainsaw_py.loading.model import Delete, Expectation, ObjectReference
from chainsaw_py.operations.base import OperationError
from chainsaw_py.operations.delete import reference_object
from chainsaw_py.operations.internal import kubeprint
from chainsaw_py.operations.internal.kubectl import KubectlFailure, Target, kubectl_error, server_error
from chainsaw_py.operations.internal.mutation import check_expectations, force_termination_grace
from chainsaw_py.operations.proxy import go_path_join
from chainsaw_py.operations.wait import condition_check, jsonpath_check

# ------------------------------------------------------------------------------------------- grace


@pytest.mark.parametrize(("kind", "path"), [
    ("Pod", ["spec"]),
    ("Deployment", ["spec", "template", "spec"]),
    ("StatefulSet", ["spec", "template", "spec"]),
    ("DaemonSet", ["spec", "template", "spec"]),
    ("Job", ["spec", "template", "spec"]),
    ("CronJob", ["spec", "jobTemplate", "spec", "template", "spec"]),
])
def test_termination_grace_goes_into_the_pod_spec(kind: str, path: list[str]) -> None:
    obj = force_termination_grace({"kind": kind, "spec": {"existing": True}}, 5.9)
    node: Any = obj
    for key in path:
        node = node[key]
    assert node["terminationGracePeriodSeconds"] == 5
    assert obj["spec"]["existing"] is True


@pytest.mark.parametrize(("kind", "seconds"), [("ConfigMap", 5.0), ("Pod", None), ("Pod", 0.4)])
def test_termination_grace_leaves_other_objects_alone(kind: str, seconds: float | None) -> None:
    assert force_termination_grace({"kind": kind, "spec": {}}, seconds) == {"kind": kind, "spec": {}}


def test_termination_grace_refuses_a_non_map_path() -> None:
    with pytest.raises(OperationError, match=r"\.spec\.template is not a map"):
        force_termination_grace({"kind": "Deployment", "spec": {"template": "oops"}}, 5)


# ------------------------------------------------------------------------------------------- expect

BAD = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bad"}}


@pytest.mark.parametrize(("expect", "error", "matched", "errors"), [
    ([], "boom", False, None),
    ([Expectation(check={"($error != null)": True})], "boom", True, None),
    ([Expectation(check={"($error != null)": True})], None, True,
     "($error != null): Invalid value: false: Expected value: true"),
    ([Expectation(match={"metadata": {"name": "good"}}, check={"($error)": "x"})], "boom", False, None),
    ([Expectation(match={"metadata": {"name": "bad"}}, check={"($error)": "boom"})], "boom", True, None),
    # match is checked without bindings: $error is not defined there
    ([Expectation(match={"($error)": "boom"}, check={"($error)": "boom"})], "boom", True,
     "variable not defined: $error"),
])
def test_expectations(expect: list[Expectation], error: str | None, matched: bool, errors: str | None) -> None:
    bindings = Bindings().register("error", error)
    got_matched, got_error = check_expectations(expect, BAD, bindings, "jp")
    assert got_matched is matched
    if errors is None:
        assert got_error is None
    else:
        assert got_error is not None and errors in str(got_error)


# ------------------------------------------------------------------------------------------- printers


def test_json_indent_matches_go() -> None:
    value: dict[str, Any] = {"b": [1, {"x": "<&>"}], "a": {}, "c": [], "d": None, "e": 1.5, "f": True}
    assert kubeprint.json_indent(value) == (
        '{\n    "a": {},\n    "b": [\n        1,\n        {\n            "x": "\\u003c\\u0026\\u003e"\n        }\n'
        '    ],\n    "c": [],\n    "d": null,\n    "e": 1.5,\n    "f": true\n}')


def test_json_and_yaml_lists_look_like_kubectl() -> None:
    empty = kubeprint.list_object([])
    assert kubeprint.print_json(empty) == ('{\n    "apiVersion": "v1",\n    "items": [],\n    "kind": "List",\n'
                                          '    "metadata": {\n        "resourceVersion": ""\n    }\n}\n')
    assert kubeprint.print_yaml(empty) == 'apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: ""\n'


def test_managed_fields_are_omitted() -> None:
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "managedFields": [{"manager": "x"}]}}
    assert "managedFields" not in kubeprint.print_yaml(obj)
    assert "managedFields" not in kubeprint.print_json(kubeprint.list_object([obj]))


def test_secret_values_are_redacted() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "c2VjcmV0"},
              "stringData": {"p": "plain"}}
    for text in (kubeprint.print_yaml(secret), kubeprint.print_json(kubeprint.list_object([secret])),
                 kubeprint.print_formatted(secret, "jsonpath={.data.k}")):
        assert "c2VjcmV0" not in text and "plain" not in text and "(redacted)" in text


@pytest.mark.parametrize(("obj", "name"), [
    ({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}, "pod/p"),
    ({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}}, "deployment.apps/d"),
])
def test_object_names(obj: dict[str, Any], name: str) -> None:
    assert kubeprint.object_name(obj) == name
    assert kubeprint.print_names([obj], "condition met") == f"{name} condition met\n"


@pytest.mark.parametrize(("output", "expected"), [
    ("name", "pod/p\n"),
    ("jsonpath={.metadata.name}", "p"),
    ("jsonpath={.items[*].metadata.name}", ""),
])
def test_formatted_output(output: str, expected: str) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}
    assert kubeprint.print_formatted(pod, output) == expected


def test_unknown_formats_are_refused() -> None:
    with pytest.raises(kubeprint.PrintError, match='output format "wat"'):
        kubeprint.print_formatted({}, "wat")


def test_tabwriter_pads_like_kubectl() -> None:
    rows = [["NAME", "READY", "STATUS", "RESTARTS", "AGE"], ["example", "1/1", "Running", "0", "4s"]]
    assert kubeprint.tabwrite(rows) == ("NAME      READY   STATUS    RESTARTS   AGE\n"
                                        "example   1/1     Running   0          4s\n")


def test_table_from_a_server_table() -> None:
    table = {"columnDefinitions": [{"name": "Name", "type": "string", "priority": 0},
                                   {"name": "Node", "type": "string", "priority": 1},
                                   {"name": "Age", "type": "date", "priority": 0}],
             "rows": [{"cells": ["web", "n1", "2026-01-01T00:00:00Z"],
                       "object": {"metadata": {"namespace": "ns"}}}]}
    from datetime import datetime

    now = datetime(2026, 1, 1, 0, 5, tzinfo=UTC)
    assert kubeprint.print_table(table, now=now) == "NAME   AGE\nweb    5m\n"
    assert kubeprint.print_table(table, wide=True, namespace_column=True, now=now) == \
        "NAMESPACE   NAME   NODE   AGE\nns          web    n1     5m\n"


@pytest.mark.parametrize(("delta", "text"), [
    (timedelta(seconds=-5), "<invalid>"), (timedelta(0), "0s"), (timedelta(seconds=119), "119s"),
    (timedelta(minutes=2), "2m"), (timedelta(minutes=2, seconds=1), "2m1s"), (timedelta(minutes=10), "10m"),
    (timedelta(hours=3), "3h"), (timedelta(hours=3, minutes=1), "3h1m"), (timedelta(hours=8), "8h"),
    (timedelta(hours=47), "47h"), (timedelta(hours=48), "2d"), (timedelta(hours=49), "2d1h"),
    (timedelta(days=8), "8d"), (timedelta(days=730), "2y"), (timedelta(days=731), "2y1d"),
    (timedelta(days=365 * 9), "9y"),
])
def test_human_durations(delta: timedelta, text: str) -> None:
    assert human_duration(delta.total_seconds()) == text


def test_generic_describe_layout() -> None:
    text = kubeprint.describe_generic({
        "apiVersion": "example.com/v1", "kind": "Issue",
        "metadata": {"name": "i", "namespace": "ns", "labels": {"b": "2", "a": "1"}, "uid": "u-1"},
        "spec": {"mapExperiment": {"foo": "bar"}, "items": ["x"]}})
    assert text == (
        "Name:         i\nNamespace:    ns\nLabels:       a=1\n              b=2\nAnnotations:  <none>\n"
        "API Version:  example.com/v1\nKind:         Issue\nMetadata:\n  UID:  u-1\nSpec:\n  Items:\n    x\n"
        "  Map Experiment:\n    Foo:  bar\nEvents:  <none>\n")


# ------------------------------------------------------------------------------------------- wait

POD = {"metadata": {"generation": 2},
       "status": {"observedGeneration": 2, "phase": "Running", "replicas": 3,
                  "conditions": [{"type": "Ready", "status": "True"}, {"type": "Stale", "status": "False",
                                                                      "observedGeneration": 1}]}}


@pytest.mark.parametrize(("name", "status", "met"), [
    ("Ready", "true", True), ("ready", "TRUE", True), ("Ready", "False", False), ("Missing", "true", False),
    ("Stale", "False", False),  # the condition is older than the object's generation
])
def test_condition_checks(name: str, status: str, met: bool) -> None:
    assert condition_check(name, status)(POD) is met


@pytest.mark.parametrize(("path", "value", "met"), [
    ("{.status.phase}", "Running", True), (".status.phase", "'Running'", True), ("status.phase", "Pending", False),
    ("{.status.replicas}", "3", True), ("{.status.missing}", None, False), ("{.status.phase}", None, True),
])
def test_jsonpath_checks(path: str, value: str | None, met: bool) -> None:
    assert jsonpath_check(path, value)(POD) is met


@pytest.mark.parametrize(("path", "message"), [
    ("{.status.conditions}", "nested object or list"),
    ("{.status.conditions[*].type}", "matches more than one value"),
])
def test_jsonpath_check_errors(path: str, message: str) -> None:
    with pytest.raises(KubectlFailure, match=message):
        jsonpath_check(path, "x")(POD)


def test_jsonpath_syntax_errors_fail_the_operation() -> None:
    with pytest.raises(OperationError):
        jsonpath_check("{{.x}", "1")


# ------------------------------------------------------------------------------------------- commands

PODS = Resource("", "v1", "Pod", "pods", True)
NODES = Resource("", "v1", "Node", "nodes", False)


@pytest.mark.parametrize(("target", "selection", "scope"), [
    (Target(PODS, name="p"), ["p"], ["-n", "$NAMESPACE"]),
    (Target(PODS, selector="a=b", namespace="x"), ["-l", "a=b"], ["-n", "x"]),
    (Target(PODS, namespace="*"), [], ["--all-namespaces"]),
    (Target(NODES, name="n", namespace="ignored"), ["n"], []),
])
def test_target_arguments(target: Target, selection: list[str], scope: list[str]) -> None:
    assert target.selection_args() == selection
    assert target.scope_args() == scope


@pytest.mark.parametrize(("error", "text"), [
    (NotFoundError('pods "x" not found'), 'Error from server (NotFound): pods "x" not found'),
    (ApiError("denied", code=403, reason="Forbidden"), "Error from server (Forbidden): denied"),
    (ApiError("odd", code=500, reason=""), "Error from server: odd"),
    (ConnectionFailed('Get "https://x": refused'), 'error: Get "https://x": refused'),
])
def test_server_errors_read_like_kubectl(error: ApiError, text: str) -> None:
    assert server_error(error) == text


def test_plain_errors_get_kubectls_prefix() -> None:
    assert kubectl_error("no matching resources found") == "error: no matching resources found"
    assert kubectl_error("error: already") == "error: already"


@pytest.mark.parametrize(("parts", "path"), [
    (("/api", "v1", "namespaces", "ns", "services", "svc:80", "proxy", "/metrics"),
     "/api/v1/namespaces/ns/services/svc:80/proxy/metrics"),
    (("/api", "v1", "namespaces", "", "services", "svc:http", "proxy", ""), "/api/v1/namespaces/services/svc:http/proxy"),
])
def test_proxy_paths_join_like_go(parts: tuple[str, ...], path: str) -> None:
    assert go_path_join(*parts) == path


def test_delete_reference_objects() -> None:
    ref = ObjectReference(api_version="v1", kind="ConfigMap", name="($n)", labels={"a": "b"})
    assert reference_object(Delete(ref=ref)) == {"apiVersion": "v1", "kind": "ConfigMap",
                                                 "metadata": {"name": "($n)", "labels": {"a": "b"}}}
    assert reference_object(Delete(ref=ObjectReference(api_version="v1", kind="Pod"))) == \
        {"apiVersion": "v1", "kind": "Pod"}
