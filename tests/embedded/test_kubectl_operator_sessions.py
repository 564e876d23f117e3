"""Differences from kube-apiserver found by operator and platform teams' kubectl sessions (describe, field
selectors, health endpoints, apply of custom resources) with kubectl 1.27-1.33, each replayed."""

from __future__ import annotations

import json

from tests.embedded.conftest import Kubectl, wait_for

WIDGETS_CRD = json.dumps({
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "sessiongadgets.operators.example.com"},
    "spec": {"group": "operators.example.com", "scope": "Namespaced",
             "names": {"kind": "SessionGadget", "plural": "sessiongadgets", "singular": "sessiongadget"},
             "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}, "scale": {
                               "specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"}},
                           "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                               "spec": {"type": "object", "properties": {"size": {"type": "integer"},
                                                                          "replicas": {"type": "integer"}}},
                               "status": {"type": "object", "properties": {"replicas": {"type": "integer"}}}}}}}]}})


def _gadget(size: int) -> str:
    return json.dumps({"apiVersion": "operators.example.com/v1", "kind": "SessionGadget", "metadata": {"name": "g1"},
                       "spec": {"size": size}})


def test_apply_of_a_changed_custom_resource_patches_with_a_merge_patch(kubectl: Kubectl, namespace: str) -> None:
    """The OpenAPI v3 PATCH operations of custom resources listed strategic merge patch, so kubectl apply sent
    one for a changed custom resource and the server refused it (415): no CR could be re-applied."""
    ns = ("-n", namespace)
    kubectl("apply", "-f", "-", stdin=WIDGETS_CRD)
    try:
        wait_for(lambda: kubectl.run("get", "sessiongadgets", *ns, check=False).returncode == 0)
        assert kubectl(*ns, "apply", "-f", "-", stdin=_gadget(1)).strip() == \
            "sessiongadget.operators.example.com/g1 created"
        assert kubectl(*ns, "apply", "-f", "-", stdin=_gadget(2)).strip() == \
            "sessiongadget.operators.example.com/g1 configured"
        assert kubectl(*ns, "get", "sessiongadget", "g1", "-o", "jsonpath={.spec.size}") == "2"
        document = json.loads(kubectl("get", "--raw", "/openapi/v3/apis/operators.example.com/v1"))
        for operations in document["paths"].values():
            if "patch" in operations:
                assert sorted(operations["patch"]["requestBody"]["content"]) == [
                    "application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json"]
        scale = kubectl.run(*ns, "patch", "sessiongadget", "g1", "--subresource=scale", "--type=strategic", "-p",
                            '{"spec":{"replicas":2}}', check=False)
        assert scale.returncode == 1 and scale.stderr.strip().endswith(
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
        assert kubectl(*ns, "patch", "sessiongadget", "g1", "--subresource=scale", "--type=merge", "-p",
                       '{"spec":{"replicas":2}}').strip() == "scale.autoscaling/g1 patched"
        deployments = json.loads(kubectl("get", "--raw", "/openapi/v3/apis/apps/v1"))
        patch = deployments["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
        assert "application/strategic-merge-patch+json" in patch["requestBody"]["content"]
    finally:
        kubectl("delete", "-f", "-", stdin=WIDGETS_CRD)


def test_field_selectors_every_kind_supports(kubectl: Kubectl, namespace: str) -> None:
    """ReplicaSets' and ReplicationControllers' status.replicas was refused (which fields a kind supports was read
    from an object without its kind), and CertificateSigningRequests had no spec.signerName."""
    ns = ("-n", namespace)
    kubectl(*ns, "create", "deployment", "web", "--image=nginx", "--replicas=2")
    kubectl(*ns, "rollout", "status", "deployment/web", "--timeout=30s")
    assert kubectl(*ns, "get", "rs", "--field-selector=status.replicas=2", "-o", "name").startswith(
        "replicaset.apps/web-")
    assert kubectl(*ns, "get", "rs", "--field-selector=status.replicas=3", "-o", "name") == ""
    assert kubectl(*ns, "get", "rc", "--field-selector=status.replicas=1", "-o", "name") == ""
    assert kubectl("get", "csr", "--field-selector=spec.signerName=example.com/none", "-o", "name") == ""
    refused = kubectl.run(*ns, "get", "deployments", "--field-selector=spec.replicas=2", check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        'Error from server (BadRequest): Unable to find "apps/v1, Resource=deployments" that match label selector '
        '"", field selector "spec.replicas=2": field label not supported: spec.replicas')


def test_health_endpoints_answer_as_kube_apiserver(kubectl: Kubectl) -> None:
    """``?verbose`` without a value printed "ok"; every check was a bare ping; ``/readyz/<unknown>`` said ok."""
    verbose = kubectl("get", "--raw", "/readyz?verbose").splitlines()
    assert verbose[:5] == ["[+]ping ok", "[+]log ok", "[+]etcd ok", "[+]etcd-readiness ok", "[+]informer-sync ok"]
    assert verbose[-2:] == ["[+]shutdown ok", "readyz check passed"]
    assert "[+]poststarthook/rbac/bootstrap-roles ok" in verbose
    assert "etcd-readiness" not in kubectl("get", "--raw", "/livez?verbose")
    excluded = kubectl("get", "--raw", "/healthz?verbose&exclude=etcd&exclude=nope").splitlines()
    assert "[+]etcd excluded: ok" in excluded
    assert excluded[-2:] == ['warn: some health checks cannot be excluded: no matches for "nope"',
                             "healthz check passed"]
    assert kubectl("get", "--raw", "/livez") == "ok"
    assert kubectl("get", "--raw", "/livez/etcd") == "ok"
    unknown = kubectl.run("get", "--raw", "/readyz/nope", check=False)
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "Error from server (NotFound): the server could not find the requested resource"


def test_priority_classes_are_defaulted_and_validated(kubectl: Kubectl) -> None:
    """PriorityClasses had no defaults (kubectl describe of the system classes panicked on the missing
    preemptionPolicy) and no validation: reserved names, user values above 10^9 and value changes passed."""
    assert "PreemptionPolicy:  PreemptLowerPriority" in kubectl("describe", "priorityclass", "system-node-critical")
    kubectl("create", "priorityclass", "sessions-low", "--value=5")
    try:
        assert kubectl("get", "pc", "sessions-low", "-o", "jsonpath={.preemptionPolicy}") == "PreemptLowerPriority"
        changed = kubectl.run("patch", "pc", "sessions-low", "-p", '{"value":6}', check=False)
        assert changed.stderr.strip() == \
            'The PriorityClass "sessions-low" is invalid: value: Forbidden: may not be changed in an update.'
    finally:
        kubectl("delete", "pc", "sessions-low")
    reserved = kubectl.run("create", "priorityclass", "system-sessions", "--value=5", check=False)
    assert reserved.stderr.strip() == (
        'error: failed to create priorityclass: PriorityClass.scheduling.k8s.io "system-sessions" is invalid: '
        "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. "
        "error: system-sessions is not a known system priority class")
    too_high = kubectl.run("create", "priorityclass", "sessions-high", "--value=2000000000", check=False)
    assert too_high.stderr.strip().endswith(
        "value: Forbidden: maximum allowed value of a user defined priority is 1000000000")
    policy = kubectl.run("create", "priorityclass", "sessions-odd", "--value=1", "--preemption-policy=Sometimes",
                         check=False)
    assert policy.stderr.strip().endswith(
        'preemptionPolicy: Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"')


VOLUMES = """
apiVersion: v1
kind: PersistentVolume
metadata: {name: NS-large, labels: {tier: gold}}
spec: {capacity: {storage: 5Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /tmp/large}, storageClassName: NS}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: NS-small}
spec: {capacity: {storage: 2Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /tmp/small}, storageClassName: NS}
"""


def _claim(name: str, class_name: str, selector: dict[str, object] | None = None) -> str:
    spec: dict[str, object] = {"accessModes": ["ReadWriteOnce"], "storageClassName": class_name,
                               "resources": {"requests": {"storage": "1Gi"}}}
    if selector is not None:
        spec["selector"] = selector
    return json.dumps({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
                       "spec": spec})


def test_claims_bind_to_existing_volumes_first(kubectl: Kubectl, namespace: str) -> None:
    """Every claim got a freshly provisioned volume, even of a class that does not exist, while the volumes
    created for it stayed Pending for ever."""
    ns = ("-n", namespace)
    volumes = VOLUMES.replace("NS", namespace)
    kubectl("apply", "-f", "-", stdin=volumes)
    try:
        wait_for(lambda: kubectl("get", "pv", f"{namespace}-small", "-o", "jsonpath={.status.phase}") == "Available")
        kubectl(*ns, "apply", "-f", "-", stdin=_claim("gold", namespace, {"matchLabels": {"tier": "gold"}}))
        kubectl(*ns, "apply", "-f", "-", stdin=_claim("any", namespace))
        kubectl(*ns, "apply", "-f", "-", stdin=_claim("nowhere", f"{namespace}-missing"))

        def bound() -> list[str]:
            lines = kubectl(*ns, "get", "pvc", "--no-headers", "-o",
                            "custom-columns=N:.metadata.name,S:.status.phase,V:.spec.volumeName,"
                            "C:.status.capacity.storage").splitlines()
            return [" ".join(line.split()) for line in lines]

        expected = ["any Bound NS-small 2Gi", "gold Bound NS-large 5Gi", "nowhere Pending <none> <none>"]
        wait_for(lambda: bound() == [line.replace("NS", namespace) for line in expected], timeout=20)
        volume = json.loads(kubectl("get", "pv", f"{namespace}-small", "-o", "json"))
        assert volume["status"]["phase"] == "Bound"
        assert volume["spec"]["claimRef"]["name"] == "any"
        assert volume["metadata"]["annotations"]["pv.kubernetes.io/bound-by-controller"] == "yes"
        warnings = kubectl(*ns, "get", "events", "--field-selector=reason=ProvisioningFailed", "-o",
                           "jsonpath={.items[*].message}")
        assert warnings == f'storageclass.storage.k8s.io "{namespace}-missing" not found'
    finally:
        kubectl(*ns, "delete", "pvc", "--all", "--wait=false")
        kubectl("delete", "-f", "-", "--wait=false", stdin=volumes)


def test_service_validation_follows_validate_service(kubectl: Kubectl, namespace: str) -> None:
    """Port names and protocols, session affinity, external names and nodePorts of ClusterIP services went
    unchecked, and the type's refusal came before the ports' (kubectl lists the causes in the server's order)."""
    service = json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "bad"},
                          "spec": {"type": "Weird", "sessionAffinity": "Sticky",
                                   "ports": [{"name": "Web", "port": 0, "protocol": "HTTP"},
                                             {"name": "web", "port": 80}, {"name": "web", "port": 81}]}})
    refused = kubectl.run("-n", namespace, "create", "-f", "-", stdin=service, check=False)
    assert refused.returncode == 1
    lines = [line.split(": ")[0] + ": " + line.split(": ")[1] for line in refused.stderr.splitlines()[1:]]
    assert lines == ["* spec.ports[0].name: Invalid value", "* spec.ports[0].port: Invalid value",
                     "* spec.ports[0].protocol: Unsupported value", "* spec.ports[2].name: Duplicate value",
                     "* spec.sessionAffinity: Unsupported value", "* spec.type: Unsupported value"]
    node_port = json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "cluster-ip"},
                            "spec": {"ports": [{"port": 80, "nodePort": 30999}]}})
    forbidden = kubectl.run("-n", namespace, "create", "-f", "-", stdin=node_port, check=False)
    assert forbidden.stderr.strip() == ('The Service "cluster-ip" is invalid: spec.ports[0].nodePort: Forbidden: '
                                        "may not be used when `type` is 'ClusterIP'")
    external = json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "external"},
                           "spec": {"type": "ExternalName"}})
    missing = kubectl.run("-n", namespace, "create", "-f", "-", stdin=external, check=False)
    assert missing.stderr.strip() == 'The Service "external" is invalid: spec.externalName: Required value'
    assert kubectl("-n", namespace, "create", "service", "externalname", "fqdn",
                   "--external-name=example.com").strip() == "service/fqdn created"


