"""The Kubernetes CEL libraries in the embedded cluster (shared with Chainsaw's CEL through ``kubecel``): CRD
``x-kubernetes-validations``, ValidatingAdmissionPolicy with ``authorizer`` (RBAC), ``namespaceObject`` and
``auditAnnotations``, and webhook ``matchConditions`` with ``authorizer``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster
from chainsaw_py.embedded.admission.types import AdmissionAttributes
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


CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: releases.cel.example.com}
spec:
  group: cel.example.com
  scope: Namespaced
  names: {kind: Release, plural: releases, singular: release}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            x-kubernetes-validations:
            - rule: "isSemver(self.version)"
              messageExpression: "'not a version: ' + self.version"
            - rule: "quantity(self.memory).isLessThan(quantity('1Gi'))"
              message: memory must stay under 1Gi
            - rule: "!has(self.homepage) || url(self.homepage).getScheme() == 'https'"
              message: homepage must be https
            properties:
              version: {type: string}
              memory: {type: string}
              homepage: {type: string}
"""


def release(name: str, version: str, memory: str, homepage: str = "https://example.com") -> str:
    return f"""
apiVersion: cel.example.com/v1
kind: Release
metadata: {{name: {name}, namespace: default}}
spec: {{version: "{version}", memory: "{memory}", homepage: "{homepage}"}}
"""


def test_crd_rules_use_the_kubernetes_libraries(kubectl: Kubectl) -> None:
    kubectl("apply", "-f", "-", stdin=CRD)
    kubectl("wait", "--for", "condition=Established", "crd/releases.cel.example.com")
    kubectl("apply", "-f", "-", stdin=release("good", "1.2.3", "512Mi"))
    result = kubectl.run("apply", "-f", "-", stdin=release("bad", "1.2", "2Gi", "http://x"), check=False)
    assert result.returncode == 1
    assert 'spec: Invalid value: "object": not a version: 1.2' in result.stderr
    assert 'spec: Invalid value: "object": memory must stay under 1Gi' in result.stderr
    assert 'spec: Invalid value: "object": homepage must be https' in result.stderr


AUTHZ_POLICY = """
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: secret-readers.example.com}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}
    namespaceSelector: {matchLabels: {cel-test: authz}}
  validations:
  - expression: "authorizer.requestResource.check('create').allowed()"
  - expression: "authorizer.group('').resource('secrets').namespace(object.metadata.namespace).check('list').allowed()"
    messageExpression: "request.userInfo.username + ' may not list secrets in ' + namespaceObject.metadata.name"
  - expression: "namespaceObject.metadata.labels['tier'] == 'gold'"
    message: only gold namespaces
  - expression: "!has(request.object) && request.operation == 'CREATE' && request.resource.resource == 'configmaps'"
    message: request is the AdmissionRequest without the objects
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: secret-readers-binding}
spec: {policyName: secret-readers.example.com, validationActions: [Deny]}
"""


def test_policy_authorizer_asks_rbac_for_the_requesting_user(kubectl: Kubectl) -> None:
    kubectl("create", "namespace", "cel-authz")
    kubectl("label", "namespace", "cel-authz", "cel-test=authz", "tier=gold")
    kubectl("create", "serviceaccount", "writer", "-n", "cel-authz")
    kubectl("create", "role", "cm-writer", "-n", "cel-authz", "--verb=create", "--resource=configmaps")
    kubectl("create", "rolebinding", "cm-writer", "-n", "cel-authz", "--role=cm-writer",
            "--serviceaccount=cel-authz:writer")
    kubectl("apply", "-f", "-", stdin=AUTHZ_POLICY)
    kubectl("create", "configmap", "by-admin", "-n", "cel-authz")       # the admin is in system:masters
    writer = "system:serviceaccount:cel-authz:writer"
    result = kubectl.run("create", "configmap", "by-writer", "-n", "cel-authz", "--as", writer, check=False)
    assert result.returncode == 1
    assert (f"ValidatingAdmissionPolicy 'secret-readers.example.com' with binding 'secret-readers-binding' "
            f"denied request: {writer} may not list secrets in cel-authz") in result.stderr
    kubectl("create", "role", "secret-lister", "-n", "cel-authz", "--verb=list", "--resource=secrets")
    kubectl("create", "rolebinding", "secret-lister", "-n", "cel-authz", "--role=secret-lister",
            "--serviceaccount=cel-authz:writer")
    kubectl("create", "configmap", "by-writer", "-n", "cel-authz", "--as", writer)
    kubectl("label", "namespace", "cel-authz", "tier=silver", "--overwrite")
    result = kubectl.run("create", "configmap", "silver", "-n", "cel-authz", check=False)
    assert "denied request: only gold namespaces" in result.stderr


