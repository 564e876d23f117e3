"""CRD conversion webhooks: objects stored at the storage version, converted by a real HTTPS server on reads and
writes at other versions, and the apiserver's error when the webhook fails."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster
from tests.embedded.test_admission_webhooks import Http
from tests.embedded.webhook_server import WebhookServer


@pytest.fixture(scope="module")
def cluster() -> Iterator[EmbeddedCluster]:
    with EmbeddedCluster() as running:
        yield running


def convert(path: str, review: dict[str, Any]) -> dict[str, Any]:
    request = review["request"]
    converted = []
    for obj in request["objects"]:
        spec = dict(obj.get("spec") or {})
        if request["desiredAPIVersion"] == "example.com/v2" and "size" in spec:
            spec["replicas"] = int(spec.pop("size"))
        if request["desiredAPIVersion"] == "example.com/v1" and "replicas" in spec:
            spec["size"] = str(spec.pop("replicas"))
        converted.append({**obj, "apiVersion": request["desiredAPIVersion"], "spec": spec})
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview",
            "response": {"uid": request["uid"], "convertedObjects": converted, "result": {"status": "Success"}}}


def crd(server: WebhookServer) -> dict[str, Any]:
    def version(name: str, storage: bool, spec: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "served": True, "storage": storage, "schema": {"openAPIV3Schema": {
            "type": "object", "properties": {"spec": {"type": "object", "properties": spec}}}}}

    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced",
                     "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
                     "versions": [version("v1", True, {"size": {"type": "string"}}),
                                  version("v2", False, {"replicas": {"type": "integer"}})],
                     "conversion": {"strategy": "Webhook", "webhook": {
                         "conversionReviewVersions": ["v1"],
                         "clientConfig": {"url": server.url("/convert"), "caBundle": server.ca_bundle}}}}}


def test_conversion_webhook_converts_reads_and_writes(cluster: EmbeddedCluster) -> None:
    http = Http(cluster)
    with WebhookServer(convert) as server:
        status, body, _ = http("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd(server))
        assert status == 201, body
        deadline = time.monotonic() + 10
        while cluster.registry.lookup("example.com", "v2", "widgets") is None and time.monotonic() < deadline:
            time.sleep(0.05)
        widget = {"apiVersion": "example.com/v2", "kind": "Widget", "metadata": {"name": "w"},
                  "spec": {"replicas": 3}}
        status, body, _ = http("POST", "/apis/example.com/v2/namespaces/default/widgets", widget)
        assert status == 201, body
        assert body["apiVersion"] == "example.com/v2" and body["spec"] == {"replicas": 3}
        stored = cluster.store.get("example.com", "widgets", "default", "w")
        assert stored is not None
        assert stored.obj["apiVersion"] == "example.com/v1" and stored.obj["spec"] == {"size": "3"}
        status, body, _ = http("GET", "/apis/example.com/v1/namespaces/default/widgets/w")
        assert body["spec"] == {"size": "3"}
        status, body, _ = http("GET", "/apis/example.com/v2/namespaces/default/widgets")
        assert [item["spec"] for item in body["items"]] == [{"replicas": 3}]
        status, body, _ = http("PATCH", "/apis/example.com/v2/namespaces/default/widgets/w",
                               {"spec": {"replicas": 5}, "metadata": {"labels": {"a": "b"}}},
                               "application/merge-patch+json")
        assert status == 200 and body["spec"] == {"replicas": 5}, body
        stored = cluster.store.get("example.com", "widgets", "default", "w")
        assert stored is not None and stored.obj["spec"] == {"size": "5"}
        requests = [review["request"]["desiredAPIVersion"] for _path, review in server.requests]
        assert "example.com/v1" in requests and "example.com/v2" in requests
    status, body, _ = http("GET", "/apis/example.com/v2/namespaces/default/widgets/w")
    assert status == 500
    assert body["message"].startswith("conversion webhook for example.com/v1, Kind=Widget failed: Post "
                                      f'"https://127.0.0.1:{server.port}/convert?timeout=30s": dial tcp')
    status, body, _ = http("GET", "/apis/example.com/v1/namespaces/default/widgets/w")
    assert status == 200 and body["spec"] == {"size": "5"}


def test_custom_resources_patched_by_a_webhook_are_pruned_again(cluster: EmbeddedCluster) -> None:
    from tests.embedded.webhook_server import patch

    http = Http(cluster)
    with WebhookServer(lambda path, review: patch(review, [
            {"op": "add", "path": "/spec/size", "value": "7"},
            {"op": "add", "path": "/spec/unknown", "value": True}])) as server:
        status, body, _ = http("POST", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations", {
            "metadata": {"name": "widgets"}, "webhooks": [{
                "name": "widgets.example.com", "sideEffects": "None", "admissionReviewVersions": ["v1"],
                "clientConfig": {"url": server.url("/"), "caBundle": server.ca_bundle},
                "rules": [{"operations": ["CREATE"], "apiGroups": ["example.com"], "apiVersions": ["v1"],
                           "resources": ["widgets"]}]}]})
        assert status == 201, body
        status, body, _ = http("POST", "/apis/example.com/v1/namespaces/default/widgets",
                               {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "p"},
                                "spec": {}})
        assert status == 201, body
        assert body["spec"] == {"size": "7"}
        http("DELETE", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/widgets")


def test_a_list_or_watch_converts_its_items_in_one_review(cluster: EmbeddedCluster) -> None:
    http = Http(cluster)
    with WebhookServer(convert) as server:
        definition = crd(server)
        definition["metadata"]["name"] = "gadgets.example.com"
        definition["spec"]["names"] = {"plural": "gadgets", "singular": "gadget", "kind": "Gadget",
                                       "listKind": "GadgetList"}
        status, body, _ = http("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", definition)
        assert status == 201, body
        deadline = time.monotonic() + 10
        while cluster.registry.lookup("example.com", "v2", "gadgets") is None and time.monotonic() < deadline:
            time.sleep(0.05)
        for index in range(5):
            gadget = {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": f"g{index}"},
                      "spec": {"size": str(index)}}
            assert http("POST", "/apis/example.com/v1/namespaces/default/gadgets", gadget)[0] == 201
        assert server.requests == []                     # written at the storage version: nothing to convert
        status, body, _ = http("GET", "/apis/example.com/v2/namespaces/default/gadgets")
        assert [item["spec"] for item in body["items"]] == [{"replicas": index} for index in range(5)]
        assert [len(review["request"]["objects"]) for _path, review in server.requests] == [5]
        status, body, _ = http("GET", "/apis/example.com/v2/namespaces/default/gadgets?limit=2")
        assert len(body["items"]) == 2 and len(server.requests[-1][1]["request"]["objects"]) == 2
        response = http.pool.request("GET", http.base + "/apis/example.com/v2/namespaces/default/gadgets?watch=1&"
                                                        "timeoutSeconds=1", headers=http.headers)
        events = [json.loads(line) for line in response.data.splitlines() if line.strip()]
        assert [event["object"]["spec"] for event in events] == [{"replicas": index} for index in range(5)]
        assert len(server.requests) == 3 and len(server.requests[-1][1]["request"]["objects"]) == 5
