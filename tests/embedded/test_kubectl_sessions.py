"""Differences from kube-apiserver found by scripted kubectl sessions (1.27, 1.29, 1.31, 1.33), each replayed."""

from __future__ import annotations

import json
from typing import Any

from chainsaw_py.embedded import EmbeddedCluster
from tests.embedded.conftest import Kubectl


def test_controller_writes_hand_back_private_copies(cluster: EmbeddedCluster, namespace: str) -> None:
    """A controller that changed the object a write returned changed the store behind its next update, which then
    looked like a no-op: a rollback's ReplicaSet was renumbered, then 'scaled' in place and never got pods."""
    from chainsaw_py.embedded.controllers.context import ReconcileContext

    ctx = ReconcileContext(cluster._manager.runtime, "test")
    created = ctx.create({"apiVersion": "v1", "kind": "ConfigMap",
                          "metadata": {"name": "private", "namespace": namespace}, "data": {"a": "1"}})
    created["data"]["a"] = "changed in place"
    updated = ctx.update(created)
    assert updated["data"]["a"] == "changed in place"
    updated["data"]["a"] = "2"
    again = ctx.update(updated)
    assert again["metadata"]["resourceVersion"] != updated["metadata"]["resourceVersion"]
    patched = ctx.patch("v1", "ConfigMap", "private", {"data": {"b": "1"}}, namespace)
    patched["data"]["b"] = "changed in place"
    stored = cluster.api.store.get("", "configmaps", namespace, "private")
    assert stored is not None and stored.obj["data"] == {"a": "2", "b": "1"}


def test_rollout_undo_brings_back_the_old_replicaset(kubectl: Kubectl, namespace: str) -> None:
    ns = ("-n", namespace)
    kubectl(*ns, "create", "deployment", "web", "--image=nginx:1.25", "--replicas=2")
    kubectl(*ns, "rollout", "status", "deployment/web", "--timeout=30s")
    kubectl(*ns, "set", "image", "deployment/web", "nginx=nginx:1.26")
    kubectl(*ns, "rollout", "status", "deployment/web", "--timeout=30s")
    assert kubectl(*ns, "rollout", "undo", "deployment/web").strip() == "deployment.apps/web rolled back"
    kubectl(*ns, "rollout", "status", "deployment/web", "--timeout=30s")
    images = kubectl(*ns, "get", "pods", "-o", "jsonpath={.items[*].spec.containers[0].image}").split()
    assert images == ["nginx:1.25", "nginx:1.25"]
    table = kubectl(*ns, "get", "rs", "--no-headers").splitlines()
    encoded = json.loads(kubectl(*ns, "get", "rs", "-o", "json"))["items"]
    assert sorted(line.split()[1] for line in table) == sorted(str(rs["spec"]["replicas"]) for rs in encoded)


def test_node_ports_are_allocated_once(kubectl: Kubectl, namespace: str) -> None:
    ns = ("-n", namespace)
    kubectl(*ns, "create", "service", "nodeport", "first", "--tcp=5678:8080", "--node-port=30123")
    second = kubectl.run(*ns, "create", "service", "nodeport", "second", "--tcp=5678:8080", "--node-port=30123",
                         check=False)
    assert second.returncode == 1
    assert second.stderr.strip() == ('error: failed to create NodePort service: Service "second" is invalid: spec.ports[0].nodePort: Invalid value: 30123: '
                                     'provided port is already allocated')
    outside = kubectl.run(*ns, "create", "service", "nodeport", "third", "--tcp=5678:8080", "--node-port=80",
                          check=False)
    assert outside.stderr.strip() == ('error: failed to create NodePort service: Service "third" is invalid: spec.ports[0].nodePort: Invalid value: 80: '
                                      'provided port is not in the valid range. The range of valid ports is '
                                      '30000-32767')
    kubectl(*ns, "delete", "service", "first")
    kubectl(*ns, "create", "service", "nodeport", "second", "--tcp=5678:8080", "--node-port=30123")