def audit_policy(value_expression: str) -> str:
    return f"""
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {{name: audited.example.com}}
spec:
  matchConstraints:
    resourceRules:
    - {{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}}
    namespaceSelector: {{matchLabels: {{cel-test: audit}}}}
  auditAnnotations:
  - {{key: owner, valueExpression: "{value_expression}"}}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {{name: audited-binding}}
spec: {{policyName: audited.example.com, validationActions: [Audit]}}
"""


def test_audit_annotations_are_published_or_fail_the_request(cluster: EmbeddedCluster, kubectl: Kubectl) -> None:
    kubectl("create", "namespace", "cel-audit")
    kubectl("label", "namespace", "cel-audit", "cel-test=audit")
    seen: list[dict[str, str]] = []
    original = cluster.api.admission.validate

    def recording(attrs: AdmissionAttributes, *plugins: Any) -> None:
        try:
            original(attrs, *plugins)
        finally:
            seen.append(dict(attrs.audit_annotations))

    cluster.api.admission.validate = recording  # type: ignore[method-assign]
    try:
        kubectl("apply", "-f", "-", stdin=audit_policy("'owned by ' + request.userInfo.username"))
        kubectl("create", "configmap", "a1", "-n", "cel-audit")
        assert {"audited.example.com/owner": "owned by kubernetes-admin"} in seen
        kubectl("apply", "-f", "-", stdin=audit_policy("object.metadata.name.size()"))
        result = kubectl.run("create", "configmap", "a2", "-n", "cel-audit", check=False)
    finally:
        cluster.api.admission.validate = original  # type: ignore[method-assign]
    assert result.returncode == 1
    assert ("ValidatingAdmissionPolicy 'audited.example.com' with binding 'audited-binding' denied request: "
            "valueExpression 'object.metadata.name.size()' resulted in unsupported return type: int. "
            "Return type must be either string or null.") in result.stderr


TYPED_POLICY = """
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: typed.example.com}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments, deployments/scale]}
  validations:
  - expression: "object.spec.replicaz > 1"
  - expression: "object.spec.replicas == '3' && object.metadata.labels.app == 'x'"
    messageExpression: "'name: ' + object.metadata.name.first"
  - expression: "object.spec.template.spec.containers.all(c, c.image != 'latest') && has(object.spec.strategy)"
"""


def test_policy_status_reports_type_checking_warnings(kubectl: Kubectl) -> None:
    import json
    import time

    kubectl("apply", "-f", "-", stdin=TYPED_POLICY)
    deadline = time.monotonic() + 20
    status: dict[str, object] = {}
    while "typeChecking" not in status and time.monotonic() < deadline:
        status = json.loads(kubectl("get", "validatingadmissionpolicy", "typed.example.com", "-o", "json"))
        status = status.get("status") or {}
        time.sleep(0.1)
    assert status["observedGeneration"] == 1
    assert status["typeChecking"] == {"expressionWarnings": [
        {"fieldRef": "spec.validations[0].expression",
         "warning": "apps/v1, Kind=Deployment: ERROR: <input>:1:12: undefined field 'replicaz'\n"
                    " | object.spec.replicaz > 1\n"
                    " | ...........^\n"},
        {"fieldRef": "spec.validations[1].expression",
         "warning": "apps/v1, Kind=Deployment: ERROR: <input>:1:22: found no matching overload for '_==_' applied "
                    "to '(int, string)'\n"
                    " | object.spec.replicas == '3' && object.metadata.labels.app == 'x'\n"
                    " | .....................^\n"},
        {"fieldRef": "spec.validations[1].messageExpression",
         "warning": "apps/v1, Kind=Deployment: ERROR: <input>:1:32: type 'string' does not support field selection\n"
                    " | 'name: ' + object.metadata.name.first\n"
                    " | ...............................^\n"},
    ]}


