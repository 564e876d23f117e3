"""The official ``kubernetes`` Python client, unmodified, against the embedded cluster."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster
from tests.embedded.conftest import wait_for


def _deployment(name: str, replicas: int) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "main", "image": "nginx"}]}}}}


def test_core_v1_crud_and_errors(api_client: Any, namespace: str) -> None:
    from kubernetes import client

    core = client.CoreV1Api(api_client)
    created = core.create_namespaced_config_map(namespace, client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="settings", labels={"app": "demo"}), data={"a": "1"}))
    assert created.metadata.uid and created.metadata.resource_version
    fetched = core.read_namespaced_config_map("settings", namespace)
    assert fetched.data == {"a": "1"} and fetched.metadata.labels == {"app": "demo"}
    patched = core.patch_namespaced_config_map("settings", namespace, {"data": {"b": "2"}})
    assert patched.data == {"a": "1", "b": "2"}
    with pytest.raises(client.ApiException) as stale:
        core.replace_namespaced_config_map("settings", namespace, fetched)   # read before the patch
    current = core.read_namespaced_config_map("settings", namespace)
    current.data = {"c": "3"}
    replaced = core.replace_namespaced_config_map("settings", namespace, current)
    assert replaced.data == {"c": "3"}
    assert stale.value.status == 409 and '"reason":"Conflict"' in stale.value.body
    with pytest.raises(client.ApiException) as duplicate:
        core.create_namespaced_config_map(namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="settings")))
    assert duplicate.value.status == 409 and '"reason":"AlreadyExists"' in duplicate.value.body
    listed = core.list_namespaced_config_map(namespace, label_selector="app in (demo)")
    assert [item.metadata.name for item in listed.items] == ["settings"]
    core.delete_namespaced_config_map("settings", namespace)
    with pytest.raises(client.ApiException) as missing:
        core.read_namespaced_config_map("settings", namespace)
    assert missing.value.status == 404
    assert '"message":"configmaps \\"settings\\" not found"' in missing.value.body


def test_apps_v1_deployment_becomes_available(api_client: Any, namespace: str) -> None:
    from kubernetes import client

    apps = client.AppsV1Api(api_client)
    apps.create_namespaced_deployment(namespace, _deployment("api", 2))

    def available() -> Any:
        status = apps.read_namespaced_deployment_status("api", namespace).status
        return status if status.available_replicas == 2 else None

    status = wait_for(available)
    assert status.ready_replicas == 2 and status.updated_replicas == 2
    assert status.observed_generation == 1
    assert {c.type: c.status for c in status.conditions} == {"Available": "True", "Progressing": "True"}
    scale = apps.read_namespaced_deployment_scale("api", namespace)
    assert scale.spec.replicas == 2 and scale.status.selector == "app=api"
    apps.patch_namespaced_deployment_scale("api", namespace, {"spec": {"replicas": 1}})
    wait_for(lambda: apps.read_namespaced_deployment("api", namespace).status.replicas == 1)
    assert apps.read_namespaced_deployment("api", namespace).metadata.generation == 2


def test_dynamic_client_with_discovery(api_client: Any, namespace: str) -> None:
    from kubernetes import dynamic

    dyn = dynamic.DynamicClient(api_client)
    crds = dyn.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    crds.create(body={
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "sprockets.dyn.example.com"},
        "spec": {"group": "dyn.example.com", "scope": "Namespaced",
                 "names": {"kind": "Sprocket", "plural": "sprockets"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                     "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]}})
    dyn.resources.invalidate_cache()
    sprockets = dyn.resources.get(api_version="dyn.example.com/v1", kind="Sprocket")
    sprockets.create(namespace=namespace, body={"apiVersion": "dyn.example.com/v1", "kind": "Sprocket",
                                                "metadata": {"name": "s1"}, "spec": {"teeth": 12}})
    fetched = sprockets.get(name="s1", namespace=namespace)
    assert fetched.spec.teeth == 12 and fetched.metadata.generation == 1
    sprockets.patch(name="s1", namespace=namespace, body={"spec": {"teeth": 14}},
                    content_type="application/merge-patch+json")
    assert sprockets.get(name="s1", namespace=namespace).metadata.generation == 2
    pods = dyn.resources.get(api_version="v1", kind="Pod")
    assert pods.namespaced and pods.get(namespace=namespace).items == []


def test_watch_stream_sees_added_modified_deleted(api_client: Any, namespace: str) -> None:
    from kubernetes import client, watch

    core = client.CoreV1Api(api_client)
    start = core.list_namespaced_config_map(namespace).metadata.resource_version
    events: list[tuple[str, str, Any]] = []

    def collect() -> None:
        stream = watch.Watch()
        for event in stream.stream(core.list_namespaced_config_map, namespace, resource_version=start,
                                   timeout_seconds=10):
            if event["object"].metadata.name != "w":
                continue  # kube-root-ca.crt is written into a new namespace asynchronously
            events.append((event["type"], event["object"].metadata.name, event["object"].data))
            if event["type"] == "DELETED":
                stream.stop()

    watcher = threading.Thread(target=collect)
    watcher.start()
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "w"}, "data": {"v": "1"}})
    core.patch_namespaced_config_map("w", namespace, {"data": {"v": "2"}})
    core.delete_namespaced_config_map("w", namespace)
    watcher.join(timeout=15)
    assert [(kind, name) for kind, name, _data in events] == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]
    assert events[1][2] == {"v": "2"}


def test_requests_without_token_are_unauthorized(cluster: EmbeddedCluster) -> None:
    import ssl
    import urllib.error
    import urllib.request

    context = ssl.create_default_context(cadata=(cluster.ca_pem or b"").decode())
    with pytest.raises(urllib.error.HTTPError) as rejected:
        urllib.request.urlopen(f"{cluster.server_url}/api/v1/namespaces", context=context)
    assert rejected.value.code == 401
    assert b'"reason":"Unauthorized"' in rejected.value.read()
    with urllib.request.urlopen(f"{cluster.server_url}/healthz", context=context) as health:
        assert health.read() == b"ok"
