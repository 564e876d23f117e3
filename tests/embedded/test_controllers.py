"""The simulated controllers: workloads reach the status a real cluster reports, lifecycle and GC work."""

from __future__ import annotations

from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster
from chainsaw_py.embedded.writes import DeleteOptions
from tests.embedded.conftest import wait_for


def _rt(cluster: EmbeddedCluster, api_version: str, kind: str) -> Any:
    rt = cluster.registry.by_api_version_kind(api_version, kind)
    assert rt is not None, kind
    return rt


def _create(cluster: EmbeddedCluster, namespace: str, obj: dict[str, Any]) -> dict[str, Any]:
    return cluster.api.create(_rt(cluster, obj["apiVersion"], obj["kind"]), namespace, obj).obj


def _get(cluster: EmbeddedCluster, api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
    rt = _rt(cluster, api_version, kind)
    stored = cluster.store.get(rt.group, rt.plural, namespace if rt.namespaced else "", name)
    return stored.copy() if stored else None


def _list(cluster: EmbeddedCluster, api_version: str, kind: str, namespace: str,
          selector: str | None = None) -> list[dict[str, Any]]:
    return [item.obj for item in cluster.api.list(_rt(cluster, api_version, kind), namespace, selector).items]


def _pod_template(labels: dict[str, str], restart: str = "Always") -> dict[str, Any]:
    return {"metadata": {"labels": labels},
            "spec": {"restartPolicy": restart, "containers": [{"name": "main", "image": "busybox"}]}}


def test_pod_becomes_running_and_ready(cluster: EmbeddedCluster, namespace: str) -> None:
    _create(cluster, namespace, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                                 "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}})
    pod = wait_for(lambda: (p := _get(cluster, "v1", "Pod", namespace, "p")) and
                   p["status"].get("phase") == "Running" and p)
    status = pod["status"]
    assert {c["type"]: c["status"] for c in status["conditions"]} == {
        "PodReadyToStartContainers": "True", "Initialized": "True", "Ready": "True", "ContainersReady": "True",
        "PodScheduled": "True"}
    assert status["podIP"].startswith("10.244.") and status["hostIP"]
    container = status["containerStatuses"][0]
    assert container["ready"] and container["image"] == "docker.io/library/nginx:1.25"
    assert "running" in container["state"]
    assert pod["spec"]["nodeName"] == "embedded-node"
    assert pod["spec"]["serviceAccountName"] == "default"


def test_unschedulable_pod_stays_pending(cluster: EmbeddedCluster, namespace: str) -> None:
    _create(cluster, namespace, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nowhere"},
                                 "spec": {"nodeSelector": {"disk": "ssd"},
                                          "containers": [{"name": "c", "image": "nginx"}]}})
    pod = wait_for(lambda: (p := _get(cluster, "v1", "Pod", namespace, "nowhere")) and
                   p["status"].get("conditions") and p)
    assert pod["status"]["phase"] == "Pending"
    assert pod["status"]["conditions"][0]["reason"] == "Unschedulable"


@pytest.mark.parametrize(("completions", "parallelism", "mode"), [(1, 1, "NonIndexed"), (3, 2, "NonIndexed"),
                                                                   (2, 2, "Indexed")])
def test_job_runs_to_completion(cluster: EmbeddedCluster, namespace: str, completions: int, parallelism: int,
                                mode: str) -> None:
    _create(cluster, namespace, {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
                                 "spec": {"completions": completions, "parallelism": parallelism,
                                          "completionMode": mode, "template": _pod_template({}, "Never")}})
    job = wait_for(lambda: (j := _get(cluster, "batch/v1", "Job", namespace, "j")) and
                   any(c["type"] == "Complete" for c in j["status"].get("conditions", [])) and j)
    status = job["status"]
    assert status["succeeded"] == completions and "active" not in status
    assert [c["type"] for c in status["conditions"]] == ["SuccessCriteriaMet", "Complete"]
    assert status["completionTime"] and status["startTime"]
    pods = _list(cluster, "v1", "Pod", namespace, "job-name=j")
    assert len(pods) == completions and all(p["status"]["phase"] == "Succeeded" for p in pods)
    wait_for(lambda: all(not p["metadata"].get("finalizers")
                         for p in _list(cluster, "v1", "Pod", namespace, "job-name=j")))
    if mode == "Indexed":
        assert status["completedIndexes"] == "0-1"
        indexes = sorted(p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] for p in pods)
        assert indexes == ["0", "1"]