def test_policies_and_bindings_are_validated(kubectl: Kubectl) -> None:
    result = kubectl.run("apply", "-f", "-", check=False, stdin="""
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: broken.example.com}
spec:
  failurePolicy: Sometimes
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}
  variables:
  - {name: size, expression: "object.data.size"}
  - {name: size, expression: "1"}
  validations:
  - expression: "object.spec >"
  - expression: "true"
    reason: Teapot
    message: " "
""")
    assert result.returncode == 1
    assert 'The ValidatingAdmissionPolicy "broken.example.com" is invalid:' in result.stderr
    for line in ('spec.failurePolicy: Unsupported value: "Sometimes": supported values: "Fail", "Ignore"',
                 'spec.variables[1].name: Duplicate value: "size"',
                 'spec.validations[0].expression: Invalid value: "object.spec >": compilation failed: ERROR:',
                 'spec.validations[1].message: Invalid value: " ": message must be non-empty if specified',
                 'spec.validations[1].reason: Unsupported value: "Teapot": supported values: "Forbidden", "Invalid", '
                 '"RequestEntityTooLarge", "Unauthorized"'):
        assert line in result.stderr
    result = kubectl.run("apply", "-f", "-", check=False, stdin="""
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: broken-binding}
spec: {policyName: broken.example.com, validationActions: [Deny, Warn, Deny]}
""")
    assert result.returncode == 1
    assert 'spec.validationActions[2]: Duplicate value: "Deny"' in result.stderr
    assert 'spec.validationActions: Invalid value: ["Deny","Warn","Deny"]: validationActions must not contain both ' \
           '"Deny" and "Warn"' in result.stderr


def test_type_checking_follows_variables_that_are_field_chains() -> None:
    from chainsaw_py.embedded.admission.typechecking import check_policy
    from chainsaw_py.embedded.resources import ResourceRegistry

    policy = {"spec": {
        "matchConstraints": {"resourceRules": [{"apiGroups": ["apps"], "apiVersions": ["v1"],
                                                "resources": ["deployments"]}]},
        "variables": [{"name": "template", "expression": "object.spec.template"},
                      {"name": "typo", "expression": "object.spec.nope"},
                      {"name": "computed", "expression": "object.spec.replicas + 1"}],
        "validations": [{"expression": "variables.template.spec.containerz.size() > 0"},
                        {"expression": "variables.typo.x == 1 && variables.computed.y > 1 && 'a' in "
                                       "variables.template.metadata.labels"}]}}
    assert check_policy(policy, ResourceRegistry()) == [{
        "fieldRef": "spec.validations[0].expression",
        "warning": "apps/v1, Kind=Deployment: ERROR: <input>:1:24: undefined field 'containerz'\n"
                   " | variables.template.spec.containerz.size() > 0\n"
                   " | .......................^\n"}]


OPTIONAL_POLICY = """
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: optional-labels.example.com}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}
    namespaceSelector: {matchLabels: {cel-test: optional}}
  validations:
  - expression: "object.metadata.?labels[?'team'].orValue('platform') != 'nobody'"
    messageExpression: "'team ' + object.metadata.labels.team + ' is not allowed'"
  - expression: "object.?data.?size.optMap(s, s.size() < 3).orValue(true)"
    message: data.size must be short
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: optional-labels-binding}
spec: {policyName: optional-labels.example.com, validationActions: [Deny]}
"""


def test_policy_expressions_with_optional_syntax(kubectl: Kubectl) -> None:
    kubectl("create", "namespace", "cel-optional")
    kubectl("label", "namespace", "cel-optional", "cel-test=optional")
    kubectl("apply", "-f", "-", stdin=OPTIONAL_POLICY)
    kubectl("create", "configmap", "unlabelled", "-n", "cel-optional")
    kubectl("create", "configmap", "short", "-n", "cel-optional", "--from-literal=size=ab")
    result = kubectl.run("create", "configmap", "long", "-n", "cel-optional", "--from-literal=size=abcd", check=False)
    assert result.returncode == 1 and "denied request: data.size must be short" in result.stderr
    kubectl("create", "configmap", "labelled", "-n", "cel-optional")
    result = kubectl.run("label", "configmap", "labelled", "-n", "cel-optional", "team=nobody", check=False)
    assert result.returncode == 0   # the policy checks CREATE only
    result = kubectl.run("apply", "-f", "-", check=False, stdin="""
apiVersion: v1
kind: ConfigMap
metadata: {name: nobody, namespace: cel-optional, labels: {team: nobody}}
""")
    assert result.returncode == 1 and "denied request: team nobody is not allowed" in result.stderr
