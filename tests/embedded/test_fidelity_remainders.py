"""Fidelity remainders of issue 11: HPA v1 round trips, paging from a snapshot, the kubernetes service proxy."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chainsaw_py.embedded.apiserver import ApiServer
from chainsaw_py.embedded.kinds import StrategyRegistry
from chainsaw_py.embedded.limits import Limits
from chainsaw_py.embedded.resources import ResourceRegistry
from chainsaw_py.embedded.store import Store


@pytest.fixture
def server() -> ApiServer:
    api = ApiServer(ResourceRegistry(), Store(), StrategyRegistry())
    namespaces = api.registry.lookup("", "v1", "namespaces")
    assert namespaces is not None
    api.create(namespaces, "", {"metadata": {"name": "ns"}})
    return api


def _rt(server: ApiServer, api_version: str, kind: str) -> Any:
    found = server.registry.by_api_version_kind(api_version, kind)
    assert found is not None
    return found


# --- autoscaling/v1 keeps what only v2 expresses, in annotations ----------------------------------------

HPA_V2 = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
          "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                   "maxReplicas": 5, "behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}},
                   "metrics": [
                       {"type": "Resource", "resource": {"name": "cpu", "target": {
                           "type": "Utilization", "averageUtilization": 60}}},
                       {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {
                           "type": "AverageValue", "averageValue": "10"}}}]}}
HPA_STATUS = {"currentReplicas": 2, "desiredReplicas": 3,
              "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {
                  "averageUtilization": 40, "averageValue": "100m"}}}],
              "conditions": [{"type": "AbleToScale", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z",
                              "reason": "ReadyForNewScale", "message": "ok"}]}


def _hpa_with_status(server: ApiServer) -> None:
    v2 = _rt(server, "autoscaling/v2", "HorizontalPodAutoscaler")
    server.create(v2, "ns", json.loads(json.dumps(HPA_V2)))
    current = server.get(v2, "ns", "h").obj
    current["status"] = json.loads(json.dumps(HPA_STATUS))
    server.update(v2, "ns", "h", current, subresource="status")


def test_autoscaling_v1_carries_v2_fields_in_annotations(server: ApiServer) -> None:
    _hpa_with_status(server)
    seen = server.get(_rt(server, "autoscaling/v1", "HorizontalPodAutoscaler"), "ns", "h").obj
    annotations = seen["metadata"]["annotations"]
    assert annotations["autoscaling.alpha.kubernetes.io/metrics"] == \
        '[{"type":"Pods","pods":{"metricName":"qps","targetAverageValue":"10"}}]'
    assert annotations["autoscaling.alpha.kubernetes.io/current-metrics"] == \
        '[{"type":"Resource","resource":{"name":"cpu","currentAverageUtilization":40,"currentAverageValue":"100m"}}]'
    assert annotations["autoscaling.alpha.kubernetes.io/conditions"] == \
        '[{"type":"AbleToScale","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z",' \
        '"reason":"ReadyForNewScale","message":"ok"}]'
    assert json.loads(annotations["autoscaling.alpha.kubernetes.io/behavior"])["ScaleDown"] == {
        "StabilizationWindowSeconds": 60, "SelectPolicy": "Max",
        "Policies": [{"Type": "Percent", "Value": 100, "PeriodSeconds": 15}]}
    assert seen["spec"]["targetCPUUtilizationPercentage"] == 60
    assert seen["status"] == {"currentReplicas": 2, "desiredReplicas": 3, "currentCPUUtilizationPercentage": 40}


def test_an_update_through_autoscaling_v1_keeps_the_v2_fields(server: ApiServer) -> None:
    _hpa_with_status(server)
    v1 = _rt(server, "autoscaling/v1", "HorizontalPodAutoscaler")
    seen = server.get(v1, "ns", "h").obj
    seen["spec"]["maxReplicas"] = 7
    server.update(v1, "ns", "h", seen)
    stored = server.get(_rt(server, "autoscaling/v2", "HorizontalPodAutoscaler"), "ns", "h").obj
    assert "annotations" not in stored["metadata"]
    assert stored["spec"]["maxReplicas"] == 7
    assert [metric["type"] for metric in stored["spec"]["metrics"]] == ["Pods", "Resource"]
    assert stored["spec"]["metrics"][0]["pods"] == {"metric": {"name": "qps"},
                                                    "target": {"type": "AverageValue", "averageValue": "10"}}
    assert stored["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 60
    assert stored["status"]["conditions"][0]["reason"] == "ReadyForNewScale"
    assert stored["status"]["currentMetrics"][0]["resource"]["current"] == {"averageValue": "100m",
                                                                            "averageUtilization": 40}


def test_autoscaling_v1_without_annotations_defaults_the_cpu_target(server: ApiServer) -> None:
    v1 = _rt(server, "autoscaling/v1", "HorizontalPodAutoscaler")
    created = server.create(v1, "ns", {
        "apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "plain", "annotations": {"autoscaling.alpha.kubernetes.io/metrics": "not json"}},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 2}}).obj
    assert "annotations" not in created["metadata"]
    assert created["spec"]["targetCPUUtilizationPercentage"] == 80
    assert created["status"] == {"currentReplicas": 0, "desiredReplicas": 0}


# --- continue tokens page the snapshot of the first page ------------------------------------------------

def _names(result: Any) -> list[str]:
    return [item.obj["metadata"]["name"] for item in result.items]


def _paging_server(history_size: int = 1000) -> tuple[ApiServer, Any]:
    limits = Limits(watch_history_min_events=history_size, watch_history_max_events=history_size)
    api = ApiServer(ResourceRegistry(), Store(limits), StrategyRegistry())
    namespaces = _rt(api, "v1", "Namespace")
    api.create(namespaces, "", {"metadata": {"name": "ns"}})
    configmaps = _rt(api, "v1", "ConfigMap")
    for name in ("a", "b", "c", "d"):
        api.create(configmaps, "ns", {"metadata": {"name": name}, "data": {"v": "1"}})
    return api, configmaps


def test_continue_pages_the_snapshot_of_the_first_page() -> None:
    api, configmaps = _paging_server()
    first = api.list(configmaps, "ns", limit=2)
    assert _names(first) == ["a", "b"] and first.remaining == 2
    api.delete(configmaps, "ns", "c")
    api.create(configmaps, "ns", {"metadata": {"name": "bb"}})
    api.patch(configmaps, "ns", "d", "application/merge-patch+json", {"data": {"v": "2"}})
    second = api.list(configmaps, "ns", limit=2, continue_token=first.continue_token)
    assert _names(second) == ["c", "d"] and second.resource_version == first.resource_version
    assert second.items[1].obj["data"] == {"v": "1"} and not second.continue_token


def test_an_expired_continue_token_is_gone_with_a_token_that_continues_from_now() -> None:
    from chainsaw_py.embedded.apierrors import ContinueExpired

    api, configmaps = _paging_server(history_size=2)
    first = api.list(configmaps, "ns", limit=2)
    for name in ("x", "y", "z"):
        api.create(configmaps, "ns", {"metadata": {"name": name}})
    with pytest.raises(ContinueExpired) as expired:
        api.list(configmaps, "ns", limit=2, continue_token=first.continue_token)
    body = expired.value.status_body()
    assert body["code"] == 410 and body["reason"] == "Expired"
    assert body["message"].startswith("The provided continue parameter is too old to display a consistent list "
                                      "result. You can start a new list without the continue parameter, or use")
    rest = api.list(configmaps, "ns", limit=10, continue_token=body["metadata"]["continue"])
    assert _names(rest) == ["c", "d", "x", "y", "z"]
    assert rest.resource_version == api.store.resource_version


def test_continue_over_http_checks_the_token(cluster: Any, namespace: str) -> None:
    from .test_fidelity import _raw

    base = f"/api/v1/namespaces/{namespace}/configmaps"
    status, body, _ = _raw(cluster, "GET", f"{base}?limit=1&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MCwic3RhcnQiOiJhIn0")
    assert status == 400 and json.loads(body)["message"] == "invalid continue token: continue key is not valid: " \
        "incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
    status, body, _ = _raw(cluster, "GET", f"{base}?limit=1&resourceVersion=5&continue=abc")
    assert status == 400 and json.loads(body)["message"] == "specifying resource version is not allowed when using continue"


# --- the kubernetes service proxies to the API server itself --------------------------------------------

def test_proxy_to_the_kubernetes_service_reaches_the_api_server(kubectl: Any) -> None:
    base = "/api/v1/namespaces/default/services/https:kubernetes:443/proxy"
    version = json.loads(kubectl("get", "--raw", f"{base}/version"))
    assert version["major"] == "1" and version["gitVersion"].startswith("v1.")
    assert kubectl("get", "--raw", "/api/v1/namespaces/default/services/https:kubernetes:https/proxy/healthz") == "ok"


def test_proxied_requests_lose_the_callers_credentials(cluster: Any) -> None:
    from .test_fidelity import _raw

    status, _, _ = _raw(cluster, "GET", "/api/v1/namespaces/default/services/https:kubernetes:443/proxy/api/v1/secrets")
    assert status == 401   # the API server sees an anonymous request, as behind a real apiserver's proxy


def test_proxy_to_a_service_with_a_loopback_endpoint_nobody_listens_on_is_refused(api_client: Any,
                                                                                  namespace: str) -> None:
    import socket

    from kubernetes import client

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    core = client.CoreV1Api(api_client)
    core.create_namespaced_service(namespace, {"metadata": {"name": "host"}, "spec": {
        "ports": [{"name": "http", "port": 80, "targetPort": free_port}]}})
    core.create_namespaced_endpoints(namespace, {"metadata": {"name": "host"}, "subsets": [{
        "addresses": [{"ip": "127.0.0.1"}], "ports": [{"name": "http", "port": free_port}]}]})
    with pytest.raises(client.ApiException) as refused:
        core.connect_get_namespaced_service_proxy_with_path("host", namespace, "x")
    assert refused.value.status == 503
    assert f"dial tcp 127.0.0.1:{free_port}: connect: connection refused" in refused.value.body


# --- managedFields: atomic structs are owned whole ------------------------------------------------------

def test_update_managers_own_atomic_selectors_whole(kubectl: Any, namespace: str) -> None:
    kubectl("create", "deployment", "owned", "--image=nginx", "-n", namespace)
    created = json.loads(kubectl("get", "deployment", "owned", "-n", namespace, "-o", "json",
                                 "--show-managed-fields"))
    entry = next(e for e in created["metadata"]["managedFields"] if e["manager"] == "kubectl-create")
    spec = entry["fieldsV1"]["f:spec"]
    assert spec["f:selector"] == {}   # LabelSelector is x-kubernetes-map-type: atomic
    template = spec["f:template"]
    assert template["f:metadata"]["f:creationTimestamp"] == {}
    assert template["f:spec"]["f:containers"]['k:{"name":"nginx"}']["f:resources"] == {}


# --- writes that race a delete answer NotFound (no controller traceback) --------------------------------

def test_writes_racing_a_delete_answer_not_found(server: ApiServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from chainsaw_py.embedded.apierrors import NotFound

    pods, configmaps = _rt(server, "v1", "Pod"), _rt(server, "v1", "ConfigMap")
    server.create(pods, "ns", {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i"}]}})
    server.create(configmaps, "ns", {"metadata": {"name": "c"}})
    original = server.store.update

    def deleted_first(group: str, plural: str, obj: dict[str, Any], expected_rv: int | None = None) -> Any:
        server.store.delete(group, plural, obj["metadata"]["namespace"], obj["metadata"]["name"])
        return original(group, plural, obj, expected_rv)

    monkeypatch.setattr(server.store, "update", deleted_first)
    with pytest.raises(NotFound):
        server.assign_node("ns", "p", "node")
    with pytest.raises(NotFound):
        server.update(configmaps, "ns", "c", {"metadata": {"name": "c"}, "data": {"a": "b"}})


def test_objects_are_written_in_go_field_order(server: ApiServer) -> None:
    created = server.create(_rt(server, "v1", "ConfigMap"), "ns",
                            {"data": {"a": "b"}, "metadata": {"name": "ordered"}, "apiVersion": "v1",
                             "kind": "ConfigMap"}).obj
    assert list(created) == ["kind", "apiVersion", "metadata", "data"]
    assert list(created["metadata"])[:2] == ["name", "namespace"]


def test_orphaning_retries_a_dependent_that_changed_meanwhile(cluster: Any, namespace: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A conflict while dropping the owner reference must not let the dependent be collected afterwards."""
    from chainsaw_py.embedded.apierrors import Conflict
    from chainsaw_py.embedded.writes import DeleteOptions

    from .conftest import wait_for
    from .test_controllers import _create, _get, _list, _pod_template, _rt

    _create(cluster, namespace, {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "rs"},
                                 "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "rs"}},
                                          "template": _pod_template({"app": "rs"})}})
    wait_for(lambda: len(_list(cluster, "v1", "Pod", namespace, "app=rs")) == 2)
    original = cluster.api.update
    conflicts = [1]

    def conflicting_once(rt: Any, ns: str, name: str, body: Any, options: Any = None, subresource: str = "") -> Any:
        if rt.plural == "pods" and conflicts[0] and "ownerReferences" not in body["metadata"]:
            conflicts[0] -= 1
            raise Conflict.modified("", "pods", name)
        return original(rt, ns, name, body, options, subresource)

    monkeypatch.setattr(cluster.api, "update", conflicting_once)
    cluster.api.delete(_rt(cluster, "apps/v1", "ReplicaSet"), namespace, "rs", DeleteOptions(propagation="Orphan"))
    wait_for(lambda: _get(cluster, "apps/v1", "ReplicaSet", namespace, "rs") is None)
    assert conflicts == [0]
    pods = _list(cluster, "v1", "Pod", namespace, "app=rs")
    assert len(pods) == 2
    assert all("ownerReferences" not in p["metadata"] and "deletionTimestamp" not in p["metadata"] for p in pods)