def test_endpoints_addresses_are_sorted_by_ip(kubectl: Kubectl, namespace: str) -> None:
    """The Endpoints controller repacks its subsets sorted (RepackSubsets): kubectl describe svc printed the
    addresses in pod-name order."""
    ns = ("-n", namespace)
    kubectl(*ns, "create", "deployment", "many", "--image=nginx", "--replicas=6", "--port=80")
    kubectl(*ns, "expose", "deployment", "many", "--port=80")
    kubectl(*ns, "rollout", "status", "deployment/many", "--timeout=30s")

    def addresses() -> list[str]:
        return kubectl(*ns, "get", "endpoints", "many", "-o", "jsonpath={.subsets[*].addresses[*].ip}").split()

    found = wait_for(lambda: len(found := addresses()) == 6 and found)
    assert found == sorted(found)


def test_component_statuses_are_served(kubectl: Kubectl) -> None:
    """kubectl get componentstatuses listed nothing; kube-apiserver computes the control plane's health at each
    request and warns that the API is deprecated."""
    listed = kubectl.run("get", "componentstatuses")
    assert listed.stdout.splitlines() == ["NAME                 STATUS    MESSAGE   ERROR",
                                          "controller-manager   Healthy   ok        ",
                                          "scheduler            Healthy   ok        ",
                                          "etcd-0               Healthy   ok        "]
    assert listed.stderr.strip() == "Warning: v1 ComponentStatus is deprecated in v1.19+"
    one = json.loads(kubectl("get", "cs", "scheduler", "-o", "json"))
    assert one == {"kind": "ComponentStatus", "apiVersion": "v1",
                   "metadata": {"name": "scheduler", "creationTimestamp": None},
                   "conditions": [{"type": "Healthy", "status": "True", "message": "ok"}]}
    assert kubectl("get", "cs", "--field-selector=metadata.name=etcd-0", "-o", "name").strip() == \
        "componentstatus/etcd-0"
    missing = kubectl.run("get", "cs", "nope", check=False)
    assert missing.returncode == 1
    assert missing.stderr.splitlines()[-1] == "Error from server (Unknown): Component not found: nope"


