"""kubectl against the embedded cluster: every command prints what it prints against a real cluster."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.embedded.conftest import Kubectl

CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets, singular: gadget, listKind: GadgetList, shortNames: [gd]}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer, minimum: 1}
"""

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
"""


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_version_reports_client_and_server(kubectl: Kubectl) -> None:
    output = kubectl("version")
    assert "Client Version: v1.32" in output
    assert re.search(r"Server Version: v1\.32\.\d+", output)


def test_api_resources_lists_builtin_kinds(kubectl: Kubectl) -> None:
    output = kubectl("api-resources")
    header = output.splitlines()[0].split()
    assert header == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    rows = [line.split() for line in output.splitlines()[1:]]
    assert ["pods", "po", "v1", "true", "Pod"] in rows
    assert ["pods", "metrics.k8s.io/v1beta1", "true", "PodMetrics"] in rows
    assert ["deployments", "deploy", "apps/v1", "true", "Deployment"] in rows
    assert ["namespaces", "ns", "v1", "false", "Namespace"] in rows


def test_unknown_resource_type_fails_like_a_real_cluster(kubectl: Kubectl) -> None:
    result = kubectl.run("get", "foo", check=False)
    assert result.returncode == 1
    assert result.stderr == 'error: the server doesn\'t have a resource type "foo"\n'


def test_namespaces_and_configmap_outputs(kubectl: Kubectl) -> None:
    assert kubectl("create", "ns", "kx") == "namespace/kx created\n"
    listing = kubectl("get", "ns")
    assert listing.splitlines()[0].split() == ["NAME", "STATUS", "AGE"]
    assert any(line.startswith("kx ") and " Active " in line for line in listing.splitlines())
    assert kubectl("create", "configmap", "a", "--from-literal=k=v", "-n", "kx") == "configmap/a created\n"
    as_yaml = yaml.safe_load(kubectl("get", "cm", "a", "-n", "kx", "-o", "yaml"))
    assert as_yaml["data"] == {"k": "v"} and as_yaml["metadata"]["namespace"] == "kx"
    as_json = json.loads(kubectl("get", "cm", "a", "-n", "kx", "-o", "json"))
    assert as_json["kind"] == "ConfigMap" and as_json["metadata"]["uid"]
    assert kubectl("get", "cm", "a", "-n", "kx", "-o", "jsonpath={.data.k}") == "v"
    assert kubectl("get", "cm", "a", "-n", "kx", "-o", "name") == "configmap/a\n"
    table = kubectl("get", "cm", "-n", "kx").splitlines()
    assert table[0].split() == ["NAME", "DATA", "AGE"]
    assert table[1].split()[:2] == ["a", "1"]
    kubectl("delete", "ns", "kx", "--wait", "--timeout=30s")
    result = kubectl.run("get", "ns", "kx", check=False)
    assert result.stderr.strip() == 'Error from server (NotFound): namespaces "kx" not found'


def test_get_pods_all_namespaces_header(kubectl: Kubectl) -> None:
    kubectl("create", "ns", "pods-a")
    kubectl("run", "solo", "--image=busybox", "-n", "pods-a")
    kubectl("wait", "--for=condition=Ready", "pod/solo", "-n", "pods-a", "--timeout=20s")
    lines = kubectl("get", "pods", "-A").splitlines()
    assert lines[0].split() == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert any(line.split()[:4] == ["pods-a", "solo", "1/1", "Running"] for line in lines[1:])


def test_apply_create_unchanged_configured(kubectl: Kubectl, tmp_path: Path) -> None:
    kubectl("create", "ns", "apply-ns")
    first = _write(tmp_path, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n"
                                        "  namespace: apply-ns\ndata:\n  a: '1'\n")
    second = _write(tmp_path, "cm2.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n"
                                          "  namespace: apply-ns\ndata:\n  a: '2'\n")
    assert kubectl("apply", "-f", first) == "configmap/applied created\n"
    assert kubectl("apply", "-f", first) == "configmap/applied unchanged\n"
    assert kubectl("apply", "-f", second) == "configmap/applied configured\n"
    assert kubectl("get", "cm", "applied", "-n", "apply-ns", "-o", "jsonpath={.data.a}") == "2"
    assert kubectl("delete", "-f", second) == 'configmap "applied" deleted\n'


def test_crd_then_custom_resource(kubectl: Kubectl, tmp_path: Path) -> None:
    kubectl("create", "ns", "crd-ns")
    assert "customresourcedefinition.apiextensions.k8s.io/gadgets.example.com created" in kubectl(
        "apply", "-f", _write(tmp_path, "crd.yaml", CRD))
    gadget = "apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g1\n  namespace: crd-ns\nspec:\n  size: 3\n"
    assert kubectl("apply", "-f", _write(tmp_path, "g.yaml", gadget)) == "gadget.example.com/g1 created\n"
    table = kubectl("get", "gadgets", "-n", "crd-ns").splitlines()
    assert table[0].split() == ["NAME", "SIZE"]
    assert table[1].split() == ["g1", "3"]
    assert kubectl("get", "gd", "-n", "crd-ns", "-o", "name") == "gadget.example.com/g1\n"
    invalid = kubectl.run("patch", "gadget", "g1", "-n", "crd-ns", "--type", "merge", "-p",
                          '{"spec":{"size":0}}', check=False)
    assert invalid.stderr.strip() == ('The Gadget "g1" is invalid: spec.size: Invalid value: 0: spec.size in body '
                                      "should be greater than or equal to 1")
    crd = json.loads(kubectl("get", "crd", "gadgets.example.com", "-o", "json"))
    assert crd["status"]["acceptedNames"]["kind"] == "Gadget"
    assert crd["status"]["storedVersions"] == ["v1"]


@pytest.mark.parametrize(("patch_type", "patch", "key"), [
    ("merge", '{"data":{"m":"1"}}', "m"),
    ("json", '[{"op":"add","path":"/data/j","value":"1"}]', "j"),
    ("strategic", '{"data":{"s":"1"}}', "s"),
])
def test_patch_types(kubectl: Kubectl, patch_type: str, patch: str, key: str) -> None:
    namespace = f"patch-{patch_type}"
    kubectl("create", "ns", namespace)
    kubectl("create", "configmap", "p", "--from-literal=k=v", "-n", namespace)
    assert kubectl("patch", "cm", "p", "-n", namespace, "--type", patch_type, "-p", patch) == "configmap/p patched\n"
    data = json.loads(kubectl("get", "cm", "p", "-n", namespace, "-o", "json"))["data"]
    assert data == {"k": "v", key: "1"}


def test_label_and_annotate(kubectl: Kubectl) -> None:
    kubectl("create", "ns", "meta-ns")
    kubectl("create", "configmap", "m", "-n", "meta-ns")
    assert kubectl("label", "cm", "m", "tier=backend", "-n", "meta-ns") == "configmap/m labeled\n"
    assert kubectl("annotate", "cm", "m", "note=hi", "-n", "meta-ns") == "configmap/m annotated\n"
    meta = json.loads(kubectl("get", "cm", "m", "-n", "meta-ns", "-o", "json"))["metadata"]
    assert meta["labels"] == {"tier": "backend"} and meta["annotations"] == {"note": "hi"}
    assert kubectl("get", "cm", "-l", "tier=backend", "-n", "meta-ns", "-o", "name") == "configmap/m\n"


def test_deployment_lifecycle(kubectl: Kubectl, tmp_path: Path) -> None:
    kubectl("create", "ns", "deploy-ns")
    assert kubectl("create", "deployment", "api", "--image=nginx", "-n", "deploy-ns") == \
        "deployment.apps/api created\n"
    rollout = kubectl("rollout", "status", "deploy/api", "-n", "deploy-ns", "--timeout=20s").splitlines()
    assert rollout[-1] == 'deployment "api" successfully rolled out'
    assert all(line.startswith('Waiting for deployment "api" rollout to finish: ') for line in rollout[:-1])
    assert kubectl("scale", "deploy", "api", "--replicas=3", "-n", "deploy-ns") == "deployment.apps/api scaled\n"
    kubectl("rollout", "status", "deploy/api", "-n", "deploy-ns", "--timeout=20s")
    table = kubectl("get", "deploy", "api", "-n", "deploy-ns").splitlines()
    assert table[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert table[1].split()[:4] == ["api", "3/3", "3", "3"]
    waited = kubectl("wait", "--for=condition=Ready", "pod", "-l", "app=api", "-n", "deploy-ns", "--timeout=20s")
    assert waited.count("condition met") == 3
    path = _write(tmp_path, "deploy.yaml", DEPLOYMENT)
    kubectl("apply", "-n", "deploy-ns", "-f", path)
    assert kubectl("wait", "--for=jsonpath={.status.availableReplicas}=1", "deploy/web", "-n", "deploy-ns",
                   "--timeout=20s") == "deployment.apps/web condition met\n"
    assert kubectl("delete", "-n", "deploy-ns", "-f", path) == 'deployment.apps "web" deleted\n'
    kubectl("wait", "--for=delete", "pod", "-l", "app=web", "-n", "deploy-ns", "--timeout=20s")
    assert kubectl("get", "pods", "-l", "app=web", "-n", "deploy-ns", "-o", "name") == ""


def test_logs_describe_and_events(kubectl: Kubectl) -> None:
    kubectl("create", "ns", "obs-ns")
    kubectl("run", "web", "--image=nginx", "-n", "obs-ns")
    kubectl("wait", "--for=condition=Ready", "pod/web", "-n", "obs-ns", "--timeout=20s")
    assert kubectl("logs", "web", "-n", "obs-ns") == ""
    description = kubectl("describe", "pod", "web", "-n", "obs-ns")
    for expected in ("Name:             web", "Namespace:        obs-ns", "Status:           Running",
                     "Node:             embedded-node/", "Ready:          True", "Started container web"):
        assert expected in description
    events = kubectl("get", "events", "-n", "obs-ns").splitlines()
    assert events[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    reasons = {line.split()[2] for line in events[1:]}
    assert {"Scheduled", "Pulled", "Created", "Started"} <= reasons


def test_secret_and_auth(kubectl: Kubectl) -> None:
    kubectl("create", "ns", "sec-ns")
    assert kubectl("create", "secret", "generic", "s", "--from-literal=a=b", "-n", "sec-ns") == "secret/s created\n"
    secret = json.loads(kubectl("get", "secret", "s", "-n", "sec-ns", "-o", "json"))
    assert secret["data"] == {"a": "Yg=="} and secret["type"] == "Opaque"
    assert kubectl("auth", "can-i", "get", "pods") == "yes\n"


def test_wait_for_delete_times_out_while_object_exists(kubectl: Kubectl) -> None:
    kubectl("create", "ns", "wait-ns")
    kubectl("create", "configmap", "stay", "-n", "wait-ns")
    result = kubectl.run("wait", "--for=delete", "cm/stay", "-n", "wait-ns", "--timeout=2s", check=False)
    assert result.returncode == 1
    # the last line; client-go may log a reflector warning first when the deadline cuts its watch short
    assert result.stderr.strip().splitlines()[-1] == "error: timed out waiting for the condition on configmaps/stay"


def test_field_validation_strict_error(kubectl: Kubectl, tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\n  namespace: default\n"
                                        "data:\n  foo: bar\nbar: baz\n")
    result = kubectl.run("create", "-f", path, check=False)
    assert result.returncode == 1
    assert ('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "bar"'
            in result.stderr)


def test_server_side_apply_is_idempotent(kubectl: Kubectl, tmp_path: Path) -> None:
    kubectl("create", "ns", "ssa-ns")
    path = _write(tmp_path, "ssa.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\n  namespace: ssa-ns\n"
                                        "data:\n  a: '1'\n")
    assert kubectl("apply", "--server-side", "-f", path) == "configmap/s serverside-applied\n"
    rv = kubectl("get", "cm", "s", "-n", "ssa-ns", "-o", "jsonpath={.metadata.resourceVersion}")
    assert kubectl("apply", "--server-side", "-f", path) == "configmap/s serverside-applied\n"
    assert kubectl("get", "cm", "s", "-n", "ssa-ns", "-o", "jsonpath={.metadata.resourceVersion}") == rv


def test_exec_is_refused_with_a_clear_message(kubectl: Kubectl) -> None:
    kubectl("create", "ns", "exec-ns")
    kubectl("run", "box", "--image=busybox", "-n", "exec-ns")
    kubectl("wait", "--for=condition=Ready", "pod/box", "-n", "exec-ns", "--timeout=20s")
    result = kubectl.run("exec", "box", "-n", "exec-ns", "--", "ls", check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == 'error: unable to upgrade connection: container not found ("box")'


def test_node_has_a_lease_and_is_ready(kubectl: Kubectl) -> None:
    assert kubectl("get", "nodes", "-o", "jsonpath={.items[0].status.conditions[?(@.type=='Ready')].status}") == \
        "True"
    assert "embedded-node" in kubectl("get", "lease", "-n", "kube-node-lease")
