"""The simulated scheduler's filters: taints, cordoned nodes, node affinity and resource requests keep a pod
Pending with kube-scheduler's message, and it is scheduled once the node changes (replays of the
cnuss/chainsaw-kube conformance suite's taints-tolerations and resource-requests-limits tests)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster
from chainsaw_py.embedded.controllers.scheduling import failure_message, scheduling_failure
from tests.embedded.conftest import wait_for

_NODE = {"metadata": {"name": "n", "labels": {"kubernetes.io/hostname": "n", "disk": "ssd"}},
         "spec": {}, "status": {"allocatable": {"cpu": "2", "memory": "4Gi"}}}


def _pod(spec: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"name": "p", "uid": "u"},
            "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec}}


def _node(**spec: Any) -> dict[str, Any]:
    return {**_NODE, "spec": spec}


def _requests(**amounts: str) -> list[dict[str, Any]]:
    return [{"name": "c", "image": "nginx", "resources": {"requests": amounts}}]


def test_a_plain_pod_fits() -> None:
    assert scheduling_failure(_pod({}), _NODE, []) is None


@pytest.mark.parametrize(("toleration", "tolerated"), [
    ({"key": "team", "operator": "Equal", "value": "a", "effect": "NoSchedule"}, True),
    ({"key": "team", "value": "a"}, True),
    ({"key": "team", "operator": "Exists"}, True),
    ({"operator": "Exists"}, True),
    ({"key": "team", "operator": "Equal", "value": "b"}, False),
    ({"key": "team", "operator": "Exists", "effect": "NoExecute"}, False),
    ({"key": "other", "operator": "Exists"}, False),
])
def test_taints_need_a_matching_toleration(toleration: dict[str, Any], tolerated: bool) -> None:
    node = _node(taints=[{"key": "team", "value": "a", "effect": "NoSchedule"}])
    failure = scheduling_failure(_pod({"tolerations": [toleration]}), node, [])
    assert (failure is None) == tolerated
    if failure is not None:
        assert failure_message(*failure) == (
            "0/1 nodes are available: 1 node(s) had untolerated taint {team: a}. preemption: 0/1 nodes are "
            "available: 1 Preemption is not helpful for scheduling.")


def test_prefer_no_schedule_taints_do_not_filter() -> None:
    node = _node(taints=[{"key": "soft", "effect": "PreferNoSchedule"}])
    assert scheduling_failure(_pod({}), node, []) is None


def test_a_cordoned_node_takes_no_pods_unless_tolerated() -> None:
    failure = scheduling_failure(_pod({}), _node(unschedulable=True), [])
    assert failure is not None and failure[0] == ["node(s) were unschedulable"]
    tolerating = _pod({"tolerations": [{"key": "node.kubernetes.io/unschedulable", "operator": "Exists"}]})
    assert scheduling_failure(tolerating, _node(unschedulable=True), []) is None


@pytest.mark.parametrize(("terms", "fits"), [
    ([{"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}]}], True),
    ([{"matchExpressions": [{"key": "disk", "operator": "NotIn", "values": ["ssd"]}]}], False),
    ([{"matchExpressions": [{"key": "gpu", "operator": "Exists"}]},
      {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n"]}]}], True),
    ([{"matchExpressions": [{"key": "gpu", "operator": "DoesNotExist"},
                            {"key": "disk", "operator": "In", "values": ["hdd"]}]}], False),
    ([{}], False),
])
def test_required_node_affinity(terms: list[dict[str, Any]], fits: bool) -> None:
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}}
    failure = scheduling_failure(_pod({"affinity": affinity}), _NODE, [])
    assert (failure is None) == fits
    if failure is not None:
        assert failure[0] == ["node(s) didn't match Pod's node affinity/selector"]


def test_requests_must_fit_beside_the_bound_pods() -> None:
    big = _pod({"containers": _requests(memory="999Gi", cpu="3")})
    failure = scheduling_failure(big, _NODE, [])
    assert failure is not None and failure_message(*failure) == (
        "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: 0/1 nodes are "
        "available: 1 No preemption victims found for incoming pod.")
    half = _pod({"containers": _requests(cpu="1500m")})
    assert scheduling_failure(half, _NODE, []) is None
    assert scheduling_failure(half, _NODE, [half])[0] == ["Insufficient cpu"]  # type: ignore[index]


def test_init_containers_and_overhead_count() -> None:
    pod = _pod({"initContainers": _requests(memory="5Gi"), "containers": _requests(memory="1Gi")})
    assert scheduling_failure(pod, _NODE, [])[0] == ["Insufficient memory"]  # type: ignore[index]
    with_overhead = _pod({"containers": _requests(cpu="1900m"), "overhead": {"cpu": "200m"}})
    assert scheduling_failure(with_overhead, _NODE, [])[0] == ["Insufficient cpu"]  # type: ignore[index]


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[EmbeddedCluster]:
    """A cluster of its own: these tests taint its only node."""
    with EmbeddedCluster() as running:
        yield running


def _rt(cluster: EmbeddedCluster, api_version: str, kind: str) -> Any:
    rt = cluster.registry.by_api_version_kind(api_version, kind)
    assert rt is not None
    return rt


def _pod_in(cluster: EmbeddedCluster, name: str) -> dict[str, Any] | None:
    stored = cluster.store.get("", "pods", "default", name)
    return stored.copy() if stored else None


def _set_taints(cluster: EmbeddedCluster, taints: list[dict[str, Any]]) -> None:
    rt = _rt(cluster, "v1", "Node")
    node = cluster.store.get("", "nodes", "", "embedded-node")
    assert node is not None
    obj = node.copy()
    obj["spec"]["taints"] = taints
    cluster.api.update(rt, "", "embedded-node", obj)


def test_a_tainted_node_keeps_the_pod_pending_until_the_taint_goes(own_cluster: EmbeddedCluster) -> None:
    _set_taints(own_cluster, [{"key": "test-taint", "value": "true", "effect": "NoSchedule"}])
    own_cluster.api.create(_rt(own_cluster, "v1", "Pod"), "default", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "no-toleration"},
        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}})
    pod = wait_for(lambda: (p := _pod_in(own_cluster, "no-toleration")) and p["status"].get("conditions") and p)
    assert pod["status"]["phase"] == "Pending" and not pod["spec"].get("nodeName")
    condition = pod["status"]["conditions"][0]
    assert condition["reason"] == "Unschedulable"
    assert "1 node(s) had untolerated taint {test-taint: true}" in condition["message"]
    _set_taints(own_cluster, [])
    wait_for(lambda: (p := _pod_in(own_cluster, "no-toleration")) and p["status"].get("phase") == "Running")


def test_a_pod_asking_too_much_memory_stays_pending(own_cluster: EmbeddedCluster) -> None:
    own_cluster.api.create(_rt(own_cluster, "v1", "Pod"), "default", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "resource-excessive"},
        "spec": {"containers": _requests(memory="999Gi")}})
    pod = wait_for(lambda: (p := _pod_in(own_cluster, "resource-excessive")) and p["status"].get("conditions") and p)
    assert pod["status"]["phase"] == "Pending"
    assert pod["status"]["conditions"][0]["message"].startswith("0/1 nodes are available: 1 Insufficient memory.")


def test_cordoning_taints_the_node_and_uncordoning_removes_it(own_cluster: EmbeddedCluster) -> None:
    rt = _rt(own_cluster, "v1", "Node")
    own_cluster.api.patch(rt, "", "embedded-node", "application/merge-patch+json", {"spec": {"unschedulable": True}})

    def taints() -> list[dict[str, Any]]:
        node = own_cluster.store.get("", "nodes", "", "embedded-node")
        assert node is not None
        return list(node.copy()["spec"].get("taints") or [])

    taint = wait_for(lambda: taints() and taints()[0])
    assert (taint["key"], taint["effect"]) == ("node.kubernetes.io/unschedulable", "NoSchedule")
    assert taint["timeAdded"]
    own_cluster.api.patch(rt, "", "embedded-node", "application/merge-patch+json", {"spec": {"unschedulable": None}})
    wait_for(lambda: not taints())
