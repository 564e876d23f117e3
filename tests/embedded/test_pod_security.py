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


def test_app_armor_host_process_and_seccomp_values() -> None:
    spec = {"securityContext": {"appArmorProfile": {"type": "Unconfined"},
                                "windowsOptions": {"hostProcess": True}},
            "containers": [{"name": "a", "securityContext": {"appArmorProfile": {"type": "Unconfined"},
                                                             "seccompProfile": {"type": "Unconfined"}}},
                           {"name": "b", "securityContext": {"windowsOptions": {"hostProcess": True},
                                                             "appArmorProfile": {"type": "Localhost"}}}]}
    meta = {"annotations": {"container.apparmor.security.beta.kubernetes.io/b": "unconfined",
                            "container.apparmor.security.beta.kubernetes.io/a": "runtime/default"}}
    assert violations("baseline", spec, None, meta) == [
        'forbidden AppArmor profiles (pod and container "a" and annotation must not set AppArmor profile type to '
        '"Unconfined", "container.apparmor.security.beta.kubernetes.io/b="unconfined"")',
        'seccompProfile (container "a" must not set securityContext.seccompProfile.type to "Unconfined")',
        'hostProcess (pod and container "b" must not set securityContext.windowsOptions.hostProcess=true)']


def test_policy_versions_choose_the_checks() -> None:
    spec = {"securityContext": {"sysctls": [{"name": "net.ipv4.tcp_keepalive_time", "value": "1"}],
                                "seLinuxOptions": {"type": "container_engine_t"}},
            "containers": [{"name": "a", "securityContext": {"allowPrivilegeEscalation": False,
                                                             "runAsNonRoot": True, "runAsUser": 0}}]}
    assert violations("baseline", spec, 28) == [
        'seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type "container_engine_t")',
        "forbidden sysctls (net.ipv4.tcp_keepalive_time)"]
    assert violations("baseline", spec, 31) == []
    spec = {"containers": spec["containers"]}
    assert violations("restricted", spec, 18) == []          # no capabilities, seccomp or runAsUser checks yet
    assert violations("restricted", spec, 22) == [
        'unrestricted capabilities (container "a" must set securityContext.capabilities.drop=["ALL"])',
        'seccompProfile (pod or container "a" must set securityContext.seccompProfile.type to "RuntimeDefault" or '
        '"Localhost")']
    assert violations("restricted", spec, 99) == violations("restricted", spec) == [
        'unrestricted capabilities (container "a" must set securityContext.capabilities.drop=["ALL"])',
        'runAsUser=0 (container "a" must not set runAsUser=0)',
        'seccompProfile (pod or container "a" must set securityContext.seccompProfile.type to "RuntimeDefault" or '
        '"Localhost")']
    windows = {**spec, "os": {"name": "windows"}}
    assert violations("restricted", windows, 24) != violations("restricted", windows, 25) == [
        'runAsUser=0 (container "a" must not set runAsUser=0)']
    old = {"containers": [{"name": "a"}]}
    annotations = {"annotations": {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}}
    assert violations("baseline", old, 18, annotations) == [
        'seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined")']
    assert violations("baseline", old, 19, annotations) == []


def test_version_labels_through_the_api(http: Http) -> None:
    labels = {"pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "v1.28",
              "pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/warn-version": "v1.21"}
    assert http("POST", "/api/v1/namespaces", {"metadata": {"name": "psa-versions", "labels": labels}})[0] == 201
    sysctl = pod("tuned", securityContext={"sysctls": [{"name": "net.ipv4.tcp_fin_timeout", "value": "30"}]})
    status, body, _ = http("POST", "/api/v1/namespaces/psa-versions/pods", sysctl)
    assert (status, body["message"]) == (403, 'pods "tuned" is forbidden: violates PodSecurity "baseline:v1.28": '
                                              "forbidden sysctls (net.ipv4.tcp_fin_timeout)")
    status, body, headers = http("POST", "/api/v1/namespaces/psa-versions/pods", pod("plain"))
    assert status == 201, body
    assert json.loads(headers["Warning"].removeprefix("299 - ")) == (
        'would violate PodSecurity "restricted:v1.21": allowPrivilegeEscalation != false (container "plain" must '
        'set securityContext.allowPrivilegeEscalation=false), runAsNonRoot != true (pod or container "plain" must '
        'set securityContext.runAsNonRoot=true), seccompProfile (pod or container "plain" must set '
        'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")')
    status, body, _ = http("PATCH", "/api/v1/namespaces/psa-versions", {"metadata": {"labels": {
        "pod-security.kubernetes.io/enforce-version": "1.28"}}}, "application/merge-patch+json")
    assert (status, body["message"]) == (422, 'Namespace "psa-versions" is invalid: metadata.labels'
                                              '[pod-security.kubernetes.io/enforce-version]: Invalid value: "1.28": '
                                              'must be "latest" or "v1.x"')
    status, body, headers = http("PATCH", "/api/v1/namespaces/psa-versions", {"metadata": {"labels": {
        "pod-security.kubernetes.io/enforce-version": "latest"}}}, "application/merge-patch+json")
    assert status == 200 and "Warning" not in headers      # baseline:latest: the existing pods comply
    armored = pod("armored", {"appArmorProfile": {"type": "Unconfined"}})
    status, body, _ = http("POST", "/api/v1/namespaces/psa-versions/pods", armored)
    assert status == 403 and 'violates PodSecurity "baseline:latest": forbidden AppArmor profile (container ' \
        '"armored" must not set AppArmor profile type to "Unconfined")' in body["message"]


