"""Identities and RBAC: ServiceAccount tokens, static users, impersonation, kubectl auth can-i, access reviews,
default ClusterRoles with aggregation, and the apiserver's 403 messages."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster
from chainsaw_py.embedded.auth.authenticator import StaticUser, parse_token_csv
from chainsaw_py.embedded.auth.identity import UserInfo
from tests.embedded.conftest import Kubectl


@pytest.fixture(scope="module")
def cluster() -> Iterator[EmbeddedCluster]:
    users = [StaticUser("alice-token", UserInfo("alice", ("devs",), "u-1"))]
    with EmbeddedCluster(users=users) as running:
        yield running


@pytest.fixture(scope="module")
def kubectl(cluster: EmbeddedCluster, tmp_path_factory: pytest.TempPathFactory) -> Kubectl:
    import shutil

    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    return Kubectl(cluster.kubeconfig_path, tmp_path_factory.mktemp("kubectl-cache"))


def call(cluster: EmbeddedCluster, method: str, path: str, token: str, body: Any = None,
         **headers: str) -> tuple[int, Any]:
    import urllib3

    assert cluster.ca_pem is not None
    pool = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_cert_data=cluster.ca_pem.decode())
    response = pool.request(method, cluster.server_url + path, body=None if body is None else json.dumps(body),
                            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                                     **headers})
    return response.status, json.loads(response.data or b"null")


_count = iter(range(1, 1000))


@pytest.fixture
def ns(kubectl: Kubectl) -> str:
    name = f"rbac-{next(_count)}"
    kubectl("create", "namespace", name)
    kubectl("create", "serviceaccount", "robot", "-n", name)
    return name


def can_i(kubectl: Kubectl, *args: str) -> str:
    return kubectl.run("auth", "can-i", *args, check=False).stdout.strip()


def test_service_account_starts_with_nothing_and_gains_a_role(kubectl: Kubectl, ns: str) -> None:
    sa = f"system:serviceaccount:{ns}:robot"
    assert can_i(kubectl, "list", "pods", "-n", ns, "--as", sa) == "no"
    assert can_i(kubectl, "create", "deployments.apps", "-n", ns) == "yes"
    kubectl("create", "rolebinding", "robot-view", "--clusterrole", "view", "--serviceaccount", f"{ns}:robot",
            "-n", ns)
    assert can_i(kubectl, "list", "pods", "-n", ns, "--as", sa) == "yes"
    assert can_i(kubectl, "list", "pods", "-n", "default", "--as", sa) == "no"
    assert can_i(kubectl, "create", "pods", "-n", ns, "--as", sa) == "no"
    assert can_i(kubectl, "get", "secrets", "-n", ns, "--as", sa) == "no"
    kubectl("create", "role", "one-secret", "--verb", "get", "--resource", "secrets", "--resource-name", "mine",
            "-n", ns)
    kubectl("create", "rolebinding", "one-secret", "--role", "one-secret", "--serviceaccount", f"{ns}:robot",
            "-n", ns)
    assert can_i(kubectl, "get", "secrets/mine", "-n", ns, "--as", sa) == "yes"
    assert can_i(kubectl, "get", "secrets/other", "-n", ns, "--as", sa) == "no"


def test_token_request_tokens_carry_the_identity(cluster: EmbeddedCluster, kubectl: Kubectl, ns: str) -> None:
    token = kubectl("create", "token", "robot", "-n", ns).strip()
    status, body = call(cluster, "GET", f"/api/v1/namespaces/{ns}/configmaps", token)
    assert status == 403
    assert body["message"] == (f'configmaps is forbidden: User "system:serviceaccount:{ns}:robot" cannot list '
                               f'resource "configmaps" in API group "" in the namespace "{ns}"')
    assert body["details"] == {"kind": "configmaps"} and body["reason"] == "Forbidden"
    status, body = call(cluster, "GET", "/apis/apps/v1/namespaces/x/deployments/d", token)
    assert body["message"] == (f'deployments.apps "d" is forbidden: User "system:serviceaccount:{ns}:robot" cannot '
                               'get resource "deployments" in API group "apps" in the namespace "x"')
    status, body = call(cluster, "GET", "/api/v1/nodes", token)
    assert body["message"].endswith('cannot list resource "nodes" in API group "" at the cluster scope')
    assert call(cluster, "GET", "/api", token)[0] == 200
    status, body = call(cluster, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", token,
                        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    assert body["status"]["userInfo"]["username"] == f"system:serviceaccount:{ns}:robot"
    assert f"system:serviceaccounts:{ns}" in body["status"]["userInfo"]["groups"]
    kubectl("create", "rolebinding", "robot-edit", "--clusterrole", "edit", "--serviceaccount", f"{ns}:robot",
            "-n", ns)
    status, body = call(cluster, "POST", f"/api/v1/namespaces/{ns}/configmaps", token,
                        {"metadata": {"name": "made-by-robot"}})
    assert status == 201, body
    kubectl("delete", "serviceaccount", "robot", "-n", ns)
    assert call(cluster, "GET", f"/api/v1/namespaces/{ns}/configmaps", token)[0] == 401
    assert call(cluster, "GET", "/api", "not-a-token")[0] == 401


def test_static_user_impersonation_and_reviews(cluster: EmbeddedCluster, kubectl: Kubectl, ns: str) -> None:
    status, body = call(cluster, "GET", "/api/v1/namespaces", "alice-token",
                        **{"Impersonate-User": "system:serviceaccount:x:y"})
    assert status == 403
    assert body["message"] == ('serviceaccounts "y" is forbidden: User "alice" cannot impersonate resource '
                               '"serviceaccounts" in API group "" in the namespace "x"')
    kubectl("create", "clusterrolebinding", f"devs-view-{ns}", "--clusterrole", "view", "--group", "devs")
    assert call(cluster, "GET", f"/api/v1/namespaces/{ns}/pods", "alice-token")[0] == 200
    review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
              "spec": {"user": "alice", "groups": ["devs"],
                       "resourceAttributes": {"verb": "list", "resource": "pods", "namespace": ns}}}
    status, body = call(cluster, "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", cluster.token, review)
    assert body["status"] == {"allowed": True, "reason": f'RBAC: allowed by ClusterRoleBinding "devs-view-{ns}" of '
                                                         'ClusterRole "view" to Group "devs"'}
    listing = kubectl("auth", "can-i", "--list", "-n", ns, "--as", "alice", "--as-group", "devs")
    assert "pods" in listing and "selfsubjectaccessreviews.authorization.k8s.io" in listing


def test_aggregated_cluster_roles_pick_up_new_rules(kubectl: Kubectl, ns: str) -> None:
    sa = f"system:serviceaccount:{ns}:robot"
    kubectl("create", "rolebinding", "robot-view", "--clusterrole", "view", "--serviceaccount", f"{ns}:robot",
            "-n", ns)
    assert can_i(kubectl, "list", "secrets", "-n", ns, "--as", sa) == "no"
    kubectl("apply", "-f", "-", stdin=f"""
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: secrets-view-{ns}
  labels: {{rbac.authorization.k8s.io/aggregate-to-view: "true"}}
