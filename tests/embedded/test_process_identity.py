"""Pods that run as processes act as their ServiceAccount: RBAC applies to them as in a real cluster."""

from __future__ import annotations

import base64
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster
from chainsaw_py.embedded.runtime.images import ImageProgram
from tests.embedded.process_pods import cluster_fixture, create, finished, get_pod, logs, phase, until

TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"
CA = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
LISTER = textwrap.dedent("""
    import json, os, ssl, sys, time, urllib.error, urllib.request
    server = json.load(open(os.environ["KUBECONFIG"]))["clusters"][0]["cluster"]["server"]
    token = open(sys.argv[1]).read()
    print("same token", token == json.load(open(os.environ["KUBECONFIG"]))["users"][0]["user"]["token"], flush=True)
    context = ssl.create_default_context(cafile=sys.argv[2])
    last = None
    while True:
        request = urllib.request.Request(server + "/api/v1/namespaces/" + os.environ["NS"] + "/configmaps",
                                         headers={"Authorization": "Bearer " + token})
        try:
            urllib.request.urlopen(request, context=context, timeout=5).read()
            print("allowed", flush=True)
            break
        except urllib.error.HTTPError as err:
            answer = (err.code, json.load(err)["message"])
            if answer != last:
                print(*answer, flush=True)
                last = answer
        time.sleep(0.1)
""")
PROBE = textwrap.dedent("""
    import os, sys
    print("kubeconfig", "KUBECONFIG" in os.environ)
    print("token file", os.path.exists(sys.argv[1]))
""")


cluster = cluster_fixture([ImageProgram("example.com/lister", (sys.executable, "-u", "-c", LISTER)),
                           ImageProgram("example.com/tool", (sys.executable, "-u", "-c"))])


def _account(name: str, namespace: str = "default", **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace}, **extra}


def _pod(name: str, image: str, account: str, namespace: str = "default", **spec: Any) -> dict[str, Any]:
    container = {"name": "main", "image": image, "env": [
        {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}]}
    container.update(spec.pop("container", {}))
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
            "spec": {"serviceAccountName": account, "restartPolicy": "Never", "containers": [container], **spec}}


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_a_pod_gets_403_without_a_binding_and_succeeds_with_one(cluster: EmbeddedCluster) -> None:
    create(cluster, _account("reader"))
    create(cluster, _pod("lister", "example.com/lister", "reader", container={"args": [TOKEN, CA]}))
    forbidden = 'User "system:serviceaccount:default:reader" cannot list resource "configmaps"'
    until(lambda: forbidden in logs(cluster, "lister"))
    assert "403" in logs(cluster, "lister") and "same token True" in logs(cluster, "lister")
    create(cluster, {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                      "metadata": {"name": "read-configmaps", "namespace": "default"},
                      "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["list"]}]})
    create(cluster, {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                      "metadata": {"name": "reader", "namespace": "default"},
                      "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "read-configmaps"},
                      "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": "default"}]})
    until(lambda: phase(cluster, "lister") == "Succeeded")
    assert logs(cluster, "lister").endswith("allowed")


def test_the_token_is_the_service_account_s_bound_to_the_pod(cluster: EmbeddedCluster) -> None:
    create(cluster, _account("robot"))
    pod = create(cluster, _pod("printer", "example.com/tool", "robot", container={
        "args": ["import sys; print(open(sys.argv[1]).read()); print(open(sys.argv[2]).read())", TOKEN,
                 "/var/run/secrets/tokens/vault"],
        "volumeMounts": [{"name": "vault", "mountPath": "/var/run/secrets/tokens"}]},
        volumes=[{"name": "vault", "projected": {"sources": [{"serviceAccountToken": {
            "audience": "vault", "expirationSeconds": 7200, "path": "vault"}}]}}]))
    until(lambda: phase(cluster, "printer") == "Succeeded")
    default, vault = logs(cluster, "printer").splitlines()[:2]
    for token in (default, vault):
        claims = _claims(token)
        assert claims["sub"] == "system:serviceaccount:default:robot"
        assert claims["kubernetes.io"]["pod"] == {"name": "printer", "uid": pod["metadata"]["uid"]}
    assert _claims(vault)["aud"] == ["vault"]
    assert _claims(vault)["exp"] - _claims(vault)["iat"] == 7200


