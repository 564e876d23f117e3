"""Fidelity to kube-apiserver where real clients noticed differences (issue 11), item by item."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster
from tests.embedded.conftest import Kubectl, wait_for


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


# --- 9. wire details -------------------------------------------------------------------------------------

def _raw(cluster: EmbeddedCluster, method: str, path: str, body: Any = None, accept: str = "application/json",
         content_type: str = "application/json") -> tuple[int, bytes, Any]:
    import ssl
    import urllib.error
    import urllib.request

    context = ssl.create_default_context(cadata=(cluster.ca_pem or b"").decode())
    data = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{cluster.server_url}{path}", data=data, method=method,
                                     headers={"Authorization": f"Bearer {cluster.token}",
                                              "Content-Type": content_type, "Accept": accept})
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as err:
        return err.code, err.read(), err.headers


def test_json_bodies_end_with_a_newline(cluster: EmbeddedCluster, namespace: str) -> None:
    base = f"/api/v1/namespaces/{namespace}/configmaps"
    created = _raw(cluster, "POST", base, {"metadata": {"name": "nl"}})
    fetched = _raw(cluster, "GET", f"{base}/nl")
    listed = _raw(cluster, "GET", base)
    missing = _raw(cluster, "GET", f"{base}/absent")
    table = _raw(cluster, "GET", base, accept="application/json;as=Table;v=v1;g=meta.k8s.io")
    discovery = _raw(cluster, "GET", "/api/v1")
    for status, body, _headers in (created, fetched, listed, missing, table, discovery):
        assert body.endswith(b"}\n") and status in (200, 201, 404)
    assert json.loads(missing[1])["reason"] == "NotFound"


def test_resource_version_match_exact_lists_that_version(cluster: EmbeddedCluster, namespace: str) -> None:
    base = f"/api/v1/namespaces/{namespace}/configmaps"
    labels = {"labels": {"t": "x"}}
    _raw(cluster, "POST", base, {"metadata": {"name": "a", **labels}, "data": {"v": "1"}})
    first = json.loads(_raw(cluster, "GET", base)[1])["metadata"]["resourceVersion"]
    _raw(cluster, "PUT", f"{base}/a", {"metadata": {"name": "a", **labels}, "data": {"v": "2"}})
    _raw(cluster, "POST", base, {"metadata": {"name": "b", **labels}})
    _raw(cluster, "DELETE", f"{base}/a")
    now = json.loads(_raw(cluster, "GET", f"{base}?labelSelector=t%3Dx")[1])
    assert [item["metadata"]["name"] for item in now["items"]] == ["b"]
    status, body, _ = _raw(cluster, "GET", f"{base}?labelSelector=t%3Dx&resourceVersion={first}"
                                           "&resourceVersionMatch=Exact")
    then = json.loads(body)
    assert status == 200 and then["metadata"]["resourceVersion"] == first
    assert [(item["metadata"]["name"], item["data"]) for item in then["items"]] == [("a", {"v": "1"})]
    status, body, _ = _raw(cluster, "GET", f"{base}?resourceVersion=0&resourceVersionMatch=Exact")
    assert status == 422 and json.loads(body)["message"] == (
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is '
        'forbidden for resourceVersion "0"')
    future = int(now["metadata"]["resourceVersion"]) + 1000
    status, body, _ = _raw(cluster, "GET", f"{base}?resourceVersion={future}&resourceVersionMatch=Exact")
    assert status == 504 and json.loads(body)["details"]["causes"][0]["reason"] == "ResourceVersionTooLarge"


def test_resource_version_match_exact_is_gone_once_compacted() -> None:
    from chainsaw_py.embedded.limits import Limits
    from chainsaw_py.embedded.store import HistoryExpired, Store

    store = Store(Limits(watch_history_min_events=2, watch_history_max_events=2))
    for index in range(4):
        store.create("", "configmaps", {"metadata": {"namespace": "ns", "name": f"c{index}"}})
    assert [item.obj["metadata"]["name"] for item in store.list_at("", "configmaps", "ns", 3)] == ["c0", "c1", "c2"]
    with pytest.raises(HistoryExpired):
        store.list_at("", "configmaps", "ns", 1)


# --- 11. exec / attach / port-forward / proxy for containers that do not run ------------------------------

def _ready_pod(core: Any, namespace: str, name: str, containers: tuple[str, ...] = ("main",)) -> None:
    core.create_namespaced_pod(namespace, {"metadata": {"name": name}, "spec": {
        "containers": [{"name": c, "image": "busybox"} for c in containers]}})
    wait_for(lambda: core.read_namespaced_pod(name, namespace).status.phase == "Running")


def test_kubectl_exec_attach_port_forward_fail_fast(api_client: Any, kubectl: Kubectl, namespace: str) -> None:
    from kubernetes import client

    _ready_pod(client.CoreV1Api(api_client), namespace, "box")
    ns = ("-n", namespace)
    cases = {
        ("exec", "box", *ns, "--", "ls"): 'error: unable to upgrade connection: container not found ("main")',
        ("exec", "box", "-c", "nope", *ns, "--", "ls"):
            "Error from server (BadRequest): container nope is not valid for pod box",
        ("attach", "box", *ns): 'error: unable to upgrade connection: container not found ("main")',
        ("port-forward", "pod/box", "18080:80", *ns):
            f'error: error upgrading connection: unable to upgrade connection: pod not found ("box_{namespace}")',
        ("get", "--raw", f"/api/v1/namespaces/{namespace}/pods/box:8080/proxy/x"):
            "Error from server (ServiceUnavailable): error trying to reach service: dial tcp ",
    }
    for args, expected in cases.items():
        result = kubectl.run(*args, check=False, timeout=20)
        assert result.returncode == 1 and expected in result.stderr, (args, result.stderr)


def test_connect_requests_over_http(api_client: Any, cluster: EmbeddedCluster, namespace: str) -> None:
    from kubernetes import client

    core = client.CoreV1Api(api_client)
    _ready_pod(core, namespace, "pair", ("a", "b"))
    base = f"/api/v1/namespaces/{namespace}/pods/pair"
    status, body, _ = _raw(cluster, "POST", f"{base}/exec?command=ls")
    assert status == 400 and json.loads(body)["message"] == (
        "a container name must be specified for pod pair, choose one of: [a b]")
    status, body, _ = _raw(cluster, "POST", f"{base}/exec?command=ls&container=a")
    assert status == 400 and json.loads(body)["message"] == "Upgrade request required"
    core.create_namespaced_service(namespace, {"metadata": {"name": "empty"}, "spec": {
        "selector": {"app": "none"}, "ports": [{"port": 80}]}})
    status, body, _ = _raw(cluster, "GET", f"/api/v1/namespaces/{namespace}/services/empty:80/proxy/")
    assert status == 503 and json.loads(body)["message"] == 'no endpoints available for service "empty"'


def test_python_client_exec_fails_with_the_kubelet_message(api_client: Any, namespace: str) -> None:
    from kubernetes import client
    from kubernetes.stream import stream

    core = client.CoreV1Api(api_client)
    _ready_pod(core, namespace, "solo")
    with pytest.raises(Exception) as failed:   # the client re-raises its websocket error as an AttributeError
        stream(core.connect_get_namespaced_pod_exec, "solo", namespace, command=["ls"], stderr=True, stdin=False,
               stdout=True, tty=False)
    cause = failed.value if isinstance(failed.value, client.ApiException) else failed.value.__context__
    assert isinstance(cause, client.ApiException) and "Handshake status 500" in str(cause.reason)


# --- 10. server-side columns for every built-in kind ----------------------------------------------------

TABLE_OBJECTS = """
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: pdb}
spec: {minAvailable: 1, selector: {matchLabels: {app: x}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ing}
spec:
  rules: [{host: a.example.com, http: {paths: [{path: /, pathType: Prefix,
                                               backend: {service: {name: s, port: {number: 80}}}}]}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np}
spec: {podSelector: {matchLabels: {app: x}}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}
subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}]
"""


def _rows(text: str) -> list[list[str]]:
    import re

    return [re.split(r"\s{2,}", line.strip()) for line in text.strip().splitlines()]


def test_kubectl_get_shows_the_apiserver_columns(kubectl: Kubectl, namespace: str) -> None:
    kubectl("apply", "-n", namespace, "-f", "-", stdin=TABLE_OBJECTS)
    expected = {
        "pdb": (["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"], ["pdb", "1", "N/A", "0"]),
        "ingress": (["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"], ["ing", "<none>", "a.example.com", "80"]),
        "netpol": (["NAME", "POD-SELECTOR", "AGE"], ["np", "app=x"]),
        "rolebinding": (["NAME", "ROLE", "AGE"], ["rb", "Role/r"]),
    }
    for resource, (header, prefix) in expected.items():
        rows = _rows(kubectl("get", resource, "-n", namespace))
        assert rows[0] == header and rows[1][:len(prefix)] == prefix, (resource, rows)
    storage = _rows(kubectl("get", "storageclass"))
    assert storage[0] == ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"]
    assert any(row[0].endswith(" (default)") for row in storage[1:])
    priority = _rows(kubectl("get", "priorityclass", "system-node-critical"))
    assert priority[0][:4] == ["NAME", "VALUE", "GLOBAL-DEFAULT", "PREEMPTION-POLICY"]
    assert priority[1][:3] == ["system-node-critical", "2000001000", "false"]
    slices = _rows(kubectl("get", "endpointslices", "-n", "default"))
    assert slices[0] == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]


def test_every_builtin_kind_has_the_printers_columns(cluster: EmbeddedCluster) -> None:
    """Only the kinds kube-apiserver prints with the default table (name + created at) use it here."""
    from chainsaw_py.embedded.tables import PRINTERS

    default_table = {("", "bindings"), ("", "limitranges"), ("apiextensions.k8s.io", "customresourcedefinitions"),
                     ("metrics.k8s.io", "pods"), ("metrics.k8s.io", "nodes"),   # metrics.py prints these
                     ("authentication.k8s.io", "selfsubjectreviews"), ("authentication.k8s.io", "tokenreviews"),
                     ("authorization.k8s.io", "localsubjectaccessreviews"),
                     ("authorization.k8s.io", "selfsubjectaccessreviews"),
                     ("authorization.k8s.io", "selfsubjectrulesreviews"),
                     ("authorization.k8s.io", "subjectaccessreviews"),
                     ("rbac.authorization.k8s.io", "roles"), ("rbac.authorization.k8s.io", "clusterroles")}
    missing = [rt.group_resource for rt in cluster.registry.all()
               if rt.builtin and rt.group_resource not in PRINTERS and rt.group_resource not in default_table]
    assert missing == []


def test_openapi_v2_protobuf_decodes_as_gnostic_document(cluster: EmbeddedCluster) -> None:
    """Decoded with a schema-less protobuf reader: the document's swagger version, a definition and a path."""
    status, body, headers = _raw(cluster, "GET", "/openapi/v2",
                                 accept="application/com.github.proto-openapi.spec.v2@v1.0+protobuf")
    assert status == 200 and headers["Content-Type"] == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    fields = _proto_fields(body)
    assert fields[1] == [b"2.0"]
    definitions = _proto_fields(fields[9][0])
    names = {_proto_fields(entry)[1][0] for entry in definitions[1]}
    assert b"io.k8s.api.apps.v1.Deployment" in names
    paths = {_proto_fields(entry)[1][0] for entry in _proto_fields(fields[8][0])[2]}
    assert b"/apis/apps/v1/namespaces/{namespace}/deployments/{name}" in paths
    status, body, headers = _raw(cluster, "GET", "/openapi/v2", accept="application/json")
    assert json.loads(body)["swagger"] == "2.0"


