"""Admission webhooks against real HTTPS servers on 127.0.0.1: matching, AdmissionReview v1 both ways, JSONPatch,
failurePolicy, timeouts, caBundle verification, Service resolution and the apiserver's error messages."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster
from tests.embedded.webhook_server import WebhookServer, allow, deny, patch


@pytest.fixture(scope="module")
def cluster() -> Iterator[EmbeddedCluster]:
    with EmbeddedCluster() as running:
        yield running


class Http:
    def __init__(self, cluster: EmbeddedCluster) -> None:
        import urllib3

        assert cluster.ca_pem is not None
        self.pool = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_cert_data=cluster.ca_pem.decode())
        self.base = cluster.server_url
        self.headers = {"Authorization": f"Bearer {cluster.token}", "Content-Type": "application/json"}

    def __call__(self, method: str, path: str, body: Any = None, content_type: str = "application/json",
                 **headers: str) -> tuple[int, Any, Any]:
        data = None if body is None else json.dumps(body).encode()
        response = self.pool.request(method, self.base + path, body=data,
                                     headers={**self.headers, "Content-Type": content_type, **headers})
        return response.status, json.loads(response.data or b"null"), response.headers


@pytest.fixture(scope="module")
def http(cluster: EmbeddedCluster) -> Http:
    return Http(cluster)


_count = iter(range(1, 10_000))


@pytest.fixture
def ns(http: Http) -> str:
    name = f"adm-{next(_count)}"
    status, body, _ = http("POST", "/api/v1/namespaces", {"metadata": {"name": name, "labels": {"team": "a"}}})
    assert status == 201, body
    return name


def configuration(kind: str, name: str, hooks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind, "metadata": {"name": name},
            "webhooks": hooks}


def hook(name: str, client_config: dict[str, Any], namespace: str, **extra: Any) -> dict[str, Any]:
    spec = {"name": name, "clientConfig": client_config, "sideEffects": "None", "admissionReviewVersions": ["v1"],
            "rules": [{"operations": ["CREATE", "UPDATE", "DELETE"], "apiGroups": [""], "apiVersions": ["v1"],
                       "resources": ["configmaps"]}],
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}
    spec.update(extra)
    return spec


@pytest.fixture
def install(http: Http) -> Iterator[Any]:
    created: list[str] = []

    def apply(kind: str, name: str, hooks: list[dict[str, Any]]) -> None:
        plural = kind.lower() + "s"
        status, body, _ = http("POST", f"/apis/admissionregistration.k8s.io/v1/{plural}",
                               configuration(kind, name, hooks))
        assert status == 201, body
        created.append(f"/apis/admissionregistration.k8s.io/v1/{plural}/{name}")

    yield apply
    for path in created:
        http("DELETE", path)


def configmap(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels or {}},
            "data": {"a": "1"}}


def test_validating_webhook_denies_with_the_apiservers_message(http: Http, ns: str, install: Any) -> None:
    def respond(path: str, review: dict[str, Any]) -> dict[str, Any]:
        obj = review["request"]["object"]
        if obj["data"].get("a") == "bad":
            return deny(review, "value a=bad is not allowed")
        return allow(review, warnings=["checked by the test webhook"])

    with WebhookServer(respond) as server:
        install("ValidatingWebhookConfiguration", f"v-{ns}",
                [hook("deny.example.com", {"url": server.url("/validate"), "caBundle": server.ca_bundle}, ns)])
        status, body, headers = http("POST", f"/api/v1/namespaces/{ns}/configmaps", configmap("good"))
        assert status == 201, body
        assert "checked by the test webhook" in headers.get("Warning", "")
        bad = configmap("bad")
        bad["data"]["a"] = "bad"
        status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/configmaps", bad)
        assert status == 403
        assert body["message"] == 'admission webhook "deny.example.com" denied the request: value a=bad is not allowed'
        assert "reason" not in body
        path, review = server.requests[0]
        assert path == "/validate?timeout=10s"
        request = review["request"]
        assert review["apiVersion"] == "admission.k8s.io/v1" and review["kind"] == "AdmissionReview"
        assert request["kind"] == {"group": "", "version": "v1", "kind": "ConfigMap"}
        assert request["resource"] == {"group": "", "version": "v1", "resource": "configmaps"}
        assert request["requestKind"] == request["kind"] and request["operation"] == "CREATE"
        assert request["name"] == "good" and request["namespace"] == ns and request["oldObject"] is None
        assert request["userInfo"]["username"] == "kubernetes-admin"
        assert "system:masters" in request["userInfo"]["groups"]
        assert request["dryRun"] is False
        assert request["options"]["kind"] == "CreateOptions"
        assert request["object"]["metadata"]["uid"]


def test_mutating_webhook_patch_then_validating_sees_it(http: Http, ns: str, install: Any) -> None:
    seen: list[dict[str, Any]] = []

    def respond(path: str, review: dict[str, Any]) -> dict[str, Any]:
        if path.startswith("/mutate"):
            return patch(review, [{"op": "add", "path": "/metadata/labels/mutated", "value": "yes"}])
        seen.append(review["request"]["object"])
        return allow(review)

    with WebhookServer(respond) as server:
        client = {"url": server.url("/validate"), "caBundle": server.ca_bundle}
        install("MutatingWebhookConfiguration", f"m-{ns}",
                [hook("label.example.com", {"url": server.url("/mutate"), "caBundle": server.ca_bundle}, ns)])
        install("ValidatingWebhookConfiguration", f"v-{ns}", [hook("see.example.com", client, ns)])
        status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/configmaps", configmap("m"))
        assert status == 201, body
        assert body["metadata"]["labels"] == {"mutated": "yes"}
        assert seen[-1]["metadata"]["labels"] == {"mutated": "yes"}


def test_dry_run_is_refused_by_webhooks_with_side_effects(http: Http, ns: str, install: Any) -> None:
    with WebhookServer(lambda path, review: allow(review)) as server:
        client = {"url": server.url("/v"), "caBundle": server.ca_bundle}
        install("ValidatingWebhookConfiguration", f"v-{ns}", [hook("effects.example.com", client, ns,
                                                                   sideEffects="Some")])
        status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/configmaps?dryRun=All", configmap("d"))
        assert (status, body["message"]) == (400, 'admission webhook "effects.example.com" does not support dry run')


def test_service_reference_resolves_to_a_loopback_endpoint_slice(http: Http, ns: str, install: Any) -> None:
    with WebhookServer(lambda path, review: deny(review, "via service"), [f"hook.{ns}.svc"]) as server:
        http("POST", f"/api/v1/namespaces/{ns}/services",
             {"metadata": {"name": "hook"}, "spec": {"ports": [{"name": "https", "port": 443,
                                                                "targetPort": server.port}]}})
        service = {"service": {"name": "hook", "namespace": ns, "path": "/check"}, "caBundle": server.ca_bundle}
        install("ValidatingWebhookConfiguration", f"v-{ns}", [hook("svc.example.com", service, ns)])
        status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/configmaps", configmap("s"))
        assert status == 500
        assert body["message"] == (f'Internal error occurred: failed calling webhook "svc.example.com": failed to '
                                   f'call webhook: Post "https://hook.{ns}.svc:443/check?timeout=10s": no endpoints '
                                   'available for service "hook"')
        status, body, _ = http("POST", f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices", {
            "metadata": {"name": "hook-local", "labels": {"kubernetes.io/service-name": "hook"}},
            "addressType": "IPv4", "endpoints": [{"addresses": ["127.0.0.1"], "conditions": {"ready": True}}],
            "ports": [{"name": "https", "port": server.port, "protocol": "TCP"}]})
        assert status == 201, body
        status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/configmaps", configmap("s"))
        assert (status, body["message"]) == (403, 'admission webhook "svc.example.com" denied the request: via service')
        assert server.requests[-1][0] == "/check?timeout=10s"


def test_failure_policy_decides_on_unreachable_webhooks(http: Http, ns: str, install: Any) -> None:
    with WebhookServer(lambda path, review: allow(review)) as server:
        ca = server.ca_bundle
    unreachable = {"url": f"https://127.0.0.1:{server.port}/gone", "caBundle": ca}
    install("ValidatingWebhookConfiguration", f"v-{ns}", [hook("fail.example.com", unreachable, ns)])
    status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/configmaps", configmap("f"))
    assert status == 500
    assert body["message"] == (f'Internal error occurred: failed calling webhook "fail.example.com": failed to call '
                               f'webhook: Post "https://127.0.0.1:{server.port}/gone?timeout=10s": dial tcp '
                               f'127.0.0.1:{server.port}: connect: connection refused')
    http("PATCH", f"/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/v-{ns}",
         [{"op": "add", "path": "/webhooks/0/failurePolicy", "value": "Ignore"}], "application/json-patch+json")
    status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/configmaps", configmap("f"))
    assert status == 201, body


def test_untrusted_certificate_and_timeout_fail_the_call(http: Http, ns: str, install: Any) -> None:
    def slow(path: str, review: dict[str, Any]) -> dict[str, Any]:
        if path.startswith("/slow"):
            time.sleep(1.5)
        return allow(review)

    with WebhookServer(slow) as server, WebhookServer(slow) as other:
        install("ValidatingWebhookConfiguration", f"v-{ns}", [
            hook("ca.example.com", {"url": server.url("/fast"), "caBundle": other.ca_bundle}, ns)])
        status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/configmaps", configmap("t"))
        assert status == 500
        assert "tls: failed to verify certificate: x509: " in body["message"]
        http("DELETE", f"/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/v-{ns}")
        install("ValidatingWebhookConfiguration", f"t-{ns}", [
            hook("slow.example.com", {"url": server.url("/slow"), "caBundle": server.ca_bundle}, ns,
                 timeoutSeconds=1)])
        status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/configmaps", configmap("t"))
        assert status == 500
        assert body["message"].endswith('/slow?timeout=1s": context deadline exceeded')


def test_rules_selectors_and_match_conditions(http: Http, ns: str, install: Any) -> None:
    with WebhookServer(lambda path, review: deny(review, path.split("?")[0])) as server:
        def client(path: str) -> dict[str, Any]:
            return {"url": server.url(path), "caBundle": server.ca_bundle}

        install("ValidatingWebhookConfiguration", f"v-{ns}", [
            hook("objects.example.com", client("/object"), ns, objectSelector={"matchLabels": {"check": "me"}}),
            hook("cel.example.com", client("/cel"), ns, matchConditions=[
                {"name": "named", "expression": "object.metadata.name.startsWith('cel-')"}]),
            hook("secrets.example.com", client("/secrets"), ns, rules=[
                {"operations": ["*"], "apiGroups": [""], "apiVersions": ["*"], "resources": ["secrets"],
                 "scope": "Namespaced"}]),
            hook("other-ns.example.com", client("/other"), ns,
                 namespaceSelector={"matchLabels": {"team": "b"}}),
        ])
        assert http("POST", f"/api/v1/namespaces/{ns}/configmaps", configmap("plain"))[0] == 201
        status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/configmaps", configmap("x", {"check": "me"}))
        assert body["message"].endswith("denied the request: /object")
        status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/configmaps", configmap("cel-1"))
        assert body["message"] == 'admission webhook "cel.example.com" denied the request: /cel'
        status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/secrets",
                               {"metadata": {"name": "s"}, "stringData": {"a": "b"}})
        assert status == 403 and body["message"].endswith("/secrets")
        paths = [path for path, _review in server.requests]
        assert not any(path.startswith("/other") for path in paths)


def test_update_and_delete_reviews_carry_the_old_object(http: Http, ns: str, install: Any) -> None:
    def respond(path: str, review: dict[str, Any]) -> dict[str, Any]:
        request = review["request"]
        if request["operation"] == "DELETE":
            assert request["object"] is None and request["options"]["kind"] == "DeleteOptions"
            return deny(review, f"keep {request['oldObject']['metadata']['name']}")
        if request["operation"] == "UPDATE":
            assert request["oldObject"]["data"] == {"a": "1"}
            return deny(review, "", code=422)
        return allow(review)

    with WebhookServer(respond) as server:
        install("ValidatingWebhookConfiguration", f"v-{ns}",
                [hook("guard.example.com", {"url": server.url("/"), "caBundle": server.ca_bundle}, ns)])
        assert http("POST", f"/api/v1/namespaces/{ns}/configmaps", configmap("u"))[0] == 201
        status, body, _ = http("PATCH", f"/api/v1/namespaces/{ns}/configmaps/u", {"data": {"a": "2"}},
                               "application/merge-patch+json")
        assert (status, body["message"]) == (422, 'admission webhook "guard.example.com" denied the request '
                                                  "without explanation")
        status, body, _ = http("DELETE", f"/api/v1/namespaces/{ns}/configmaps/u")
        assert (status, body["message"]) == (403, 'admission webhook "guard.example.com" denied the request: keep u')


def test_invalid_response_and_reinvocation(http: Http, ns: str, install: Any) -> None:
    calls: list[str] = []

    def respond(path: str, review: dict[str, Any]) -> dict[str, Any]:
        calls.append(path.split("?")[0])
        labels = review["request"]["object"]["metadata"].get("labels") or {}
        if path.startswith("/first"):
            return patch(review, [{"op": "add", "path": "/metadata/labels/first", "value": str(len(labels))}])
        if path.startswith("/second"):
            return patch(review, [{"op": "add", "path": "/metadata/labels/second", "value": "x"}])
        answer = allow(review)
        answer["response"]["uid"] = "wrong"
        return answer

    with WebhookServer(respond) as server:
        def client(path: str) -> dict[str, Any]:
            return {"url": server.url(path), "caBundle": server.ca_bundle}

        install("MutatingWebhookConfiguration", f"m-{ns}", [
            hook("first.example.com", client("/first"), ns, reinvocationPolicy="IfNeeded"),
            hook("second.example.com", client("/second"), ns)])
        status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/configmaps", configmap("r"))
        assert status == 201, body
        assert calls == ["/first", "/second", "/first"]
        assert body["metadata"]["labels"] == {"first": "2", "second": "x"}
        install("ValidatingWebhookConfiguration", f"v-{ns}", [hook("uid.example.com", client("/uid"), ns)])
        status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/configmaps", configmap("q"))
        assert status == 500
        assert 'failed calling webhook "uid.example.com": received invalid webhook response: expected ' \
               'response.uid="' in body["message"]


def test_webhook_configurations_are_exempt_from_webhooks(http: Http, ns: str, install: Any) -> None:
    everything = {"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*"]}
    install("ValidatingWebhookConfiguration", f"v-{ns}", [hook(
        "all.example.com", {"url": "https://127.0.0.1:1/", "caBundle": base64.b64encode(b"x").decode()}, ns,
        rules=[everything], namespaceSelector={})])
    status, body, _ = http("DELETE", f"/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/v-{ns}")
    assert status == 200, body


def test_connect_admission_for_exec(cluster: EmbeddedCluster, http: Http, ns: str, install: Any) -> None:
    def respond(path: str, review: dict[str, Any]) -> dict[str, Any]:
        request = review["request"]
        assert request["operation"] == "CONNECT" and request["subResource"] == "exec"
        assert request["kind"]["kind"] == "PodExecOptions" and request["options"] is None
        return deny(review, f"no exec into {request['name']}: {request['object']['command']}")

    with WebhookServer(respond) as server:
        install("ValidatingWebhookConfiguration", f"v-{ns}", [hook(
            "exec.example.com", {"url": server.url("/"), "caBundle": server.ca_bundle}, ns,
            rules=[{"operations": ["CONNECT"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods/exec"]}])])
        pods = cluster.registry.lookup("", "v1", "pods")
        assert pods is not None
        from chainsaw_py.embedded.admission.webhooks import WebhookDenied

        with pytest.raises(WebhookDenied) as denied:
            cluster.api.admit_connect(pods, ns, "web", "exec", {"kind": "PodExecOptions", "apiVersion": "v1",
                                                                 "command": ["sh"], "stdout": True})
        assert denied.value.message == "admission webhook \"exec.example.com\" denied the request: no exec into web: ['sh']"


def test_configurations_the_apiserver_would_refuse_fail_cleanly(http: Http, ns: str, install: Any) -> None:
    install("ValidatingWebhookConfiguration", f"v-{ns}", [
        hook("nowhere.example.com", {}, ns, failurePolicy="Ignore"),
        hook("no-service.example.com", {"service": {"namespace": ns}}, ns, failurePolicy="Ignore")])
    assert http("POST", f"/api/v1/namespaces/{ns}/configmaps", configmap("a"))[0] == 201
    install("ValidatingWebhookConfiguration", f"w-{ns}", [hook("strict.example.com", {"url": "not a url"}, ns)])
    status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/configmaps", configmap("b"))
    assert status == 500 and body["message"].startswith(
        'Internal error occurred: failed calling webhook "strict.example.com": ')


def test_match_conditions_have_the_kubernetes_libraries_and_the_authorizer(http: Http, ns: str,
                                                                          install: Any) -> None:
    with WebhookServer(lambda path, review: deny(review, path.split("?")[0])) as server:
        def client(path: str) -> dict[str, Any]:
            return {"url": server.url(path), "caBundle": server.ca_bundle}

        install("ValidatingWebhookConfiguration", f"v-{ns}", [
            hook("versions.example.com", client("/versions"), ns, matchConditions=[
                {"name": "versioned", "expression": "has(object.data) && isSemver(object.data.version) && "
                                                    "semver(object.data.version).major() >= 2"}]),
            hook("non-admins.example.com", client("/non-admins"), ns, matchConditions=[
                {"name": "not-admin", "expression": "!authorizer.group('').resource('nodes').check('delete')"
                                                    ".allowed()"}]),
            hook("broken.example.com", client("/broken"), ns, failurePolicy="Fail", matchConditions=[
                {"name": "url", "expression": "has(object.data) && url(object.data.site).getHost() == 'x'"}]),
        ])
        old = {**configmap("old"), "data": {"version": "1.9.0", "site": "https://y"}}
        assert http("POST", f"/api/v1/namespaces/{ns}/configmaps", old)[0] == 201
        new = {**configmap("new"), "data": {"version": "2.0.0", "site": "https://y"}}
        status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/configmaps", new)
        assert (status, body["message"]) == (403, 'admission webhook "versions.example.com" denied the request: '
                                                  '/versions')
        broken = {**configmap("broken"), "data": {"version": "x", "site": "not a url"}}
        status, body, _ = http("POST", f"/api/v1/namespaces/{ns}/configmaps", broken)
        assert status == 500
        assert body["message"] == (
            'Internal error occurred: failed calling webhook "broken.example.com": failed to evaluate match '
            "conditions: expression 'has(object.data) && url(object.data.site).getHost() == 'x'' resulted in "
            "error: URL parse error during conversion from string: not a url")
        assert all("/non-admins" not in request[0] for request in server.requests)


def test_match_conditions_must_compile(http: Http, ns: str) -> None:
    broken = hook("broken.example.com", {"url": "https://127.0.0.1:1/x"}, ns, matchConditions=[
        {"name": "a", "expression": "object.metadata.name =="}, {"name": "a", "expression": "true"}])
    status, body, _ = http("POST", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
                           configuration("ValidatingWebhookConfiguration", f"broken-{ns}", [broken]))
    assert status == 422
    assert body["message"].startswith(f'ValidatingWebhookConfiguration.admissionregistration.k8s.io "broken-{ns}" '
                                      "is invalid: [webhooks[0].matchConditions[0].expression: Invalid value: "
                                      '"object.metadata.name ==": compilation failed: ERROR:')
    assert body["message"].endswith('webhooks[0].matchConditions[1].name: Duplicate value: "a"]')