def test_deleting_a_job_removes_its_pods(cluster: EmbeddedCluster, namespace: str) -> None:
    """Chainsaw's orphan example: delete an Indexed Job; its job-name pods must disappear."""
    _create(cluster, namespace, {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "delete-test"},
                                 "spec": {"completions": 2, "parallelism": 2, "completionMode": "Indexed",
                                          "template": _pod_template({}, "OnFailure")}})
    wait_for(lambda: len(_list(cluster, "v1", "Pod", namespace, "job-name=delete-test")) == 2)
    cluster.api.delete(_rt(cluster, "batch/v1", "Job"), namespace, "delete-test",
                       DeleteOptions(propagation="Background"))
    wait_for(lambda: not _list(cluster, "v1", "Pod", namespace, "job-name=delete-test"))


@pytest.mark.parametrize("policy", ["Background", "Foreground", "Orphan"])
def test_propagation_policies(cluster: EmbeddedCluster, namespace: str, policy: str) -> None:
    _create(cluster, namespace, {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "rs"},
                                 "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "rs"}},
                                          "template": _pod_template({"app": "rs"})}})
    wait_for(lambda: len(_list(cluster, "v1", "Pod", namespace, "app=rs")) == 2)
    cluster.api.delete(_rt(cluster, "apps/v1", "ReplicaSet"), namespace, "rs", DeleteOptions(propagation=policy))
    wait_for(lambda: _get(cluster, "apps/v1", "ReplicaSet", namespace, "rs") is None)
    if policy == "Orphan":
        pods = _list(cluster, "v1", "Pod", namespace, "app=rs")
        assert len(pods) == 2 and all("ownerReferences" not in p["metadata"] for p in pods)
    else:
        wait_for(lambda: not _list(cluster, "v1", "Pod", namespace, "app=rs"))


def test_foreground_deletion_waits_for_dependents(cluster: EmbeddedCluster, namespace: str) -> None:
    owner = _create(cluster, namespace, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owner"}})
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"],
           "blockOwnerDeletion": True}
    _create(cluster, namespace, {"apiVersion": "v1", "kind": "ConfigMap",
                                 "metadata": {"name": "dependent", "ownerReferences": [ref],
                                              "finalizers": ["example.com/hold"]}})
    cluster.api.delete(_rt(cluster, "v1", "ConfigMap"), namespace, "owner", DeleteOptions(propagation="Foreground"))
    held = wait_for(lambda: (d := _get(cluster, "v1", "ConfigMap", namespace, "dependent")) and
                    d["metadata"].get("deletionTimestamp") and d)
    owner_now = _get(cluster, "v1", "ConfigMap", namespace, "owner")
    assert owner_now is not None and "foregroundDeletion" in owner_now["metadata"]["finalizers"]
    held["metadata"]["finalizers"] = []
    cluster.api.update(_rt(cluster, "v1", "ConfigMap"), namespace, "dependent", held)
    wait_for(lambda: _get(cluster, "v1", "ConfigMap", namespace, "owner") is None)


def test_dangling_owner_reference_is_collected(cluster: EmbeddedCluster, namespace: str) -> None:
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "ghost", "uid": "00000000-0000-0000-0000-000000000000"}
    _create(cluster, namespace, {"apiVersion": "v1", "kind": "ConfigMap",
                                 "metadata": {"name": "orphaned", "ownerReferences": [ref]}})
    wait_for(lambda: _get(cluster, "v1", "ConfigMap", namespace, "orphaned") is None)


def test_statefulset_creates_ordered_pods_and_claims(cluster: EmbeddedCluster, namespace: str) -> None:
    _create(cluster, namespace, {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
                                 "spec": {"replicas": 2, "serviceName": "db",
                                          "selector": {"matchLabels": {"app": "db"}},
                                          "template": _pod_template({"app": "db"}),
                                          "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                                              "accessModes": ["ReadWriteOnce"],
                                              "resources": {"requests": {"storage": "1Gi"}}}}]}})
    sts = wait_for(lambda: (s := _get(cluster, "apps/v1", "StatefulSet", namespace, "db")) and
                   s["status"].get("readyReplicas") == 2 and s)
    assert sts["status"]["currentRevision"] == sts["status"]["updateRevision"]
    names = sorted(p["metadata"]["name"] for p in _list(cluster, "v1", "Pod", namespace, "app=db"))
    assert names == ["db-0", "db-1"]
    claim = wait_for(lambda: (c := _get(cluster, "v1", "PersistentVolumeClaim", namespace, "data-db-0")) and
                     c.get("status", {}).get("phase") == "Bound" and c)
    assert claim["status"]["capacity"] == {"storage": "1Gi"}


