"""Fidelity to kube-apiserver where real clients noticed differences (issue 11), item by item."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster
from tests.embedded.conftest import wait_for


def _template(app: str) -> dict[str, Any]:
    return {"metadata": {"labels": {"app": app}}, "spec": {"containers": [{"name": "main", "image": "nginx"}]}}


def _workload(kind: str, name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": {"app": name}}, "template": _template(name), **spec}}


# --- 1. Go serialization: non-omitempty fields are always present ----------------------------------------

def test_python_client_reads_new_workloads_and_hpas(api_client: Any, namespace: str) -> None:
    from kubernetes import client, watch

    apps = client.AppsV1Api(api_client)
    daemonset = apps.create_namespaced_daemon_set(namespace, _workload("DaemonSet", "ds"))
    assert daemonset.status.number_ready == 0 and daemonset.status.desired_number_scheduled >= 0
    replicaset = apps.create_namespaced_replica_set(namespace, _workload("ReplicaSet", "rs", replicas=0))
    assert replicaset.status.replicas == 0
    statefulset = apps.create_namespaced_stateful_set(namespace, _workload("StatefulSet", "sts", replicas=0,
                                                                           serviceName="sts"))
    assert statefulset.status.replicas == 0
    autoscaling = client.AutoscalingV2Api(api_client)
    hpa = autoscaling.create_namespaced_horizontal_pod_autoscaler(namespace, {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "hpa"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                 "maxReplicas": 3}})
    assert hpa.status.desired_replicas == 0
    assert autoscaling.read_namespaced_horizontal_pod_autoscaler("hpa", namespace).status.desired_replicas == 0
    for reader in (apps.list_namespaced_daemon_set, apps.list_namespaced_replica_set,
                   apps.list_namespaced_stateful_set, autoscaling.list_namespaced_horizontal_pod_autoscaler):
        events = list(watch.Watch().stream(reader, namespace, timeout_seconds=1))
        assert events and all(event["type"] in ("ADDED", "MODIFIED") for event in events)


def test_python_client_reads_every_listable_builtin_kind(api_client: Any, cluster: EmbeddedCluster,
                                                         namespace: str) -> None:
    """Whatever the controllers and bootstrap wrote deserializes with the typed client's models."""
    from kubernetes import client

    apps = client.AppsV1Api(api_client)
    apps.create_namespaced_deployment(namespace, _workload("Deployment", "web", replicas=1))
    core = client.CoreV1Api(api_client)
    wait_for(lambda: core.list_namespaced_pod(namespace).items)
    for api, method in ((core, "list_pod_for_all_namespaces"), (core, "list_node"), (core, "list_namespace"),
                        (core, "list_service_for_all_namespaces"), (core, "list_endpoints_for_all_namespaces"),
                        (core, "list_event_for_all_namespaces"), (apps, "list_replica_set_for_all_namespaces"),
                        (apps, "list_deployment_for_all_namespaces"),
                        (client.DiscoveryV1Api(api_client), "list_endpoint_slice_for_all_namespaces"),
                        (client.RbacAuthorizationV1Api(api_client), "list_cluster_role"),
                        (client.SchedulingV1Api(api_client), "list_priority_class"),
                        (client.StorageV1Api(api_client), "list_storage_class")):
        getattr(api, method)()


# --- 4. ReplicationControllers ---------------------------------------------------------------------------