def test_namespace_labels_are_validated_and_tightening_warns(http: Http) -> None:
    bad = {"pod-security.kubernetes.io/enforce": "strict"}
    status, body, _ = http("POST", "/api/v1/namespaces", {"metadata": {"name": "psa-typo", "labels": bad}})
    assert (status, body["message"]) == (422, 'Namespace "psa-typo" is invalid: metadata.labels'
                                              '[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be '
                                              "one of privileged, baseline, restricted")
    assert http("POST", "/api/v1/namespaces", {"metadata": {"name": "psa-open"}})[0] == 201
    for name in ("b-host", "a-host", "c-priv", "fine"):
        spec: dict[str, Any] = {"hostNetwork": True} if name.endswith("host") else {}
        security = {"privileged": True} if name == "c-priv" else None
        assert http("POST", "/api/v1/namespaces/psa-open/pods", pod(name, security, **spec))[0] == 201
    status, body, headers = http("PATCH", "/api/v1/namespaces/psa-open", {"metadata": {"labels": {
        "pod-security.kubernetes.io/enforce": "baseline"}}}, "application/merge-patch+json")
    assert status == 200, body
    warnings = [json.loads(value.removeprefix("299 - ")) for value in headers.getlist("Warning")]
    assert warnings == ['existing pods in namespace "psa-open" violate the new PodSecurity enforce level '
                        '"baseline:latest"', "a-host (and 1 other pod): host namespaces", "c-priv: privileged"]
    status, body, headers = http("POST", "/apis/apps/v1/namespaces/psa-open/deployments", {
        "metadata": {"name": "d"}, "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {
            "metadata": {"labels": {"a": "b"}}, "spec": {"hostPID": True, "containers": [
                {"name": "c", "image": "nginx"}]}}}})
    assert status == 201       # templates are not enforced; warn follows the stricter enforce level
    assert json.loads(headers["Warning"].removeprefix("299 - ")) == \
        'would violate PodSecurity "baseline:latest": host namespaces (hostPID=true)'



def test_significant_pod_updates_are_enforced(http: Http) -> None:
    assert http("POST", "/api/v1/namespaces", {"metadata": {"name": "psa-updates"}})[0] == 201
    assert http("POST", "/api/v1/namespaces/psa-updates/pods", pod("host", hostNetwork=True))[0] == 201
    status, body, _ = http("PATCH", "/api/v1/namespaces/psa-updates", {"metadata": {"labels": {
        "pod-security.kubernetes.io/enforce": "baseline"}}}, "application/merge-patch+json")
    assert status == 200, body
    status, body, _ = http("PATCH", "/api/v1/namespaces/psa-updates/pods/host", {"metadata": {"labels": {
        "a": "b"}}}, "application/merge-patch+json")
    assert status == 200, body                                     # labels only: not evaluated
    status, body, _ = http("PATCH", "/api/v1/namespaces/psa-updates/pods/host", {"spec": {"containers": [
        {"name": "host", "image": "nginx:2"}]}}, "application/strategic-merge-patch+json")
    assert (status, body["message"]) == (403, 'pods "host" is forbidden: violates PodSecurity "baseline:latest": '
                                              "host namespaces (hostNetwork=true)")
