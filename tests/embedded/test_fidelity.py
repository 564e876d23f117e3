"""Fidelity to kube-apiserver where real clients noticed differences (issue 11), item by item."""

from __future__ import annotations

from typing import Any

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
