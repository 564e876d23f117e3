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