rules:
- {{apiGroups: [""], resources: [secrets], verbs: [list]}}
""")
    assert can_i(kubectl, "list", "secrets", "-n", ns, "--as", sa) == "yes"
    assert can_i(kubectl, "list", "secrets", "-n", ns, "--as", "someone") == "no"
    deadline = time.monotonic() + 10
    for role in ("view", "edit", "admin"):
        while {"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]} not in json.loads(
                kubectl("get", "clusterrole", role, "-o", "json"))["rules"]:
            assert time.monotonic() < deadline, f"{role} did not aggregate the new rule"
            time.sleep(0.1)
    kubectl("delete", "clusterrole", f"secrets-view-{ns}")


def test_default_roles_and_the_always_allow_switch(kubectl: Kubectl) -> None:
    names = kubectl("get", "clusterroles", "-o", "name").split()
    for role in ("cluster-admin", "admin", "edit", "view", "system:discovery", "system:basic-user"):
        assert f"clusterrole.rbac.authorization.k8s.io/{role}" in names
    with EmbeddedCluster(authorization="AlwaysAllow", users=parse_token_csv('bob-token,bob,2,"a,b"\n', "x")) as other:
        assert call(other, "GET", "/api/v1/nodes", "bob-token")[0] == 200
        _status, body = call(other, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", "bob-token",
                            {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
        assert body["status"]["userInfo"] == {"username": "bob", "uid": "2",
                                              "groups": ["a", "b", "system:authenticated"]}


def test_legacy_service_account_token_secrets(cluster: EmbeddedCluster, kubectl: Kubectl, ns: str) -> None:
    import base64

    kubectl("apply", "-f", "-", stdin=f"""