def _rc(name: str, selector: dict[str, str] | None, replicas: int = 2) -> dict[str, Any]:
    spec: dict[str, Any] = {"replicas": replicas, "template": _template(name)}
    if selector is not None:
        spec["selector"] = selector
    return {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": name}, "spec": spec}


def test_replication_controller_defaults_selector_and_runs_pods(api_client: Any, namespace: str) -> None:
    from kubernetes import client

    core = client.CoreV1Api(api_client)
    defaulted = core.create_namespaced_replication_controller(namespace, _rc("plain", None))
    assert defaulted.spec.selector == {"app": "plain"} and defaulted.metadata.labels == {"app": "plain"}
    explicit = core.create_namespaced_replication_controller(namespace, _rc("explicit", {"app": "explicit"}, 1))
    assert explicit.spec.selector == {"app": "explicit"}

    def ready() -> Any:
        status = core.read_namespaced_replication_controller_status("plain", namespace).status
        return status.ready_replicas == 2
    wait_for(ready)
    pods = core.list_namespaced_pod(namespace, label_selector="app=plain").items
    assert len(pods) == 2
    assert all(pod.metadata.owner_references[0].kind == "ReplicationController" for pod in pods)
    with pytest.raises(client.ApiException) as mismatch:
        core.create_namespaced_replication_controller(namespace, _rc("bad", {"app": "other"}))
    assert mismatch.value.status == 422
    assert "spec.template.metadata.labels: Invalid value: map[string]string{\\\"app\\\":\\\"bad\\\"}: " \
           "`selector` does not match template `labels`" in mismatch.value.body
    core.patch_namespaced_replication_controller_scale("plain", namespace, {"spec": {"replicas": 0}})
    wait_for(lambda: not core.list_namespaced_pod(namespace, label_selector="app=plain").items)


# --- 6. generation of custom resources without a status subresource ------------------------------------

WIDGETS_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.fidelity.example.com"},
    "spec": {"group": "fidelity.example.com", "scope": "Namespaced",
             "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
             "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                 "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]}}


def test_custom_resource_without_status_subresource_bumps_generation_on_status(api_client: Any,
                                                                                 namespace: str) -> None:
    from kubernetes import client

    client.ApiextensionsV1Api(api_client).create_custom_resource_definition(WIDGETS_CRD)
    custom = client.CustomObjectsApi(api_client)
    args = ("fidelity.example.com", "v1", namespace, "widgets")
    wait_for(lambda: _served(custom, args))
    created = custom.create_namespaced_custom_object(*args, {
        "apiVersion": "fidelity.example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"a": 1}})
    assert created["metadata"]["generation"] == 1
    patched = custom.patch_namespaced_custom_object(*args, "w", {"status": {"ready": True}})
    assert patched["metadata"]["generation"] == 2
    relabeled = custom.patch_namespaced_custom_object(*args, "w", {"metadata": {"labels": {"x": "y"}}})
    assert relabeled["metadata"]["generation"] == 2


def _served(custom: Any, args: tuple[str, ...]) -> bool:
    from kubernetes import client

    try:
        custom.list_namespaced_custom_object(*args)
    except client.ApiException:
        return False
    return True


# --- 7. namespaces ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["default", "kube-system", "kube-public"])
def test_system_namespaces_cannot_be_deleted(api_client: Any, name: str) -> None:
    from kubernetes import client

    with pytest.raises(client.ApiException) as refused:
        client.CoreV1Api(api_client).delete_namespace(name)
    assert refused.value.status == 403
    body = json.loads(refused.value.body)
    assert body["message"] == f'namespaces "{name}" is forbidden: this namespace may not be deleted'
    assert body["reason"] == "Forbidden" and body["details"] == {"name": name, "kind": "namespaces"}


def test_no_events_in_a_terminating_namespace(api_client: Any, namespace: str) -> None:
    from kubernetes import client

    core = client.CoreV1Api(api_client)
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "held", "finalizers": ["example.com/x"]}})
    core.delete_namespace(namespace)
    wait_for(lambda: core.read_namespace(namespace).status.phase == "Terminating")
    event = {"metadata": {"name": "late"}, "involvedObject": {"kind": "ConfigMap", "name": "held",
                                                               "namespace": namespace},
             "reason": "Late", "message": "too late"}
    with pytest.raises(client.ApiException) as refused:
        core.create_namespaced_event(namespace, event)
    assert refused.value.status == 403
    assert json.loads(refused.value.body)["message"] == (
        f'events "late" is forbidden: unable to create new content in namespace {namespace} because it is being '
        "terminated")
    core.patch_namespaced_config_map("held", namespace, {"metadata": {"finalizers": None}})