def test_node_port_refusal_gives_back_what_the_create_took(cluster: EmbeddedCluster, namespace: str) -> None:
    from chainsaw_py.embedded.apierrors import Invalid

    rt = cluster.registry.lookup("", "v1", "services")
    assert rt is not None

    def service(name: str, ip: str, *node_ports: int) -> dict[str, Any]:
        ports = [{"name": f"p{port}", "port": 80 + index, "nodePort": port} for index, port in enumerate(node_ports)]
        return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                "spec": {"type": "NodePort", "clusterIP": ip, "ports": ports}}

    cluster.api.create(rt, namespace, service("holder", "10.96.200.1", 30201))
    try:
        cluster.api.create(rt, namespace, service("refused", "10.96.200.2", 30202, 30201))
    except Invalid as error:
        assert "spec.ports[1].nodePort: Invalid value: 30201: provided port is already allocated" in str(error)
    else:
        raise AssertionError("a taken nodePort was accepted")
    cluster.api.create(rt, namespace, service("after", "10.96.200.2", 30202))


def test_quota_scopes_must_fit_the_hard_resources(kubectl: Kubectl, namespace: str) -> None:
    ns = ("-n", namespace)
    refused = kubectl.run(*ns, "create", "quota", "q1", "--hard=cpu=1,memory=1G,pods=10", "--scopes=BestEffort",
                          check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == ('error: failed to create quota: ResourceQuota "q1" is invalid: spec.scopes: Invalid value: '
                                      '[]core.ResourceQuotaScope{"BestEffort"}: unsupported scope applied to resource')
    conflicting = kubectl.run(*ns, "create", "quota", "q2", "--hard=pods=1", "--scopes=Terminating,NotTerminating",
                              check=False)
    assert conflicting.stderr.strip() == ('error: failed to create quota: ResourceQuota "q2" is invalid: spec.scopes: Invalid value: '
                                          '[]core.ResourceQuotaScope{"Terminating", "NotTerminating"}: '
                                          'conflicting scopes')
    assert kubectl(*ns, "create", "quota", "q3", "--hard=pods=10,requests.cpu=1", "--scopes=NotBestEffort",
                   "--dry-run=server").strip() == "resourcequota/q3 created (server dry run)"


def test_explain_prints_no_enum_for_api_version_and_kind(kubectl: Kubectl) -> None:
    """kubernetes-validate's schemas pin apiVersion/kind with an enum the apiserver's OpenAPI does not have;
    kubectl 1.31+ explain printed it as "enum: v1"."""
    output = kubectl("explain", "pods")
    assert "enum:" not in output and "  apiVersion\t<string>\n    APIVersion defines" in output


def _certificate_request_pem() -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    request = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "someone")])).sign(key, hashes.SHA256()))
    return request.public_bytes(serialization.Encoding.PEM)


def test_certificate_approve_uses_the_approval_subresource(kubectl: Kubectl, cluster: EmbeddedCluster) -> None:
    import base64

    from chainsaw_py.embedded.apierrors import Invalid

    name = "csr-kubectl-sessions"
    manifest = json.dumps({"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
                           "metadata": {"name": name},
                           "spec": {"request": base64.b64encode(_certificate_request_pem()).decode(),
                                    "signerName": "example.com/no-signer", "usages": ["client auth"],
                                    "username": "forged", "groups": ["forged"]},
                           "status": {"conditions": [{"type": "Approved", "status": "True"}]}})
    kubectl("create", "-f", "-", stdin=manifest)
    try:
        row = kubectl("get", "csr", name, "--no-headers").split()
        assert row[2:] == ["example.com/no-signer", "kubernetes-admin", "<none>", "Pending"]   # (nothing signs it)
        assert kubectl("certificate", "approve", name).strip() == \
            f"certificatesigningrequest.certificates.k8s.io/{name} approved"
        assert kubectl("get", "csr", name, "--no-headers").split()[-1] == "Approved"
        created = json.loads(kubectl("get", "csr", name, "-o", "json"))
        assert created["spec"]["groups"] == ["kubeadm:cluster-admins", "system:masters", "system:authenticated"]
        condition = created["status"]["conditions"][0]
        assert condition["reason"] == "KubectlApprove" and condition["lastTransitionTime"]

        rt = cluster.registry.lookup("certificates.k8s.io", "v1", "certificatesigningrequests")
        assert rt is not None
        both = {**created, "status": {"conditions": [condition, {"type": "Denied", "status": "True"}]}}
        try:
            cluster.api.update(rt, "", name, both, subresource="approval")
        except Invalid as error:
            assert str(error).endswith('status.conditions[1].type: Invalid value: "Denied": Approved and Denied '
                                       'conditions are mutually exclusive')
        else:
            raise AssertionError("Approved and Denied were accepted together")
        main_update = {**created, "spec": {**created["spec"], "username": "forged"}, "status": {}}
        unchanged = cluster.api.update(rt, "", name, main_update).obj
        assert unchanged["spec"]["username"] == "kubernetes-admin" and unchanged["status"]["conditions"]
    finally:
        kubectl("delete", "csr", name)