# --- PodDisruptionBudgets: the disruption controller and evictions -------------------------------------

def _budget_status(policy: Any, namespace: str, name: str, generation: int = 1) -> Any:
    status = policy.read_namespaced_pod_disruption_budget(name, namespace).status
    return status if status is not None and (status.observed_generation or 0) >= generation else None


def test_disruption_budgets_are_computed_and_honoured_by_evictions(api_client: Any, namespace: str) -> None:
    from kubernetes import client

    from .conftest import wait_for

    apps, core, policy = client.AppsV1Api(api_client), client.CoreV1Api(api_client), client.PolicyV1Api(api_client)
    apps.create_namespaced_deployment(namespace, {"metadata": {"name": "web"}, "spec": {
        "replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": {
            "metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
    wait_for(lambda: (apps.read_namespaced_deployment("web", namespace).status.ready_replicas or 0) == 2)
    policy.create_namespaced_pod_disruption_budget(namespace, {"metadata": {"name": "web"}, "spec": {
        "minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}}})
    status = wait_for(lambda: _budget_status(policy, namespace, "web"))
    assert (status.expected_pods, status.desired_healthy, status.current_healthy, status.disruptions_allowed) == \
        (2, 2, 2, 0)
    assert [(c.type, c.status, c.reason) for c in status.conditions] == [
        ("DisruptionAllowed", "False", "InsufficientPods")]
    pod = core.list_namespaced_pod(namespace, label_selector="app=web").items[0].metadata.name
    eviction = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": pod, "namespace": namespace}}
    with pytest.raises(client.ApiException) as refused:
        core.create_namespaced_pod_eviction(pod, namespace, eviction)
    body = json.loads(refused.value.body)
    assert refused.value.status == 429 and body["reason"] == "TooManyRequests"
    assert body["message"] == "Cannot evict pod as it would violate the pod's disruption budget."
    assert body["details"]["causes"] == [{"reason": "DisruptionBudget",
                                          "message": "The disruption budget web needs 2 healthy pods and has 2 "
                                                     "currently"}]
    policy.patch_namespaced_pod_disruption_budget("web", namespace, {"spec": {"minAvailable": "50%"}})
    status = wait_for(lambda: _budget_status(policy, namespace, "web", generation=2))
    assert (status.expected_pods, status.desired_healthy, status.disruptions_allowed) == (2, 1, 1)
    core.create_namespaced_pod_eviction(pod, namespace, eviction)
    wait_for(lambda: all(p.metadata.name != pod for p in core.list_namespaced_pod(namespace).items))
    wait_for(lambda: policy.read_namespaced_pod_disruption_budget("web", namespace).status.current_healthy == 2)


def test_max_unavailable_budgets_count_the_controllers_replicas(api_client: Any, namespace: str) -> None:
    from kubernetes import client

    from .conftest import wait_for

    apps, policy = client.AppsV1Api(api_client), client.PolicyV1Api(api_client)
    apps.create_namespaced_stateful_set(namespace, {"metadata": {"name": "db"}, "spec": {
        "replicas": 3, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}}, "template": {
            "metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "c", "image": "db"}]}}}})
    policy.create_namespaced_pod_disruption_budget(namespace, {"metadata": {"name": "db"}, "spec": {
        "maxUnavailable": 1, "selector": {"matchLabels": {"app": "db"}}}})
    wait_for(lambda: (apps.read_namespaced_stateful_set("db", namespace).status.ready_replicas or 0) == 3)
    wait_for(lambda: policy.read_namespaced_pod_disruption_budget("db", namespace).status.current_healthy == 3)
    status = policy.read_namespaced_pod_disruption_budget("db", namespace).status
    assert (status.expected_pods, status.desired_healthy, status.disruptions_allowed) == (3, 2, 1)


# --- wire details: Go's JSON encoding ---------------------------------------------------------------------

def test_json_bodies_escape_html_characters_as_go_does(cluster: Any, namespace: str) -> None:
    from .test_fidelity import _raw

    status, body, _ = _raw(cluster, "POST", f"/api/v1/namespaces/{namespace}/configmaps",
                           {"metadata": {"name": "html"}, "data": {"x": "<a href='?a=1&b=2'>\u2028"}})
    assert status == 201
    assert b'"x":"\\u003ca href=\'?a=1\\u0026b=2\'\\u003e\\u2028"' in body
    assert json.loads(body)["data"]["x"] == "<a href='?a=1&b=2'>\u2028"


def test_unpaired_surrogate_escapes_decode_as_replacement_characters(cluster: Any, namespace: str) -> None:
    """Was: the object was stored, then every read of it (and every list of its kind) failed with a 500."""
    from .test_fidelity import _raw

    base = f"/api/v1/namespaces/{namespace}/configmaps"
    status, body, _ = _raw(cluster, "POST", base, b'{"metadata":{"name":"lone"},"data":{"x":"a\\ud800b","y":"\\ud83d\\ude00"}}')
    assert status == 201 and json.loads(body)["data"] == {"x": "a\ufffdb", "y": "\U0001f600"}
    status, body, _ = _raw(cluster, "POST", base, b'metadata: {name: lone-yaml}\ndata: {x: "\\ud800"}\n',
                           content_type="application/yaml")
    assert status == 400 and b"found invalid Unicode character escape code" in body   # as go-yaml refuses it
    status, _, _ = _raw(cluster, "GET", base)
    assert status == 200


# --- server-side apply: what a manager stops applying goes, list items whole ---------------------------

_APPLY_ONE = """apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  replicas: 1
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers: [{name: c, image: i, env: [{name: A, value: "1"}]}]
"""


def _env(kubectl: Any, namespace: str) -> Any:
    return json.loads(kubectl("get", "deployment", "d", "-n", namespace, "-o",
                              "jsonpath={.spec.template.spec.containers[0].env}"))


def test_an_applied_list_item_no_longer_applied_is_removed_whole(kubectl: Any, namespace: str) -> None:
    def apply(manager: str, manifest: str) -> None:
        kubectl("apply", "--server-side", f"--field-manager={manager}", "-n", namespace, "-f", "-", stdin=manifest)

    apply("one", _APPLY_ONE)
    env_b = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n" \
            "      containers: [{name: c, env: [{name: B, value: \"2\"}]}]\n"
    apply("two", env_b)
    assert _env(kubectl, namespace) == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]
    apply("two", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n")
    assert _env(kubectl, namespace) == [{"name": "A", "value": "1"}]


def test_a_list_item_another_manager_changed_stays(kubectl: Any, namespace: str) -> None:
    kubectl("apply", "--server-side", "--field-manager=one", "-n", namespace, "-f", "-", stdin=_APPLY_ONE)
    kubectl("set", "env", "deployment/d", "-n", namespace, "A=2")   # an Update manager now owns A's value
    kubectl("apply", "--server-side", "--field-manager=one", "-n", namespace, "-f", "-",
            stdin=_APPLY_ONE.replace(', env: [{name: A, value: "1"}]', ""))
    assert _env(kubectl, namespace) == [{"name": "A", "value": "2"}]


# --- workload controllers keep the status conditions others set ----------------------------------------

@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet", "DaemonSet"])
def test_workload_controllers_keep_conditions_they_do_not_own(cluster: Any, namespace: str, kind: str) -> None:
    from .conftest import wait_for
    from .test_controllers import _create, _get, _pod_template, _rt

    spec: dict[str, Any] = {"selector": {"matchLabels": {"app": "w"}}, "template": _pod_template({"app": "w"})}
    if kind == "StatefulSet":
        spec["serviceName"] = "w"
    _create(cluster, namespace, {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "w"}, "spec": spec})
    wait_for(lambda: (_get(cluster, "apps/v1", kind, namespace, "w") or {}).get("status", {}).get("observedGeneration"))
    cluster.wait_idle()
    current = _get(cluster, "apps/v1", kind, namespace, "w")
    assert current is not None
    custom = {"type": "Custom", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z", "reason": "Set"}
    current["status"]["conditions"] = [*(current["status"].get("conditions") or []), custom]
    cluster.api.update(_rt(cluster, "apps/v1", kind), namespace, "w", current, subresource="status")
    cluster.api.patch(_rt(cluster, "apps/v1", kind), namespace, "w", "application/merge-patch+json",
                      {"spec": {"minReadySeconds": 1}})
    wait_for(lambda: (_get(cluster, "apps/v1", kind, namespace, "w") or {})["status"].get("observedGeneration") == 2)
    cluster.wait_idle()
    conditions = (_get(cluster, "apps/v1", kind, namespace, "w") or {})["status"]["conditions"]
    assert [c for c in conditions if c["type"] == "Custom"] == [custom]


def test_yaml_bodies_reach_the_apiserver_as_json_numbers(cluster: Any, namespace: str) -> None:
    """sigs.k8s.io/yaml writes a whole float as an integer, so YAML ``replicas: 2.0`` is a valid int32 (JSON
    ``2.0`` is not)."""
    from .test_fidelity import _raw

    base = f"/apis/apps/v1/namespaces/{namespace}/deployments"
    manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: y}\nspec: {replicas: %s, selector: " \
               "{matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: i}]}}}\n"
    status, body, _ = _raw(cluster, "POST", base, (manifest % "2.0").encode(), content_type="application/yaml")
    assert status == 201 and json.loads(body)["spec"]["replicas"] == 2
    status, body, _ = _raw(cluster, "POST", base, (manifest % "2.5").encode().replace(b"name: y", b"name: z"),
                           content_type="application/yaml")
    assert status == 400 and b"cannot unmarshal number 2.5 into Go struct field DeploymentSpec.spec.replicas of " \
                              b"type int32" in body


def test_a_budget_selecting_no_pods_says_so(api_client: Any, namespace: str) -> None:
    from kubernetes import client

    from .conftest import wait_for

    policy, core = client.PolicyV1Api(api_client), client.CoreV1Api(api_client)
    policy.create_namespaced_pod_disruption_budget(namespace, {"metadata": {"name": "none"}, "spec": {
        "minAvailable": 1, "selector": {"matchLabels": {"app": "nothing"}}}})
    events = wait_for(lambda: core.list_namespaced_event(
        namespace, field_selector="involvedObject.kind=PodDisruptionBudget,involvedObject.name=none").items)
    assert (events[0].type, events[0].reason, events[0].message, events[0].source.component) == \
        ("Normal", "NoPods", "No matching pods found", "controllermanager")
    status = policy.read_namespaced_pod_disruption_budget("none", namespace).status
    assert (status.expected_pods, status.desired_healthy, status.current_healthy, status.disruptions_allowed) == \
        (0, 1, 0, 0)


def test_whole_floats_of_custom_resources_read_back_as_integers(api_client: Any, namespace: str) -> None:
    from kubernetes import client

    from .conftest import wait_for
    from .test_fidelity import WIDGETS_CRD, _served

    crd = json.loads(json.dumps(WIDGETS_CRD).replace("idget", "heel"))   # Wheel, wheels: this test's own CRD
    client.ApiextensionsV1Api(api_client).create_custom_resource_definition(crd)
    custom = client.CustomObjectsApi(api_client)
    args = ("fidelity.example.com", "v1", namespace, "wheels")
    wait_for(lambda: _served(custom, args))
    created = custom.create_namespaced_custom_object(*args, {
        "apiVersion": "fidelity.example.com/v1", "kind": "Wheel", "metadata": {"name": "numbers"},
        "spec": {"whole": 1.0, "negative_zero": -0.0, "fraction": 0.5, "huge": 1e21}})
    assert created["spec"] == {"whole": 1, "negative_zero": 0, "fraction": 0.5, "huge": 1e21}
    assert isinstance(created["spec"]["whole"], int)
