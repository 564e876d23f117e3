"""ValidatingAdmissionPolicy with CEL: matchConstraints, binding matchResources, variables, params, messages,
validationActions and failurePolicy, through kubectl and the HTTP API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chainsaw_py.embedded import EmbeddedCluster
from tests.embedded.conftest import Kubectl


@pytest.fixture(scope="module")
def cluster() -> Iterator[EmbeddedCluster]:
    with EmbeddedCluster() as running:
        yield running


@pytest.fixture(scope="module")
def kubectl(cluster: EmbeddedCluster, tmp_path_factory: pytest.TempPathFactory) -> Kubectl:
    import shutil

    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    return Kubectl(cluster.kubeconfig_path, tmp_path_factory.mktemp("kubectl-cache"))


POLICY = """
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replicas.example.com}
spec:
  failurePolicy: Fail
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}
  variables:
  - {name: limit, expression: "int(params.data.maxReplicas)"}
  validations:
  - expression: "object.spec.replicas <= variables.limit"
    messageExpression: "'replicas must be at most ' + string(variables.limit)"
    reason: Forbidden
  - expression: "object.metadata.name.lowerAscii() == object.metadata.name"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replicas-binding.example.com}
spec:
  policyName: replicas.example.com
  validationActions: [Deny]
  paramRef: {name: limits, namespace: vap-params, parameterNotFoundAction: Deny}
  matchResources:
    namespaceSelector:
      matchLabels: {environment: test}
"""


def deployment(name: str, replicas: int, namespace: str) -> str:
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: x}}}}
  template:
    metadata: {{labels: {{app: x}}}}
    spec: {{containers: [{{name: c, image: nginx}}]}}
"""


def test_policy_with_params_denies_and_allows(kubectl: Kubectl) -> None:
    kubectl("create", "namespace", "vap-params")
    kubectl("create", "namespace", "vap-test")
    kubectl("label", "namespace", "vap-test", "environment=test")
    kubectl("create", "namespace", "vap-other")
    kubectl("apply", "-f", "-", stdin=POLICY)
    result = kubectl.run("apply", "-f", "-", stdin=deployment("big", 3, "vap-test"), check=False)
    assert result.returncode == 1
    assert ("ValidatingAdmissionPolicy 'replicas.example.com' with binding 'replicas-binding.example.com' denied "
            "request: failed to configure binding: no params found for policy binding with `Deny` "
            "parameterNotFoundAction") in result.stderr
    kubectl("create", "configmap", "limits", "-n", "vap-params", "--from-literal", "maxReplicas=2")
    result = kubectl.run("apply", "-f", "-", stdin=deployment("big", 3, "vap-test"), check=False)
    assert result.returncode == 1
    assert ('deployments.apps "big" is forbidden: ValidatingAdmissionPolicy \'replicas.example.com\' with binding '
            "'replicas-binding.example.com' denied request: replicas must be at most 2") in result.stderr
    assert "Error from server (Forbidden)" in result.stderr
    kubectl("apply", "-f", "-", stdin=deployment("small", 2, "vap-test"))
    kubectl("apply", "-f", "-", stdin=deployment("big", 3, "vap-other"))
    result = kubectl.run("apply", "-f", "-", stdin=deployment("small", 4, "vap-test"), check=False)
    assert "replicas must be at most 2" in result.stderr


def test_warn_and_failure_policy(kubectl: Kubectl) -> None:
    kubectl("create", "namespace", "vap-warn")
    kubectl("apply", "-f", "-", stdin="""
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: labels.example.com}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}
    namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: vap-warn}}
  matchConditions:
  - {name: not-skipped, expression: "!has(object.metadata.annotations) || !('skip' in object.metadata.annotations)"}
  validations:
  - {expression: "has(object.metadata.labels) && 'team' in object.metadata.labels", message: "a team label is required"}
  - {expression: "object.data.missing == 'x'"}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: labels-binding}
spec: {policyName: labels.example.com, validationActions: [Warn]}
""")
    result = kubectl.run("create", "configmap", "c1", "-n", "vap-warn", "--from-literal", "a=b")
    assert result.returncode == 0
    assert ("Warning: Validation failed for ValidatingAdmissionPolicy 'labels.example.com' with binding "
            "'labels-binding': a team label is required") in result.stderr
    assert "expression 'object.data.missing == 'x'' resulted in error" in result.stderr
    kubectl("patch", "validatingadmissionpolicybinding", "labels-binding", "--type", "merge", "-p",
            '{"spec": {"validationActions": ["Deny"]}}')
    result = kubectl.run("create", "configmap", "c2", "-n", "vap-warn", "--from-literal", "a=b", check=False)
    assert result.returncode == 1
    assert ('configmaps "c2" is forbidden: ValidatingAdmissionPolicy \'labels.example.com\' with binding '
            "'labels-binding' denied request: a team label is required") in result.stderr
    kubectl("apply", "-f", "-", stdin="""
apiVersion: v1
kind: ConfigMap
metadata: {name: c3, namespace: vap-warn, annotations: {skip: "yes"}}
""")