STATEFULSET = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 3
  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: PARTITION}}
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: postgres:15}]}
"""


def test_statefulset_rolling_update_honours_the_partition(kubectl: Kubectl, namespace: str) -> None:
    """A template change replaced no pod: kubectl rollout status waited for ever after set image."""
    ns = ("-n", namespace)

    def images() -> list[str]:
        return kubectl(*ns, "get", "pods", "--sort-by=.metadata.name", "-o",
                       "jsonpath={.items[*].spec.containers[0].image}").split()

    kubectl(*ns, "apply", "-f", "-", stdin=STATEFULSET.replace("PARTITION", "2"))
    kubectl(*ns, "rollout", "status", "statefulset/db", "--timeout=30s")
    kubectl(*ns, "set", "image", "statefulset/db", "db=postgres:16")
    assert kubectl(*ns, "rollout", "status", "statefulset/db", "--timeout=30s").splitlines()[-1] == \
        "partitioned roll out complete: 1 new pods have been updated..."
    assert images() == ["postgres:15", "postgres:15", "postgres:16"]
    kubectl(*ns, "patch", "statefulset", "db", "-p", '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}')
    assert kubectl(*ns, "rollout", "status", "statefulset/db", "--timeout=30s").splitlines()[-1] == \
        "partitioned roll out complete: 3 new pods have been updated..."
    assert images() == ["postgres:16"] * 3
    status = json.loads(kubectl(*ns, "get", "statefulset", "db", "-o", "jsonpath={.status}"))
    assert status["currentRevision"] == status["updateRevision"] and status["currentReplicas"] == 3
    kubectl(*ns, "rollout", "undo", "statefulset/db")
    kubectl(*ns, "rollout", "status", "statefulset/db", "--timeout=30s")
    assert images() == ["postgres:15"] * 3
    history = kubectl(*ns, "rollout", "history", "statefulset/db").split()
    assert history[-4:] == ["2", "<none>", "3", "<none>"]


def test_refused_pod_creates_are_reported_as_controllers_report_them(kubectl: Kubectl, namespace: str) -> None:
    """A quota that refused a controller's pod left no trace (no FailedCreate event, no ReplicaFailure, a
    StatefulSet's status never observed): rollout status said nothing useful and describe showed no reason."""
    from tests.embedded.conftest import wait_for

    ns = ("-n", namespace)
    kubectl(*ns, "create", "quota", "pods", "--hard=pods=1")
    kubectl(*ns, "create", "deployment", "web", "--image=nginx", "--replicas=2")
    refusal = "is forbidden: exceeded quota: pods, requested: pods=1, used: pods=1, limited: pods=1"

    def deployment_failure() -> dict[str, Any] | None:
        status = json.loads(kubectl(*ns, "get", "deployment", "web", "-o", "jsonpath={.status}") or "{}")
        return next((c for c in status.get("conditions") or [] if c["type"] == "ReplicaFailure"), None)

    condition = wait_for(deployment_failure, timeout=20)
    assert condition["reason"] == "FailedCreate" and refusal in condition["message"]
    events = kubectl(*ns, "get", "events", "--field-selector=reason=FailedCreate", "-o",
                     "jsonpath={range .items[*]}{.involvedObject.kind} {.message}{'\\n'}{end}").splitlines()
    assert any(line.startswith("ReplicaSet Error creating: pods \"web-") and refusal in line for line in events)

    kubectl(*ns, "apply", "-f", "-", stdin=STATEFULSET.replace("PARTITION", "0"))
    wait_for(lambda: kubectl(*ns, "get", "statefulset", "db", "-o", "jsonpath={.status.observedGeneration}"),
             timeout=20)
    wait_for(lambda: "create Pod db-0 in StatefulSet db failed error: pods \"db-0\" " + refusal in
             kubectl(*ns, "get", "events", "--field-selector=involvedObject.kind=StatefulSet", "-o",
                     "jsonpath={.items[*].message}"), timeout=20)

    kubectl(*ns, "delete", "quota", "pods")
    kubectl(*ns, "rollout", "status", "deployment/web", "--timeout=30s")
    wait_for(lambda: deployment_failure() is None, timeout=20)