def _proto_fields(data: bytes) -> dict[int, list[Any]]:
    fields: dict[int, list[Any]] = {}
    index = 0

    def varint() -> int:
        nonlocal index
        shift = result = 0
        while True:
            byte = data[index]
            index += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return result
    while index < len(data):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            value: Any = varint()
        elif wire == 1:
            value, index = data[index:index + 8], index + 8
        else:
            length = varint()
            value, index = data[index:index + length], index + length
        fields.setdefault(number, []).append(value)
    return fields


# --- 8. simulated delays on a monotonic clock -------------------------------------------------------------

def test_start_delay_is_never_shortened_by_timestamp_rounding(api_client: Any, namespace: str) -> None:
    import time

    from kubernetes import client

    core = client.CoreV1Api(api_client)
    began = time.monotonic()
    core.create_namespaced_pod(namespace, {"metadata": {"name": "slow", "annotations": {
        "sim.chainsaw-py.io/start-delay": "1500ms"}}, "spec": {"containers": [{"name": "main", "image": "busybox"}]}})
    wait_for(lambda: core.read_namespaced_pod("slow", namespace).status.phase == "Running", interval=0.01)
    assert time.monotonic() - began >= 1.45   # a lower bound only: a loaded machine can only make it later
    pod = core.read_namespaced_pod("slow", namespace)
    assert pod.metadata.creation_timestamp.microsecond == 0   # metav1.Time: whole seconds on the wire