def test_daemonset_runs_one_pod_on_the_node(cluster: EmbeddedCluster, namespace: str) -> None:
    _create(cluster, namespace, {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
                                 "spec": {"selector": {"matchLabels": {"app": "agent"}},
                                          "template": _pod_template({"app": "agent"})}})
    ds = wait_for(lambda: (d := _get(cluster, "apps/v1", "DaemonSet", namespace, "agent")) and
                  d["status"].get("numberReady") == 1 and d)
    assert ds["status"]["desiredNumberScheduled"] == 1 and ds["status"]["numberAvailable"] == 1


def test_service_gets_cluster_ip_and_endpoints(cluster: EmbeddedCluster, namespace: str) -> None:
    service = _create(cluster, namespace, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                                           "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})
    assert service["spec"]["clusterIP"].startswith("10.96.") and service["spec"]["type"] == "ClusterIP"
    _create(cluster, namespace, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "labels": {"app": "web"}},
                                 "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    endpoints = wait_for(lambda: (e := _get(cluster, "v1", "Endpoints", namespace, "web")) and
                         e.get("subsets", [{}])[0].get("addresses") and e)
    assert endpoints["subsets"][0]["ports"] == [{"port": 80, "protocol": "TCP"}]
    # the EndpointSlice is written after the Endpoints: wait for it too
    slices = wait_for(lambda: (found := _list(cluster, "discovery.k8s.io/v1", "EndpointSlice", namespace,
                                              "kubernetes.io/service-name=web")) and found[0].get("endpoints")
                      and found)
    assert len(slices) == 1 and slices[0]["endpoints"][0]["conditions"]["ready"] is True


def test_namespace_deletion_removes_content(cluster: EmbeddedCluster) -> None:
    namespaces = _rt(cluster, "v1", "Namespace")
    cluster.api.create(namespaces, "", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "doomed"}})
    _create(cluster, "doomed", {"apiVersion": "v1", "kind": "ConfigMap",
                                "metadata": {"name": "held", "finalizers": ["example.com/hold"]}})
    deleted = cluster.api.delete(namespaces, "", "doomed").obj
    assert deleted["status"]["phase"] == "Terminating"
    terminating = wait_for(lambda: (n := _get(cluster, "v1", "Namespace", "", "doomed")) and
                           any(c["type"] == "NamespaceContentRemaining" for c in n["status"].get("conditions", []))
                           and n)
    assert terminating["spec"]["finalizers"] == ["kubernetes"]
    held = wait_for(lambda: _get(cluster, "v1", "ConfigMap", "doomed", "held"))
    held["metadata"]["finalizers"] = []
    cluster.api.update(_rt(cluster, "v1", "ConfigMap"), "doomed", "held", held)
    wait_for(lambda: _get(cluster, "v1", "Namespace", "", "doomed") is None)


def test_deleting_a_crd_removes_its_resources_and_discovery(cluster: EmbeddedCluster, namespace: str) -> None:
    crds = _rt(cluster, "apiextensions.k8s.io/v1", "CustomResourceDefinition")
    cluster.api.create(crds, "", {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "temps.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced", "names": {"kind": "Temp", "plural": "temps"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                     "type": "object", "x-kubernetes-preserve-unknown-fields": True}}}]}})
    assert cluster.registry.lookup("example.com", "v1", "temps") is not None
    _create(cluster, namespace, {"apiVersion": "example.com/v1", "kind": "Temp", "metadata": {"name": "t"}})
    crd = wait_for(lambda: (c := _get(cluster, "apiextensions.k8s.io/v1", "CustomResourceDefinition", "",
                                      "temps.example.com")) and c["status"].get("conditions") and c)
    assert {c["type"]: c["status"] for c in crd["status"]["conditions"]} == {"NamesAccepted": "True",
                                                                             "Established": "True"}
    cluster.api.delete(crds, "", "temps.example.com")
    wait_for(lambda: cluster.registry.lookup("example.com", "v1", "temps") is None)
    assert cluster.store.count("example.com", "temps") == 0


def test_cronjob_schedules_jobs_with_parse_errors_rejected(cluster: EmbeddedCluster, namespace: str) -> None:
    from chainsaw_py.embedded.apierrors import Invalid

    with pytest.raises(Invalid) as invalid:
        _create(cluster, namespace, {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "bad"},
                                     "spec": {"schedule": "every minute",
                                              "jobTemplate": {"spec": {"template": _pod_template({}, "Never")}}}})
    assert 'spec.schedule: Invalid value: "every minute": expected exactly 5 fields, found 2: [every minute]' in \
        invalid.value.message