def _job(name: str, suspend: bool) -> str:
    return json.dumps({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
                       "spec": {"suspend": suspend, "template": {"spec": {
                           "restartPolicy": "Never", "containers": [{"name": "main", "image": "busybox"}]}}}})


def test_suspended_jobs_change_only_scheduling_directives(kubectl: Kubectl, namespace: str) -> None:
    """Any template change passed while a Job was suspended; ValidateJobSpecUpdate allows only the scheduling
    directives, labels and annotations, and only for a Job that never started."""
    ns = ("-n", namespace)
    immutable = "spec.template: Invalid value: "   # (the apiserver dumps the whole template after this)
    kubectl(*ns, "create", "-f", "-", stdin=_job("waiting", suspend=True))
    assert kubectl(*ns, "patch", "job", "waiting", "--type=merge", "-p",
                   '{"spec":{"template":{"metadata":{"labels":{"queue":"a"}},"spec":{"nodeSelector":'
                   '{"disk":"ssd"}}}}}').strip() == "job.batch/waiting patched"
    image = kubectl.run(*ns, "patch", "job", "waiting", "--type=json", "-p",
                        '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx"}]',
                        check=False)
    assert image.returncode == 1 and immutable in image.stderr and "field is immutable" in image.stderr
    kubectl(*ns, "create", "-f", "-", stdin=_job("started", suspend=False))
    wait_for(lambda: kubectl(*ns, "get", "job", "started", "-o", "jsonpath={.status.startTime}"))
    kubectl(*ns, "patch", "job", "started", "--type=merge", "-p", '{"spec":{"suspend":true}}')
    selector = kubectl.run(*ns, "patch", "job", "started", "--type=merge", "-p",
                           '{"spec":{"template":{"spec":{"nodeSelector":{"disk":"ssd"}}}}}', check=False)
    assert selector.returncode == 1 and immutable in selector.stderr and "field is immutable" in selector.stderr