apiVersion: v1
kind: Secret
metadata:
  name: robot-token
  namespace: {ns}
  annotations: {{kubernetes.io/service-account.name: robot}}
type: kubernetes.io/service-account-token
""")
    deadline = time.monotonic() + 10
    while not (data := json.loads(kubectl("get", "secret", "robot-token", "-n", ns, "-o", "json")).get("data")):
        assert time.monotonic() < deadline, "the token controller did not fill the secret"
        time.sleep(0.1)
    assert set(data) == {"token", "ca.crt", "namespace"}
    token = base64.b64decode(data["token"]).decode()
    status, body = call(cluster, "GET", f"/api/v1/namespaces/{ns}/secrets", token)
    assert (status, body["message"]) == (403, f'secrets is forbidden: User "system:serviceaccount:{ns}:robot" cannot '
                                              f'list resource "secrets" in API group "" in the namespace "{ns}"')
    kubectl("delete", "secret", "robot-token", "-n", ns)
    assert call(cluster, "GET", f"/api/v1/namespaces/{ns}/secrets", token)[0] == 401


def test_rbac_escalation_is_refused(cluster: EmbeddedCluster, kubectl: Kubectl, ns: str) -> None:
    kubectl("create", "role", "rbac-manager", "--verb", "create,get,list", "--resource", "roles.rbac.authorization.k8s.io,"
            "rolebindings.rbac.authorization.k8s.io", "-n", ns)
    kubectl("create", "role", "pod-reader", "--verb", "get,list", "--resource", "pods", "-n", ns)
    kubectl("create", "rolebinding", "robot-rbac", "--role", "rbac-manager", "--serviceaccount", f"{ns}:robot",
            "-n", ns)
    kubectl("create", "rolebinding", "robot-pods", "--role", "pod-reader", "--serviceaccount", f"{ns}:robot",
            "-n", ns)
    token = kubectl("create", "token", "robot", "-n", ns).strip()
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "wider"},
            "rules": [{"apiGroups": [""], "resources": ["pods", "secrets"], "verbs": ["get", "delete"]}]}
    status, body = call(cluster, "POST", f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles", token, role)
    assert status == 403
    assert body["message"] == (
        f'roles.rbac.authorization.k8s.io "wider" is forbidden: user "system:serviceaccount:{ns}:robot" (groups='
        f'["system:serviceaccounts" "system:serviceaccounts:{ns}" "system:authenticated"]) is attempting to grant '
        'RBAC permissions not currently held:\n'
        '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}\n'
        '{APIGroups:[""], Resources:["secrets"], Verbs:["delete"]}\n'
        '{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}')
    role["rules"] = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}]
    assert call(cluster, "POST", f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles", token, role)[0] == 201
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "b"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
               "subjects": [{"kind": "User", "name": "jane"}]}
    status, body = call(cluster, "POST", f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings", token,
                        binding)
    assert status == 403 and "is attempting to grant RBAC permissions not currently held" in body["message"]
    binding["roleRef"] = {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"}
    assert call(cluster, "POST", f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings", token,
                binding)[0] == 201
