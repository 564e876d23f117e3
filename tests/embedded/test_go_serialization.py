"""Built-in objects read back as kube-apiserver's Go decode-then-encode round trip writes them.

The expected documents are what a 1.32 cluster returns for these requests (``kubectl get -o yaml``, volatile
metadata removed): e.g. ``kubectl create deployment nginx --image=nginx`` before the controller runs.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from chainsaw_py.embedded.apiserver import ApiServer
from chainsaw_py.embedded.kinds import StrategyRegistry
from chainsaw_py.embedded.resources import ResourceRegistry
from chainsaw_py.embedded.schemas import builtin_definitions
from chainsaw_py.embedded.serialization import go_field_table, serialize_as_go
from chainsaw_py.embedded.store import Store

from .conftest import Kubectl

_VOLATILE = ("creationTimestamp", "resourceVersion", "uid", "managedFields", "generation")


@pytest.fixture
def server() -> ApiServer:
    api = ApiServer(ResourceRegistry(), Store(), StrategyRegistry())
    namespaces = api.registry.lookup("", "v1", "namespaces")
    assert namespaces is not None
    api.create(namespaces, "", {"metadata": {"name": "ns"}})
    return api


def _create(server: ApiServer, body: dict[str, Any]) -> dict[str, Any]:
    rt = server.registry.by_api_version_kind(body["apiVersion"], body["kind"])
    assert rt is not None
    created = server.create(rt, "ns", body).obj
    for key in _VOLATILE:
        created["metadata"].pop(key, None)
    return created


DEPLOYMENT_READ_BACK = yaml.safe_load("""
apiVersion: apps/v1
kind: Deployment
metadata: {labels: {app: nginx}, name: nginx, namespace: ns}
spec:
  progressDeadlineSeconds: 600
  replicas: 1
  revisionHistoryLimit: 10
  selector: {matchLabels: {app: nginx}}
  strategy:
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}
    type: RollingUpdate
  template:
    metadata: {creationTimestamp: null, labels: {app: nginx}}
    spec:
      containers:
      - image: nginx
        imagePullPolicy: Always
        name: nginx
        resources: {}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
      dnsPolicy: ClusterFirst
      restartPolicy: Always
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
status: {}
""")


def test_minimal_deployment_reads_back_as_from_a_real_cluster(server: ApiServer) -> None:
    created = _create(server, {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "nginx", "labels": {"app": "nginx"}},
        "spec": {"selector": {"matchLabels": {"app": "nginx"}}, "template": {
            "metadata": {"labels": {"app": "nginx"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}})
    assert created == DEPLOYMENT_READ_BACK


def test_nil_slices_without_omitempty_read_null_and_structs_read_empty(server: ApiServer) -> None:
    role = _create(server, {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r"}})
    assert "rules" in role and role["rules"] is None
    service = _create(server, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                               "spec": {"ports": [{"port": 80}]}})
    assert service["status"] == {"loadBalancer": {}}
    daemonset = _create(server, {
        "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "ds"},
        "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {
            "metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}})
    assert daemonset["status"] == {"currentNumberScheduled": 0, "desiredNumberScheduled": 0,
                                   "numberMisscheduled": 0, "numberReady": 0}


def test_omitempty_zero_values_are_dropped_and_pointers_kept(server: ApiServer) -> None:
    pod = _create(server, {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {}, "annotations": {}},
        "spec": {"hostNetwork": False, "nodeName": "", "containers": [
            {"name": "c", "image": "i", "stdin": False, "ports": [], "env": [], "args": [],
             "securityContext": {"privileged": False}}]}})
    assert "labels" not in pod["metadata"] and "annotations" not in pod["metadata"]
    assert "hostNetwork" not in pod["spec"] and "nodeName" not in pod["spec"]
    container = pod["spec"]["containers"][0]
    assert not {"stdin", "ports", "env", "args"} & set(container)
    assert container["securityContext"] == {"privileged": False}   # *bool: an explicit false stays
    scaled = _create(server, {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "zero"},
        "spec": {"replicas": 0, "paused": False, "selector": {"matchLabels": {"a": "b"}}, "template": {
            "metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}})
    assert scaled["spec"]["replicas"] == 0 and "paused" not in scaled["spec"]


def test_null_structs_decode_as_zero_structs() -> None:
    pod: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "status": None,
                           "spec": {"containers": [{"name": "c", "resources": None}]}}
    serialize_as_go(pod, "io.k8s.api.core.v1.Pod")
    assert pod["status"] == {} and pod["spec"]["containers"][0]["resources"] == {}
    assert pod["metadata"] == {"name": "p", "creationTimestamp": None}
    assert pod["spec"]["containers"][0]["name"] == "c"


def test_table_covers_every_builtin_definition_field() -> None:
    """The generated table and the OpenAPI definitions describe the same fields (same Kubernetes version)."""
    table = go_field_table()
    definitions = builtin_definitions().definitions
    differing = [name for name, schema in definitions.items()
                 if name in table and set(schema.get("properties") or ()) != set(table[name])]
    missing = [name for name, schema in definitions.items() if "properties" in schema and name not in table
               and name != "io.k8s.apimachinery.pkg.version.Info"]
    assert differing == [] and missing == []
    required_omitted = [(name, key) for name, schema in definitions.items() if name.startswith("io.k8s.api.")
                        and ".v1." in name for key in schema.get("required") or ()
                        if key in table.get(name, {}) and table[name][key][2]]
    assert required_omitted == []


def test_kubectl_reads_templates_as_from_a_real_cluster(kubectl: Kubectl, namespace: str) -> None:
    kubectl("create", "deployment", "web", "--image=nginx", "-n", namespace)
    created = json.loads(kubectl("get", "deployment", "web", "-n", namespace, "-o", "json"))
    template = created["spec"]["template"]
    assert template["metadata"]["creationTimestamp"] is None
    assert template["spec"]["containers"][0]["resources"] == {}
    role = json.loads(kubectl("create", "role", "reader", "--verb=get", "--resource=pods", "-n", namespace,
                              "-o", "json"))
    assert role["rules"] == [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]


def test_pod_conditions_carry_last_probe_time_null_as_from_a_kubelet(kubectl: Kubectl, namespace: str) -> None:
    from .conftest import wait_for

    kubectl("run", "probe", "--image=nginx", "-n", namespace)

    def running() -> Any:
        pod = json.loads(kubectl("get", "pod", "probe", "-n", namespace, "-o", "json"))
        return pod if pod["status"].get("phase") == "Running" else None

    pod = wait_for(running)
    conditions = pod["status"]["conditions"]
    assert {c["type"] for c in conditions} >= {"PodScheduled", "Ready"}
    assert all("lastProbeTime" in c and c["lastProbeTime"] is None for c in conditions)
    assert pod["status"]["containerStatuses"][0]["lastState"] == {}