def test_default_storage_and_ingress_classes_are_set_on_create(kubectl: Kubectl, namespace: str) -> None:
    """DefaultStorageClass and DefaultIngressClass: a claim came back from its create without a class (set only
    when bound), an Ingress never got the default IngressClass."""
    ns = ("-n", namespace)
    claim = json.dumps({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
                        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})
    assert kubectl(*ns, "create", "-f", "-", "--dry-run=server", "-o", "jsonpath={.spec.storageClassName}",
                   stdin=claim) == "standard"
    ingress_class = json.dumps({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
                                "metadata": {"name": f"{namespace}-default", "annotations": {
                                    "ingressclass.kubernetes.io/is-default-class": "true"}},
                                "spec": {"controller": "example.com/ingress"}})
    kubectl("create", "-f", "-", stdin=ingress_class)
    try:
        kubectl(*ns, "create", "ingress", "plain", "--rule=a.example.com/*=svc:80")
        kubectl(*ns, "create", "ingress", "legacy", "--rule=a.example.com/*=svc:80",
                "--annotation=kubernetes.io/ingress.class=other")
        kubectl(*ns, "create", "ingress", "chosen", "--class=mine", "--rule=a.example.com/*=svc:80")
        classes = kubectl(*ns, "get", "ingress", "--no-headers", "-o",
                          "custom-columns=N:.metadata.name,C:.spec.ingressClassName").split()
        assert classes == ["chosen", "mine", "legacy", "<none>", "plain", f"{namespace}-default"]
    finally:
        kubectl("delete", "-f", "-", stdin=ingress_class)


def test_metrics_endpoint_serves_prometheus_text(kubectl: Kubectl, namespace: str) -> None:
    """kubectl get --raw /metrics was not found; kube-apiserver exposes its metrics there (RBAC-protected)."""
    kubectl("-n", namespace, "create", "configmap", "counted", "--from-literal=a=b")
    lines = kubectl("get", "--raw", "/metrics").splitlines()
    assert "# TYPE apiserver_storage_objects gauge" in lines and "# TYPE kubernetes_build_info gauge" in lines
    counts = {line.split('"')[1]: int(line.rsplit(" ", 1)[1]) for line in lines
              if line.startswith("apiserver_storage_objects{")}
    assert counts["configmaps"] >= 2 and counts["deployments.apps"] >= 0
    assert "componentstatuses" not in counts and "selfsubjectreviews.authentication.k8s.io" not in counts
    kubectl("-n", namespace, "create", "serviceaccount", "watcher")
    refused = kubectl.run("get", "--raw", "/metrics", f"--as=system:serviceaccount:{namespace}:watcher", check=False)
    assert refused.stderr.strip() == (f'Error from server (Forbidden): forbidden: User '
                                      f'"system:serviceaccount:{namespace}:watcher" cannot get path "/metrics"')