def test_apiservices_list_what_the_server_serves(kubectl: Kubectl, namespace: str) -> None:
    """kube-apiserver registers a local APIService per served group version (``onstart``) and per group version
    of CRDs (``true``); kubectl get apiservices listed nothing."""
    from tests.embedded.conftest import wait_for

    def listed() -> dict[str, list[str]]:
        lines = kubectl("get", "apiservices", "--no-headers").splitlines()
        return {line.split()[0]: line.split()[1:3] for line in lines}

    rows = wait_for(lambda: (found := listed()) and "v2.autoscaling" in found and found)
    for name in ("v1.", "v1.apps", "v2.autoscaling", "v1.rbac.authorization.k8s.io", "v1.apiextensions.k8s.io"):
        assert rows[name] == ["Local", "True"], name
    core = json.loads(kubectl("get", "apiservice", "v1.", "-o", "json"))
    assert core["metadata"]["labels"] == {"kube-aggregator.kubernetes.io/automanaged": "onstart"}
    assert core["spec"] == {"version": "v1", "groupPriorityMinimum": 18000, "versionPriority": 1}   # group: omitempty
    crd = yaml_crd("widgets.sessions.example.com", "sessions.example.com", "Widget", "widgets")
    kubectl("apply", "-f", "-", stdin=crd)
    try:
        wait_for(lambda: kubectl.run("get", "apiservice", "v1.sessions.example.com", check=False).returncode == 0)
        registered = json.loads(kubectl("get", "apiservice", "v1.sessions.example.com", "-o", "json"))
        assert registered["metadata"]["labels"] == {"kube-aggregator.kubernetes.io/automanaged": "true"}
        assert registered["spec"]["groupPriorityMinimum"] == 1000
    finally:
        kubectl("delete", "-f", "-", stdin=crd)
    wait_for(lambda: kubectl.run("get", "apiservice", "v1.sessions.example.com", check=False).returncode == 1)
    wrong = kubectl.run("create", "-f", "-", check=False, stdin=json.dumps({
        "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": {"name": "v1.wrong.example.com"},
        "spec": {"group": "other.example.com", "version": "v1", "groupPriorityMinimum": 1, "versionPriority": 1}}))
    assert 'metadata.name: Invalid value: "v1.wrong.example.com": must be `spec.version+"."+spec.group`: ' \
        '"v1.other.example.com"' in wrong.stderr


def yaml_crd(name: str, group: str, kind: str, plural: str) -> str:
    return json.dumps({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                       "metadata": {"name": name},
                       "spec": {"group": group, "scope": "Namespaced",
                                "names": {"kind": kind, "plural": plural, "singular": kind.lower()},
                                "versions": [{"name": "v1", "served": True, "storage": True,
                                              "schema": {"openAPIV3Schema": {"type": "object"}}}]}})