def test_milestones_measure_from_the_first_observation(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from chainsaw_py.embedded.controllers.pods import Milestones

    now = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    milestones = Milestones()
    milestones.mark("uid", "scheduled")
    now[0] = 100.7
    milestones.mark("uid", "scheduled")        # later marks keep the first moment
    assert milestones.elapsed("uid", "scheduled") == pytest.approx(0.7)
    assert milestones.elapsed("uid", "started") == 0.0
    milestones.forget("uid")
    assert milestones.elapsed("uid", "scheduled") == 0.0


# --- 5. server-side apply: per-field ownership in associative lists; Update managers ------------------------

def _apply(cluster: EmbeddedCluster, path: str, body: dict[str, Any], manager: str,
           force: bool = False) -> tuple[int, dict[str, Any]]:
    query = f"?fieldManager={manager}" + ("&force=true" if force else "")
    status, raw, _ = _raw(cluster, "PATCH", path + query, json.dumps(body).encode(),
                          content_type="application/apply-patch+yaml")
    return status, json.loads(raw)


def test_apply_conflicts_only_on_the_conflicting_list_item_field(cluster: EmbeddedCluster, namespace: str) -> None:
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments/web"
    first = _workload("Deployment", "web", replicas=1)
    status, _ = _apply(cluster, path, first, "alpha")
    assert status == 201
    second = json.loads(json.dumps(first))
    second["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:2"
    status, body = _apply(cluster, path, second, "beta")
    assert status == 409
    assert body["message"] == ('Apply failed with 1 conflict: conflict with "alpha": '
                               '.spec.template.spec.containers[name="main"].image')
    status, body = _apply(cluster, path, second, "beta", force=True)
    assert status == 200
    owners = {entry["manager"]: entry["fieldsV1"] for entry in body["metadata"]["managedFields"]}
    alpha_container = owners["alpha"]["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"main"}']
    assert "f:image" not in alpha_container and "f:name" in alpha_container


def test_updates_are_recorded_and_conflict_with_apply(cluster: EmbeddedCluster, kubectl: Kubectl,
                                                      namespace: str) -> None:
    kubectl("create", "deployment", "made", "--image=nginx", "-n", namespace)
    made = json.loads(kubectl("get", "deployment", "made", "-n", namespace, "-o", "json", "--show-managed-fields"))
    entry = next(e for e in made["metadata"]["managedFields"] if e["manager"] == "kubectl-create")
    assert entry["operation"] == "Update" and entry["apiVersion"] == "apps/v1"
    assert "f:image" in entry["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"nginx"}']
    config = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "made"}, "spec": {
        "selector": {"matchLabels": {"app": "made"}}, "template": {"metadata": {"labels": {"app": "made"}}, "spec": {
            "containers": [{"name": "nginx", "image": "nginx:2"}]}}}}
    result = kubectl.run("apply", "--server-side", "-n", namespace, "-f", "-", stdin=json.dumps(config), check=False)
    assert result.returncode == 1
    assert ('conflict with "kubectl-create" using apps/v1: .spec.template.spec.containers[name="nginx"].image'
            in result.stderr)
    status, _raw_body, _ = _raw(cluster, "PATCH", f"/apis/apps/v1/namespaces/{namespace}/deployments/made",
                                {"spec": {"replicas": 3}}, content_type="application/merge-patch+json")
    assert status == 200
    patched = json.loads(kubectl("get", "deployment", "made", "-n", namespace, "-o", "json", "--show-managed-fields"))
    managers = {(e["manager"], e["operation"]): e for e in patched["metadata"]["managedFields"]}
    assert "f:replicas" in managers[("Python-urllib", "Update")]["fieldsV1"]["f:spec"]
    assert "f:replicas" not in managers[("kubectl-create", "Update")]["fieldsV1"]["f:spec"]


# --- 3. autoscaling/v1, events.k8s.io/v1, APIServices, ephemeral containers, metrics ----------------------

def test_autoscaling_v1_shares_storage_with_v2(api_client: Any, kubectl: Kubectl, namespace: str) -> None:
    from kubernetes import client

    kubectl("create", "deployment", "web", "--image=nginx", "-n", namespace)
    assert kubectl("autoscale", "deployment", "web", "--max=5", "--cpu-percent=60", "-n", namespace).strip() == \
        "horizontalpodautoscaler.autoscaling/web autoscaled"
    v1 = client.AutoscalingV1Api(api_client)
    v2 = client.AutoscalingV2Api(api_client)
    seen_v1 = v1.read_namespaced_horizontal_pod_autoscaler("web", namespace)
    assert seen_v1.spec.target_cpu_utilization_percentage == 60 and seen_v1.spec.min_replicas == 1
    seen_v2 = v2.read_namespaced_horizontal_pod_autoscaler("web", namespace)
    assert seen_v2.spec.metrics[0].resource.target.average_utilization == 60
    v1.create_namespaced_horizontal_pod_autoscaler(namespace, {
        "metadata": {"name": "old"}, "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                                                 "name": "web"},
                                              "maxReplicas": 2, "targetCPUUtilizationPercentage": 50}})
    v1.patch_namespaced_horizontal_pod_autoscaler("old", namespace, {"spec": {"targetCPUUtilizationPercentage": 70}})
    metrics = v2.read_namespaced_horizontal_pod_autoscaler("old", namespace).spec.metrics
    assert [m.resource.target.average_utilization for m in metrics] == [70]
    assert [item.metadata.name for item in v1.list_namespaced_horizontal_pod_autoscaler(namespace).items] == \
        ["old", "web"]


def test_events_v1_share_storage_with_core_events(api_client: Any, namespace: str) -> None:
    from kubernetes import client

    events = client.EventsV1Api(api_client)
    core = client.CoreV1Api(api_client)
    body = {"metadata": {"name": "ev1"}, "eventTime": "2026-01-01T00:00:00.000000Z", "type": "Normal",
            "reason": "Tested", "action": "Testing", "note": "hello", "reportingController": "example.com/ctl",
            "reportingInstance": "ctl-1", "regarding": {"kind": "Pod", "name": "p", "namespace": namespace}}
    created = events.create_namespaced_event(namespace, body)
    assert created.note == "hello" and created.regarding.name == "p"
    legacy = core.read_namespaced_event("ev1", namespace)
    assert legacy.message == "hello" and legacy.involved_object.name == "p"
    assert legacy.reporting_component == "example.com/ctl"
    core.create_namespaced_event(namespace, {"metadata": {"name": "ev2"}, "message": "old style", "reason": "Old",
                                             "involvedObject": {"kind": "Pod", "name": "p", "namespace": namespace}})
    # legacy events carry "eventTime": null, which the typed EventsV1Event model refuses (as on a real cluster)
    listed = client.CustomObjectsApi(api_client).list_namespaced_custom_object("events.k8s.io", "v1", namespace,
                                                                              "events")["items"]
    assert {item["metadata"]["name"]: item["note"] for item in listed} == {"ev1": "hello", "ev2": "old style"}
    assert [item["eventTime"] for item in listed if item["metadata"]["name"] == "ev2"] == [None]
    with pytest.raises(client.ApiException) as invalid:
        events.create_namespaced_event(namespace, {"metadata": {"name": "bad"}, "type": "Normal",
                                                   "regarding": {"kind": "Pod", "name": "p"}})
    assert invalid.value.status == 422
    message = json.loads(invalid.value.body)["message"]
    assert "reportingController: Required value" in message and "eventTime: Required value" in message


def test_apiservices_report_availability(api_client: Any, cluster: EmbeddedCluster) -> None:
    from kubernetes import client

    registration = client.ApiregistrationV1Api(api_client)
    registration.create_api_service({"metadata": {"name": "v1alpha1.local.example.com"}, "spec": {
        "group": "local.example.com", "version": "v1alpha1", "groupPriorityMinimum": 100, "versionPriority": 10}})
    registration.create_api_service({"metadata": {"name": "v1beta1.remote.example.com"}, "spec": {
        "group": "remote.example.com", "version": "v1beta1", "groupPriorityMinimum": 100, "versionPriority": 10,
        "service": {"namespace": "default", "name": "absent-server", "port": 443}}})

    def condition(name: str) -> Any:
        conditions = registration.read_api_service(name).status.conditions or []
        return next((c for c in conditions if c.type == "Available"), None)
    local = wait_for(lambda: condition("v1alpha1.local.example.com"))
    assert (local.status, local.reason) == ("True", "Local")
    remote = wait_for(lambda: condition("v1beta1.remote.example.com"))
    assert (remote.status, remote.reason, remote.message) == (
        "False", "ServiceNotFound", 'service/absent-server in "default" is not present')


def test_kubectl_debug_adds_a_running_ephemeral_container(api_client: Any, kubectl: Kubectl,
                                                          namespace: str) -> None:
    from kubernetes import client

    core = client.CoreV1Api(api_client)
    _ready_pod(core, namespace, "target")
    kubectl("debug", "target", "--image=busybox", "-c", "dbg", "-n", namespace)
    pod = core.read_namespaced_pod("target", namespace)
    assert [c.name for c in pod.spec.ephemeral_containers] == ["dbg"]
    running = wait_for(lambda: core.read_namespaced_pod("target", namespace).status.ephemeral_container_statuses)
    assert running[0].name == "dbg" and running[0].state.running is not None
    with pytest.raises(client.ApiException) as removed:
        core.patch_namespaced_pod_ephemeralcontainers("target", namespace, [
            {"op": "remove", "path": "/spec/ephemeralContainers/0"}])
    assert removed.value.status == 422
    assert 'existing ephemeral containers \\"dbg\\" may not be removed' in removed.value.body


def test_kubectl_top_reads_simulated_metrics(api_client: Any, kubectl: Kubectl, namespace: str) -> None:
    from kubernetes import client

    core = client.CoreV1Api(api_client)
    core.create_namespaced_pod(namespace, {"metadata": {"name": "busy", "annotations": {
        "sim.chainsaw-py.io/cpu-usage": "250m", "sim.chainsaw-py.io/memory-usage": "64Mi"}}, "spec": {
        "containers": [{"name": "main", "image": "busybox"}]}})
    wait_for(lambda: core.read_namespaced_pod("busy", namespace).status.phase == "Running")
    rows = _rows(kubectl("top", "pod", "busy", "-n", namespace))
    assert rows == [["NAME", "CPU(cores)", "MEMORY(bytes)"], ["busy", "250m", "64Mi"]]
    nodes = _rows(kubectl("top", "node"))
    assert nodes[0] == ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"] and len(nodes) == 2
    table = _rows(kubectl("get", "podmetrics", "busy", "-n", namespace))
    assert table == [["NAME", "CPU", "MEMORY", "WINDOW"], ["busy", "250000000n", "65536Ki", "10s"]]
    metrics = client.CustomObjectsApi(api_client).list_namespaced_custom_object(
        "metrics.k8s.io", "v1beta1", namespace, "pods")
    assert metrics["items"][0]["containers"] == [{"name": "main", "usage": {"cpu": "250000000n",
                                                                             "memory": "65536Ki"}}]


def test_events_wide_columns_in_the_printers_order(kubectl: Kubectl, namespace: str) -> None:
    kubectl("create", "configmap", "c", "-n", namespace)
    kubectl("create", "-n", namespace, "-f", "-", stdin=json.dumps({
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": "e"}, "reason": "Poked", "message": "poked it",
        "type": "Normal", "involvedObject": {"kind": "ConfigMap", "name": "c", "namespace": namespace},
        "source": {"component": "tester"}, "count": 2}))
    rows = _rows(kubectl("get", "events", "-n", namespace, "-o", "wide", "--field-selector", "reason=Poked"))
    assert rows[0] == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE", "FIRST SEEN",
                       "COUNT", "NAME"]


