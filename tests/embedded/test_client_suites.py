"""Differences from kube-apiserver found by running real clients' own e2e suites (the ``kubernetes`` Python
client's, lightkube's, kr8s's) against the embedded cluster, each replayed against kube-apiserver's answer."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.embedded.conftest import wait_for

_CERT_LINES = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUNVakNDQWJzQ0FnMytNQTBHQ1NxR1NJYjNE\n" \
              "UUVCQlFVQU1JR2JNUXN3Q1FZRFZRUUdFd0pLVURFT01Bd0cK\n"


def test_bytes_fields_decode_like_encoding_json(api_client: Any, namespace: str) -> None:
    """Secret ``data`` and ConfigMap ``binaryData`` are ``[]byte``: encoding/json's base64 skips line breaks
    (a YAML block scalar, as in the Kubernetes docs' TLS Secret), and the object reads back canonical."""
    from kubernetes import client

    core = client.CoreV1Api(api_client)
    secret = core.create_namespaced_secret(namespace, {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls"}, "type": "kubernetes.io/tls",
        "data": {"tls.crt": _CERT_LINES, "tls.key": "a2V5\n"}})
    assert secret.data == {"tls.crt": _CERT_LINES.replace("\n", ""), "tls.key": "a2V5"}
    config = core.create_namespaced_config_map(namespace, {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bin"}, "binaryData": {"b": "AAEC\r\nAw=="}})
    assert config.binary_data == {"b": "AAECAw=="}
    patched = core.patch_namespaced_secret("tls", namespace, {"data": {"extra": "eA\n=="}})
    assert patched.data["extra"] == "eA=="


@pytest.mark.parametrize(("kind", "field", "value", "offset"), [
    ("Secret", "data", "abc", 0), ("Secret", "data", "a2V5 ", 4), ("ConfigMap", "binaryData", "YQ=", 3)])
def test_malformed_base64_is_the_decoder_s_400(api_client: Any, namespace: str, kind: str, field: str,
                                               value: str, offset: int) -> None:
    from kubernetes import client

    body = {"apiVersion": "v1", "kind": kind, "metadata": {"name": "bad"}, field: {"k": value}}
    create = getattr(client.CoreV1Api(api_client), "create_namespaced_secret" if kind == "Secret"
                     else "create_namespaced_config_map")
    with pytest.raises(client.ApiException) as error:
        create(namespace, body)
    assert error.value.status == 400
    status = json.loads(error.value.body)
    assert (status["reason"], status["message"]) == (
        "BadRequest", f'{kind} in version "v1" cannot be handled as a {kind}: illegal base64 data at input byte '
                      f'{offset}')


@pytest.mark.parametrize(("authorization", "code"), [
    ("", 200), ("Basic dXNlcjpwdw==", 200), ("Bearer abc123", 401), ("bearer abc123", 401)])
def test_a_bearer_token_that_does_not_authenticate_fails_even_on_version(cluster: Any, authorization: str,
                                                                         code: int) -> None:
    """Anonymous access is for requests that present no credentials: kube-apiserver's union authenticator
    fails on the token authenticator's error before trying anonymous (kr8s's ``test_bad_auth``)."""
    import ssl
    import urllib.error
    import urllib.request

    context = ssl.create_default_context(cadata=(cluster.ca_pem or b"").decode())
    headers = {"Authorization": authorization} if authorization else {}
    request = urllib.request.Request(f"{cluster.server_url}/version", headers=headers)
    try:
        with urllib.request.urlopen(request, context=context) as answer:
            assert (code, json.loads(answer.read())["major"]) == (200, "1")
    except urllib.error.HTTPError as error:
        assert (error.code, json.loads(error.read())["reason"]) == (code, "Unauthorized")


def test_the_apiserver_registers_its_own_group_versions_as_local_apiservices(api_client: Any) -> None:
    """kube-apiserver's autoregister: ``v1.``, ``v1.apps``, ``v2.autoscaling`` ... with its priority table, no
    service (Local, Available) and the ``automanaged: onstart`` label."""
    from kubernetes import client

    registration = client.ApiregistrationV1Api(api_client)
    wait_for(lambda: any(item.metadata.name == "v1.apps" for item in registration.list_api_service().items))
    services = {item.metadata.name: item for item in registration.list_api_service().items}
    assert {"v1.", "v1.apps", "v2.autoscaling", "v1.rbac.authorization.k8s.io"} <= set(services)
    core = services["v1."]
    assert (core.spec.group, core.spec.version, core.spec.group_priority_minimum, core.spec.version_priority,
            core.spec.service) == (None, "v1", 18000, 1, None)
    assert core.metadata.labels == {"kube-aggregator.kubernetes.io/automanaged": "onstart"}
    autoscaling = services["v2.autoscaling"]
    assert (autoscaling.spec.group_priority_minimum, autoscaling.spec.version_priority) == (17500, 30)
    available = wait_for(lambda: registration.read_api_service("v1.apps").status.conditions)
    assert [(c.type, c.status, c.reason) for c in available] == [("Available", "True", "Local")]


def test_apiservice_names_are_version_dot_group(api_client: Any) -> None:
    from kubernetes import client

    registration = client.ApiregistrationV1Api(api_client)
    with pytest.raises(client.ApiException) as error:
        registration.create_api_service({"metadata": {"name": "widgets"}, "spec": {
            "group": "example.com", "version": "v1", "groupPriorityMinimum": 0, "versionPriority": 10}})
    assert error.value.status == 422
    causes = [(c["field"], c["message"]) for c in json.loads(error.value.body)["details"]["causes"]]
    assert causes == [
        ("metadata.name", 'Invalid value: "widgets": must be `spec.version+"."+spec.group`: "v1.example.com"'),
        ("spec.groupPriorityMinimum", "Invalid value: 0: must be positive and less than 20000")]
