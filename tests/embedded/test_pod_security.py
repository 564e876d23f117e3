"""Pod Security admission from namespace labels: enforce refuses pods, warn warns (also for workload templates)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster
from chainsaw_py.embedded.admission.podsecurity import violations
from tests.embedded.test_admission_webhooks import Http


@pytest.fixture(scope="module")
def http() -> Iterator[Http]:
    with EmbeddedCluster() as running:
        yield Http(running)


def pod(name: str, security: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    container: dict[str, Any] = {"name": name, "image": "nginx"}
    if security is not None:
        container["securityContext"] = security
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"containers": [container], **spec}}


RESTRICTED_OK = {"allowPrivilegeEscalation": False, "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]},
                 "seccompProfile": {"type": "RuntimeDefault"}}


def test_enforce_restricted_and_warn(http: Http) -> None:
    labels = {"pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/warn": "restricted"}
    assert http("POST", "/api/v1/namespaces", {"metadata": {"name": "psa", "labels": labels}})[0] == 201
    status, body, _ = http("POST", "/api/v1/namespaces/psa/pods", pod("root", {"privileged": True}, hostNetwork=True))
    assert status == 403
    assert body["message"] == ('pods "root" is forbidden: violates PodSecurity "baseline:latest": host namespaces '
                               '(hostNetwork=true), privileged (container "root" must not set '
                               "securityContext.privileged=true)")
    status, body, headers = http("POST", "/api/v1/namespaces/psa/pods", pod("plain"))
    assert status == 201, body
    assert json.loads(headers["Warning"].removeprefix("299 - ")) == (
        'would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "plain" '
        'must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "plain" '
        'must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container '
        '"plain" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "plain" must set '
        'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")')
    status, body, headers = http("POST", "/api/v1/namespaces/psa/pods", pod("good", RESTRICTED_OK))
    assert status == 201 and "Warning" not in headers
    status, body, headers = http("POST", "/apis/apps/v1/namespaces/psa/deployments", {
        "metadata": {"name": "d"}, "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {
            "metadata": {"labels": {"a": "b"}}, "spec": {"containers": [
                {"name": "c", "image": "nginx", "securityContext": {"privileged": True}}]}}}})
    assert status == 201 and "privileged (container" in headers["Warning"]


def test_restricted_checks() -> None:
    spec = {"containers": [{"name": "a", "securityContext": {**RESTRICTED_OK, "runAsUser": 0}},
                           {"name": "b", "securityContext": {**RESTRICTED_OK, "capabilities": {
                               "drop": ["ALL"], "add": ["NET_ADMIN"]}}}],
            "volumes": [{"name": "host", "hostPath": {"path": "/"}}]}
    assert violations("restricted", spec) == [
        'unrestricted capabilities (container "b" must not include "NET_ADMIN" in securityContext.capabilities.add)',
        'restricted volume types (volume "host" uses restricted volume type "hostPath")',
        'runAsUser=0 (container "a" must not set runAsUser=0)']
    assert violations("baseline", spec) == [
        'non-default capabilities (container "b" must not include "NET_ADMIN" in securityContext.capabilities.add)',
        'hostPath volumes (volume "host")']
    assert violations("privileged", spec) == []
