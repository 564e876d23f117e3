"""HTTP-level behaviour a client sees: deletecollection, logs (plain and follow), dry runs, discovery docs."""

from __future__ import annotations

import json
import ssl
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster
from tests.embedded.conftest import wait_for


def _call(cluster: EmbeddedCluster, method: str, path: str, body: Any = None,
          content_type: str = "application/json", accept: str = "application/json") -> tuple[int, Any]:
    context = ssl.create_default_context(cadata=(cluster.ca_pem or b"").decode())
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{cluster.server_url}{path}", data=data, method=method,
                                     headers={"Authorization": f"Bearer {cluster.token}",
                                              "Content-Type": content_type, "Accept": accept})
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw.startswith(b"{") else raw.decode()
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_deletecollection_with_selector(cluster: EmbeddedCluster, namespace: str) -> None:
    for name, tier in (("a", "x"), ("b", "x"), ("c", "y")):
        _call(cluster, "POST", f"/api/v1/namespaces/{namespace}/configmaps",
              {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": {"tier": tier}}})
    code, body = _call(cluster, "DELETE", f"/api/v1/namespaces/{namespace}/configmaps?labelSelector=tier%3Dx")
    assert code == 200 and body["kind"] == "ConfigMapList"
    assert sorted(item["metadata"]["name"] for item in body["items"]) == ["a", "b"]
    _code, remaining = _call(cluster, "GET", f"/api/v1/namespaces/{namespace}/configmaps?labelSelector=tier")
    assert [item["metadata"]["name"] for item in remaining["items"]] == ["c"]


def test_dry_run_over_http(cluster: EmbeddedCluster, namespace: str) -> None:
    code, body = _call(cluster, "POST", f"/api/v1/namespaces/{namespace}/configmaps?dryRun=All",
                       {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dry"}})
    assert code == 201 and body["metadata"]["name"] == "dry" and "resourceVersion" not in body["metadata"]
    assert _call(cluster, "GET", f"/api/v1/namespaces/{namespace}/configmaps/dry")[0] == 404
    assert _call(cluster, "POST", f"/api/v1/namespaces/{namespace}/configmaps?dryRun=Some",
                 {"metadata": {"name": "x"}})[0] == 400


def _running_pod(cluster: EmbeddedCluster, namespace: str) -> None:
    _call(cluster, "POST", f"/api/v1/namespaces/{namespace}/pods", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "talker"},
        "spec": {"containers": [{"name": "main", "image": "busybox"}]}})
    wait_for(lambda: _call(cluster, "GET", f"/api/v1/namespaces/{namespace}/pods/talker")[1]["status"].get(
        "phase") == "Running")


def test_pod_logs_written_by_the_simulation(cluster: EmbeddedCluster, namespace: str) -> None:
    _running_pod(cluster, namespace)
    cluster.logs.write(namespace, "talker", "main", "line one\nline two\nline three")
    code, text = _call(cluster, "GET", f"/api/v1/namespaces/{namespace}/pods/talker/log?tailLines=2",
                       accept="*/*")
    assert code == 200 and text == "line two\nline three\n"
    code, body = _call(cluster, "GET", f"/api/v1/namespaces/{namespace}/pods/talker/log?container=nope")
    assert code == 400 and body["message"] == "container nope is not valid for pod talker"


def test_pod_logs_follow_streams_new_lines(cluster: EmbeddedCluster, namespace: str) -> None:
    _running_pod(cluster, namespace)
    context = ssl.create_default_context(cadata=(cluster.ca_pem or b"").decode())
    request = urllib.request.Request(f"{cluster.server_url}/api/v1/namespaces/{namespace}/pods/talker/log"
                                     "?follow=true", headers={"Authorization": f"Bearer {cluster.token}"})
    received: list[str] = []

    def follow() -> None:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            for line in response:
                received.append(line.decode().rstrip("\n"))
                if len(received) == 2:
                    return

    reader = threading.Thread(target=follow)
    reader.start()
    cluster.logs.write(namespace, "talker", "main", "first")
    cluster.logs.write(namespace, "talker", "main", "second")
    reader.join(timeout=10)
    assert received == ["first", "second"]


@pytest.mark.parametrize(("path", "kind"), [("/api", "APIVersions"), ("/apis", "APIGroupList"),
                                            ("/api/v1", "APIResourceList"), ("/apis/apps", "APIGroup")])
def test_legacy_discovery_documents(cluster: EmbeddedCluster, path: str, kind: str) -> None:
    code, body = _call(cluster, "GET", path)
    assert code == 200 and body["kind"] == kind


def test_aggregated_discovery_and_openapi(cluster: EmbeddedCluster) -> None:
    accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    _code, body = _call(cluster, "GET", "/apis", accept=accept)
    assert body["kind"] == "APIGroupDiscoveryList"
    apps = next(item for item in body["items"] if item["metadata"]["name"] == "apps")
    deployments = next(r for r in apps["versions"][0]["resources"] if r["resource"] == "deployments")
    assert {sub["subresource"] for sub in deployments["subresources"]} == {"scale", "status"}
    _code, root = _call(cluster, "GET", "/openapi/v3")
    assert "apis/apps/v1" in root["paths"]
    _code, document = _call(cluster, "GET", root["paths"]["apis/apps/v1"]["serverRelativeURL"])
    patch = document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "apps", "version": "v1", "kind": "Deployment"}
    assert "fieldValidation" in [parameter["name"] for parameter in patch["parameters"]]
    containers = document["components"]["schemas"]["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["x-kubernetes-patch-merge-key"] == "name"


def test_duplicate_fields_are_strict_decoding_errors(cluster: EmbeddedCluster, namespace: str) -> None:
    context = ssl.create_default_context(cadata=(cluster.ca_pem or b"").decode())
    body = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup"},"data":{"a":"1"},"data":{"b":"2"}}'
    request = urllib.request.Request(f"{cluster.server_url}/api/v1/namespaces/{namespace}/configmaps"
                                     "?fieldValidation=Strict", data=body, method="POST",
                                     headers={"Authorization": f"Bearer {cluster.token}",
                                              "Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as rejected:
        urllib.request.urlopen(request, context=context, timeout=10)
    assert json.loads(rejected.value.read())["message"] == (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: duplicate field "data"')


def test_previous_logs_need_a_terminated_run(cluster: EmbeddedCluster, namespace: str) -> None:
    _running_pod(cluster, namespace)
    code, body = _call(cluster, "GET", f"/api/v1/namespaces/{namespace}/pods/talker/log?previous=true")
    assert code == 400 and body["message"] == 'previous terminated container "main" in pod "talker" not found'