@pytest.mark.parametrize("where", ["pod", "serviceaccount"])
def test_automount_false_mounts_no_token(cluster: EmbeddedCluster, where: str) -> None:
    account = f"quiet-{where}"
    create(cluster, _account(account, **({"automountServiceAccountToken": False} if where != "pod" else {})))
    spec = {"automountServiceAccountToken": False} if where == "pod" else {}
    pod = create(cluster, _pod(account, "example.com/tool", account, container={"args": [PROBE, TOKEN]}, **spec))
    assert not pod["spec"].get("volumes")
    until(lambda: phase(cluster, account) == "Succeeded")
    assert logs(cluster, account) == "kubeconfig False\ntoken file False"


def test_a_projected_token_volume_gets_a_token_without_automount(cluster: EmbeddedCluster) -> None:
    """Replays chainsaw-kube's serviceaccount-token test: automountServiceAccountToken only concerns the
    default token volume, a projected serviceAccountToken volume still holds the account's token."""
    create(cluster, _account("projected-only"))
    create(cluster, _pod("projected-only", "example.com/tool", "projected-only", automountServiceAccountToken=False,
                          container={"args": ["import sys; print(open(sys.argv[1]).read())", "/custom/custom-token"],
                                     "volumeMounts": [{"name": "token", "mountPath": "/custom", "readOnly": True}]},
                          volumes=[{"name": "token", "projected": {"sources": [{"serviceAccountToken": {
                              "audience": "api.example.com", "expirationSeconds": 3600, "path": "custom-token"}}]}}]))
    finished(cluster, "projected-only")
    claims = _claims(logs(cluster, "projected-only").strip())
    assert (claims["sub"], claims["aud"]) == ("system:serviceaccount:default:projected-only", ["api.example.com"])


def test_a_pod_waits_for_its_service_account(cluster: EmbeddedCluster) -> None:
    create(cluster, _pod("early", "example.com/tool", "late", container={"args": [PROBE, TOKEN]}))

    def waiting() -> dict[str, Any]:
        statuses = ((get_pod(cluster, "early") or {}).get("status") or {}).get("containerStatuses") or [{}]
        waiting = dict(statuses[0].get("state", {}).get("waiting") or {})
        return waiting if waiting.get("reason") == "CreateContainerConfigError" else {}

    assert until(waiting)["message"] == 'failed to fetch token: serviceaccounts "late" not found'
    create(cluster, _account("late"))
    until(lambda: phase(cluster, "early") == "Succeeded", timeout=30)
    assert logs(cluster, "early") == "kubeconfig True\ntoken file True"


def test_projected_tokens_are_renewed_at_80_percent_of_their_life(tmp_path: Path) -> None:
    from chainsaw_py.embedded.runtime.environment import Identity, renew_tokens, renewable_tokens

    issued: list[tuple[list[str], int]] = []

    def issue(audiences: list[str], seconds: int) -> str:
        issued.append((audiences, seconds))
        return f"token-{len(issued)}"

    pod = {"spec": {"volumes": [{"name": "v", "projected": {"sources": [
        {"serviceAccountToken": {"audience": "vault", "expirationSeconds": 1000, "path": "vault"}},
        {"serviceAccountToken": {"path": "token"}}]}}]}}
    tokens = renewable_tokens(pod, {"v": tmp_path}, now=0.0)
    assert [token.path for token in tokens] == [tmp_path / "vault"]
    identity = Identity("pod-token", None, "https://127.0.0.1:1", "system:serviceaccount:ns:sa", issue)
    assert renew_tokens(tokens, identity, now=799.0) == 0
    assert renew_tokens(tokens, identity, now=800.0) == 1
    assert (tmp_path / "vault").read_text() == "token-1" and issued == [(["vault"], 1000)]
    assert renew_tokens(tokens, identity, now=1500.0) == 0
