"""ResourceQuota (usage in status.used, 403 exceeded quota, must-specify) and LimitRange (defaults, bounds)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster
from tests.embedded.test_admission_webhooks import Http


@pytest.fixture(scope="module")
def cluster() -> Iterator[EmbeddedCluster]:
    with EmbeddedCluster() as running:
        yield running


@pytest.fixture(scope="module")
def http(cluster: EmbeddedCluster) -> Http:
    return Http(cluster)


_count = iter(range(1, 1000))


@pytest.fixture
def ns(http: Http) -> str:
    name = f"quota-{next(_count)}"
    assert http("POST", "/api/v1/namespaces", {"metadata": {"name": name}})[0] == 201
    return name


def pod(name: str, **resources: Any) -> dict[str, Any]:
    container: dict[str, Any] = {"name": name, "image": "nginx"}
    if resources:
        container["resources"] = resources
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"containers": [container]}}


def wait_status(http: Http, path: str, expected: dict[str, str]) -> None:
    deadline = time.monotonic() + 10
    while True:
        used = (http("GET", path)[1].get("status") or {}).get("used")
        if used == expected:
            return
        assert time.monotonic() < deadline, used
        time.sleep(0.05)


def test_object_count_quota(http: Http, ns: str) -> None:
    status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/resourcequotas", {
        "metadata": {"name": "counts"}, "spec": {"hard": {"configmaps": "3", "count/deployments.apps": "0"}}})
    assert status == 201, body
    quota = f"/api/v1/namespaces/{ns}/resourcequotas/counts"
    wait_status(http, quota, {"configmaps": "1", "count/deployments.apps": "0"})   # kube-root-ca.crt
    for index in range(2):
        assert http("POST", f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": f"c{index}"}})[0] == 201
    status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": "c3"}})
    assert (status, body["message"]) == (403, 'configmaps "c3" is forbidden: exceeded quota: counts, requested: '
                                              "configmaps=1, used: configmaps=3, limited: configmaps=3")
    wait_status(http, quota, {"configmaps": "3", "count/deployments.apps": "0"})
    status, body, _ = http("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", {
        "metadata": {"name": "d"}, "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {
            "metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
    assert status == 403 and body["message"].endswith(
        "exceeded quota: counts, requested: count/deployments.apps=1, used: count/deployments.apps=0, "
        "limited: count/deployments.apps=0")
    http("DELETE", f"/api/v1/namespaces/{ns}/configmaps/c0")
    wait_status(http, quota, {"configmaps": "2", "count/deployments.apps": "0"})


def test_compute_quota_and_limit_range_defaults(http: Http, ns: str) -> None:
    http("POST", f"/api/v1/namespaces/{ns}/resourcequotas", {
        "metadata": {"name": "compute"}, "spec": {"hard": {"limits.cpu": "1", "limits.memory": "1Gi", "pods": "5"}}})
    status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/pods", pod("bare"))
    assert (status, body["message"]) == (403, 'pods "bare" is forbidden: failed quota: compute: must specify '
                                              "limits.cpu for: bare; limits.memory for: bare")
    status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/limitranges", {
        "metadata": {"name": "defaults"}, "spec": {"limits": [{
            "type": "Container", "default": {"cpu": "500m", "memory": "512Mi"},
            "defaultRequest": {"cpu": "100m", "memory": "128Mi"}, "max": {"cpu": "800m"}}]}})
    assert status == 201, body
    status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/pods", pod("first"))
    assert status == 201, body
    assert body["spec"]["containers"][0]["resources"] == {"limits": {"cpu": "500m", "memory": "512Mi"},
                                                          "requests": {"cpu": "100m", "memory": "128Mi"}}
    assert body["metadata"]["annotations"] == {"kubernetes.io/limit-ranger": "LimitRanger plugin set: cpu, memory "
                                               "request for container first; cpu, memory limit for container first"}
    status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/pods", pod("big", limits={"cpu": "2"}))
    assert (status, body["message"]) == (403, 'pods "big" is forbidden: maximum cpu usage per Container is 800m, '
                                              "but limit is 2")
    assert http("POST", f"/api/v1/namespaces/{ns}/pods", pod("second"))[0] == 201
    status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/pods", pod("third"))
    assert (status, body["message"]) == (403, 'pods "third" is forbidden: exceeded quota: compute, requested: '
                                              "limits.cpu=500m,limits.memory=512Mi, used: "
                                              "limits.cpu=1,limits.memory=1Gi, limited: limits.cpu=1,limits.memory=1Gi")
    wait_status(http, f"/api/v1/namespaces/{ns}/resourcequotas/compute",
                {"limits.cpu": "1", "limits.memory": "1Gi", "pods": "2"})


def quota(http: Http, ns: str, name: str, spec: dict[str, Any]) -> str:
    status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/resourcequotas", {"metadata": {"name": name},
                                                                              "spec": spec})
    assert status == 201, body
    return f"/api/v1/namespaces/{ns}/resourcequotas/{name}"


def test_quota_scopes_select_the_pods_they_count(http: Http, ns: str) -> None:
    best_effort = quota(http, ns, "best-effort", {"hard": {"pods": "1"}, "scopes": ["BestEffort"]})
    terminating = quota(http, ns, "terminating", {"hard": {"pods": "1"}, "scopes": ["Terminating", "NotBestEffort"]})
    priority = quota(http, ns, "priority", {"hard": {"pods": "1", "requests.cpu": "1"}, "scopeSelector": {
        "matchExpressions": [{"scopeName": "PriorityClass", "operator": "In", "values": [f"high-{ns}"]}]}})
    status, body, _ = http("POST", "/apis/scheduling.k8s.io/v1/priorityclasses",
                           {"metadata": {"name": f"high-{ns}"}, "value": 1000})
    assert status == 201, body
    cross = quota(http, ns, "cross", {"hard": {"pods": "0"}, "scopes": ["CrossNamespacePodAffinity"]})
    assert http("POST", f"/api/v1/namespaces/{ns}/pods", pod("free"))[0] == 201
    status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/pods", pod("free2"))
    assert (status, body["message"]) == (403, 'pods "free2" is forbidden: exceeded quota: best-effort, requested: '
                                              "pods=1, used: pods=1, limited: pods=1")
    sized = pod("sized", requests={"cpu": "100m"})
    assert http("POST", f"/api/v1/namespaces/{ns}/pods", sized)[0] == 201     # not terminating: no quota applies
    deadline = {**pod("job", requests={"cpu": "100m"}), "spec": {**pod("job", requests={"cpu": "100m"})["spec"],
                                                                 "activeDeadlineSeconds": 60}}
    assert http("POST", f"/api/v1/namespaces/{ns}/pods", deadline)[0] == 201
    deadline["metadata"]["name"] = "job2"
    status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/pods", deadline)
    assert status == 403 and "exceeded quota: terminating" in body["message"]
    urgent = pod("urgent", requests={"cpu": "2"})
    urgent["spec"]["priorityClassName"] = f"high-{ns}"
    status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/pods", urgent)
    assert (status, body["message"]) == (403, 'pods "urgent" is forbidden: exceeded quota: priority, requested: '
                                              "requests.cpu=2, used: requests.cpu=0, limited: requests.cpu=1")
    affine = pod("affine", requests={"cpu": "10m"})
    affine["spec"]["affinity"] = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"a": "b"}}, "topologyKey": "kubernetes.io/hostname",
         "namespaces": ["other"]}]}}
    status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/pods", affine)
    assert status == 403 and "exceeded quota: cross" in body["message"]
    wait_status(http, best_effort, {"pods": "1"})
    wait_status(http, terminating, {"pods": "1"})
    wait_status(http, priority, {"pods": "0", "requests.cpu": "0"})
    wait_status(http, cross, {"pods": "0"})


def test_updates_are_charged_their_increase(http: Http, ns: str) -> None:
    quota(http, ns, "services", {"hard": {"services.loadbalancers": "0", "services.nodeports": "1",
                                          "requests.storage": "2Gi"}})
    service = {"metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}
    assert http("POST", f"/api/v1/namespaces/{ns}/services", service)[0] == 201
    status, body, _ = http("PATCH", f"/api/v1/namespaces/{ns}/services/web", {"spec": {"type": "LoadBalancer"}},
                           "application/merge-patch+json")
    assert (status, body["message"]) == (403, 'services "web" is forbidden: exceeded quota: services, requested: '
                                              "services.loadbalancers=1, used: services.loadbalancers=0, "
                                              "limited: services.loadbalancers=0")
    status, body, _ = http("PATCH", f"/api/v1/namespaces/{ns}/services/web", {"spec": {"type": "NodePort"}},
                           "application/merge-patch+json")
    assert status == 200, body
    claim = {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"],
                                                    "resources": {"requests": {"storage": "1Gi"}}}}
    assert http("POST", f"/api/v1/namespaces/{ns}/persistentvolumeclaims", claim)[0] == 201
    status, body, _ = http("PATCH", f"/api/v1/namespaces/{ns}/persistentvolumeclaims/data",
                           {"spec": {"resources": {"requests": {"storage": "3Gi"}}}}, "application/merge-patch+json")
    assert status == 403
    assert body["message"] == ('persistentvolumeclaims "data" is forbidden: exceeded quota: services, requested: '
                               "requests.storage=2Gi, used: requests.storage=1Gi, limited: requests.storage=2Gi")


def test_limit_range_pod_totals_and_claims(http: Http, ns: str) -> None:
    status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/limitranges", {"metadata": {"name": "pods"}, "spec": {
        "limits": [{"type": "Pod", "max": {"cpu": "1", "memory": "1Gi"}, "min": {"memory": "64Mi"}},
                   {"type": "PersistentVolumeClaim", "max": {"storage": "2Gi"}, "min": {"storage": "1Gi"}}]}})
    assert status == 201, body
    two = pod("two", limits={"cpu": "600m", "memory": "512Mi"})
    two["spec"]["containers"].append({"name": "side", "image": "nginx",
                                      "resources": {"limits": {"cpu": "600m", "memory": "512Mi"}}})
    status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/pods", two)
    assert (status, body["message"]) == (403, 'pods "two" is forbidden: maximum cpu usage per Pod is 1, but limit is '
                                              "1200m")
    init = pod("init", limits={"cpu": "500m", "memory": "128Mi"})
    init["spec"]["initContainers"] = [{"name": "setup", "image": "busybox",
                                       "resources": {"limits": {"cpu": "2", "memory": "128Mi"}}}]
    status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/pods", init)
    assert (status, body["message"]) == (403, 'pods "init" is forbidden: maximum cpu usage per Pod is 1, but limit '
                                              "is 2")
    bare = pod("bare", limits={"cpu": "100m"})
    status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/pods", bare)
    assert (status, body["message"]) == (403, 'pods "bare" is forbidden: [minimum memory usage per Pod is 64Mi.  No '
                                              "request is specified, maximum memory usage per Pod is 1Gi.  No limit "
                                              "is specified]")
    assert http("POST", f"/api/v1/namespaces/{ns}/pods", pod("fits", limits={"cpu": "1", "memory": "1Gi"}))[0] == 201
    claim = {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"],
                                                    "resources": {"requests": {"storage": "512Mi"}}}}
    status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/persistentvolumeclaims", claim)
    assert (status, body["message"]) == (403, 'persistentvolumeclaims "data" is forbidden: minimum storage usage per '
                                              "PersistentVolumeClaim is 1Gi, but request is 512Mi")
    claim["spec"]["resources"]["requests"]["storage"] = "1Gi"
    assert http("POST", f"/api/v1/namespaces/{ns}/persistentvolumeclaims", claim)[0] == 201
    status, body, _ = http("PATCH", f"/api/v1/namespaces/{ns}/persistentvolumeclaims/data",
                           {"spec": {"resources": {"requests": {"storage": "4Gi"}}}}, "application/merge-patch+json")
    assert (status, body["message"]) == (403, 'persistentvolumeclaims "data" is forbidden: maximum storage usage per '
                                              "PersistentVolumeClaim is 2Gi, but request is 4Gi")


def test_pods_take_their_priority_from_their_priority_class(http: Http, ns: str) -> None:
    """The Priority admission plugin (replays chainsaw-kube's priority-class test: spec.priority is 1000)."""
    name = f"p{ns}"
    assert http("POST", "/apis/scheduling.k8s.io/v1/priorityclasses",
                {"metadata": {"name": name}, "value": 1000, "preemptionPolicy": "Never"})[0] == 201
    prioritized = pod("prioritized")
    prioritized["spec"]["priorityClassName"] = name
    status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/pods", prioritized)
    assert status == 201, body
    assert (body["spec"]["priority"], body["spec"]["preemptionPolicy"]) == (1000, "Never")
    status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/pods", pod("plain"))
    assert (body["spec"]["priority"], body["spec"]["preemptionPolicy"]) == (0, "PreemptLowerPriority")
    missing = pod("missing")
    missing["spec"]["priorityClassName"] = "no-such-class"
    status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/pods", missing)
    assert (status, body["message"]) == (403, 'pods "missing" is forbidden: no PriorityClass with name '
                                              "no-such-class was found")
    given = pod("given")
    given["spec"].update(priorityClassName=name, priority=5)
    status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/pods", given)
    assert (status, body["message"]) == (403, 'pods "given" is forbidden: the integer value of priority (5) must '
                                              "not be provided in pod spec; priority admission controller computed "
                                              "1000 from the given PriorityClass name")


def test_a_global_default_priority_class_applies_to_pods_without_one() -> None:
    from chainsaw_py.embedded.kinds.core import _admit_priority

    class Classes:
        def get_object(self, group: str, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
            return next((item for item in self.list_objects(group, plural) if item["metadata"]["name"] == name), None)

        def list_objects(self, group: str, plural: str) -> list[dict[str, Any]]:
            return [{"metadata": {"name": "low"}, "value": 10},
                    {"metadata": {"name": "fallback"}, "value": 7, "globalDefault": True}]

    spec: dict[str, Any] = {}
    _admit_priority({"metadata": {"name": "p"}}, spec, Classes())  # type: ignore[arg-type]
    assert spec == {"priorityClassName": "fallback", "priority": 7, "preemptionPolicy": "PreemptLowerPriority"}