def test_protobuf_bodies_with_inline_structs(kubectl: Kubectl, namespace: str) -> None:
    """kubectl create sends protobuf; Go's `json:",inline"` members (IngressRuleValue) are the parent's fields."""
    assert kubectl("create", "ingress", "ing", "--rule=a.example.com/=svc:80", "-n", namespace).strip() == \
        "ingress.networking.k8s.io/ing created"
    rules = json.loads(kubectl("get", "ingress", "ing", "-n", namespace, "-o", "jsonpath={.spec.rules}"))
    assert rules[0]["host"] == "a.example.com" and rules[0]["http"]["paths"][0]["backend"]["service"]["name"] == "svc"


def test_orphaned_job_pods_lose_the_tracking_finalizer_despite_a_conflict() -> None:
    """A pod updated concurrently (GC, kubelet) while its Job is deleted must still be released."""
    from chainsaw_py.embedded.apierrors import Conflict
    from chainsaw_py.embedded.controllers.jobs import TRACKING_FINALIZER, release_orphans

    job = {"metadata": {"name": "j", "namespace": "ns", "uid": "job-uid"}}
    stored = {"metadata": {"name": "p", "namespace": "ns", "finalizers": [TRACKING_FINALIZER, "other"],
                           "ownerReferences": [{"uid": "job-uid"}], "resourceVersion": "1"}}

    class Context:
        conflicts = 1

        def list(self, api_version: str, kind: str, namespace: str) -> list[dict[str, Any]]:
            return [json.loads(json.dumps(stored))]

        def get(self, api_version: str, kind: str, name: str, namespace: str) -> dict[str, Any]:
            return json.loads(json.dumps(stored))

        def update(self, obj: dict[str, Any]) -> dict[str, Any]:
            if self.conflicts:
                self.conflicts -= 1
                raise Conflict("the object has been modified")
            stored["metadata"] = obj["metadata"]
            return obj

    release_orphans(job, Context())  # type: ignore[arg-type]
    assert stored["metadata"]["finalizers"] == ["other"]
