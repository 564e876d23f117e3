"""Chainsaw's per-candidate failure block: header, sorted field errors, unified YAML diff.

The first cases are the messages pinned by Chainsaw's own unit tests (pkg/engine/operations/assert and
pkg/commands/assert); the console logger trims the block, so those compare trimmed text.
"""

from __future__ import annotations

from typing import Any

import pytest

from chainsaw_py.checks import (
    EXPECTATION_MATCHED,
    REDACTED,
    FieldError,
    FieldPath,
    assert_tree,
    redact_field_error,
    resource_error_message,
    resource_key,
    resource_matched_message,
)
from chainsaw_py.expressions import Bindings


def block(expected: dict[str, Any], actual: dict[str, Any], bindings: Bindings | None = None,
          template: bool = True) -> str:
    errors = assert_tree(expected, actual, bindings)
    return resource_error_message(expected, actual, errors, bindings, "jp", template=template)


# --- messages pinned by Chainsaw's unit tests ----------------------------------------------------------------

def test_chainsaw_assert_operation_pod_message() -> None:
    expected = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "test-pod"},
                "spec": {"containers": [{"name": "test-container", "image": "test-image"}]}}
    actual = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "test-pod"},
              "spec": {"containers": [{"name": "fake-container", "image": "fake-image"}]}}
    assert block(expected, actual).strip() == (
        "---------------\nv1/Pod/test-pod\n---------------\n"
        '* spec.containers[0].image: Invalid value: "fake-image": Expected value: "test-image"\n'
        '* spec.containers[0].name: Invalid value: "fake-container": Expected value: "test-container"\n\n'
        "--- expected\n+++ actual\n@@ -4,6 +4,6 @@\n   name: test-pod\n spec:\n   containers:\n"
        "-  - image: test-image\n-    name: test-container\n+  - image: fake-image\n+    name: fake-container")


def test_chainsaw_assert_operation_missing_field_message() -> None:
    expected = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "test-pod"}, "spec": {"foo": "bar"}}
    actual = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "test-pod"}, "spec": {}}
    assert block(expected, actual).strip() == (
        "---------------\nv1/Pod/test-pod\n---------------\n"
        "* spec.foo: Required value: field not found in the input object\n\n"
        "--- expected\n+++ actual\n@@ -2,6 +2,5 @@\n kind: Pod\n metadata:\n   name: test-pod\n"
        "-spec:\n-  foo: bar\n+spec: {}")


def test_chainsaw_assert_command_configmap_message() -> None:
    expected = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "quick-start"}, "data": {"foo": "bar"}}
    actual = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "quick-start"}, "data": {"bar": "foo"}}
    assert block(expected, actual) == (
        "------------------------\n"
        "v1/ConfigMap/quick-start\n"
        "------------------------\n"
        "* data.foo: Required value: field not found in the input object\n\n"
        "--- expected\n"
        "+++ actual\n"
        "@@ -1,6 +1,5 @@\n"
        " apiVersion: v1\n"
        "-data:\n"
        "-  foo: bar\n"
        "+data: {}\n"
        " kind: ConfigMap\n"
        " metadata:\n"
        "   name: quick-start\n")


# --- realistic resources -------------------------------------------------------------------------------------

DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "ns", "uid": "1234", "generation": 1, "labels": {"app": "web"},
                 "ownerReferences": [{"apiVersion": "v1", "kind": "X", "name": "o", "uid": "u"}]},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
             "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"},
                                                  {"name": "envoy", "image": "envoy:1.0"}]}}},
    "status": {"readyReplicas": 2, "replicas": 2,
               "conditions": [{"type": "Available", "status": "False"}]},
}


def test_deployment_replicas_mismatch() -> None:
    expected = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "ns"},
                "spec": {"replicas": 3}}
    assert block(expected, DEPLOYMENT) == """\
-------------------------
apps/v1/Deployment/ns/web
-------------------------
* spec.replicas: Invalid value: 2: Expected value: 3

--- expected
+++ actual
@@ -3,6 +3,11 @@
 metadata:
   name: web
   namespace: ns
+  ownerReferences:
+  - apiVersion: v1
+    kind: X
+    name: o
+    uid: u
 spec:
-  replicas: 3
+  replicas: 2
 \n"""


def test_missing_field_and_several_errors_sorted() -> None:
    expected = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "ns"},
                "status": {"updatedReplicas": 2, "replicas": 3},
                "spec": {"paused": False, "replicas": 1}}
    message = block(expected, DEPLOYMENT)
    assert message.splitlines()[3:8] == [
        "* spec.paused: Required value: field not found in the input object",
        "* spec.replicas: Invalid value: 2: Expected value: 1",
        "* status.replicas: Invalid value: 2: Expected value: 3",
        "* status.updatedReplicas: Required value: field not found in the input object",
        "",
    ]


def test_errors_are_sorted_whatever_order_they_come_in() -> None:
    path = FieldPath.root()
    errors = [FieldError.mismatch(path.child("z"), 1, 2), FieldError.mismatch(path.child("a"), 1, 2),
              FieldError.required(path.child("m"), "field not found in the input object")]
    lines = resource_error_message({"z": 2, "a": 2, "m": 1}, {"apiVersion": "v1", "kind": "X",
                                                               "metadata": {"name": "n"}}, errors).splitlines()
    assert lines[:6] == ["------", "v1/X/n", "------", "* a: Invalid value: 1: Expected value: 2",
                         "* m: Required value: field not found in the input object",
                         "* z: Invalid value: 1: Expected value: 2"]


def test_foreach_and_expression_key_paths() -> None:
    expected = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "ns"},
                "spec": {"template": {"spec": {"~.(containers)": {"image": "nginx:1.25"}}}},
                "status": {"(conditions[?type == 'Available'])": [{"status": "True"}]}}
    assert block(expected, DEPLOYMENT) == """\
-------------------------
apps/v1/Deployment/ns/web
-------------------------
* spec.template.spec.~.(containers)[1].image: Invalid value: "envoy:1.0": Expected value: "nginx:1.25"
* status.(conditions[?type == 'Available'])[0].status: Invalid value: "False": Expected value: "True"

--- expected
+++ actual
@@ -3,12 +3,13 @@
 metadata:
   name: web
   namespace: ns
+  ownerReferences:
+  - apiVersion: v1
+    kind: X
+    name: o
+    uid: u
 spec:
   template:
-    spec:
-      ~.(containers):
-        image: nginx:1.25
-status:
-  (conditions[?type == 'Available']):
-  - status: "True"
+    spec: {}
+status: {}
 \n"""


def test_configmap_with_templated_expected_side() -> None:
    expected = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "($namespace)"},
                "data": {"a": "(to_string(`1` + `2`))", "b": "(@)"}}
    actual = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "test"},
              "data": {"a": "x", "b": "(@)"}}
    bindings = Bindings().register("namespace", "test")
    assert block(expected, actual, bindings) == """\
--------------------
v1/ConfigMap/test/cm
--------------------
* data.a: Invalid value: "x": Expected value: "3"

--- expected
+++ actual
@@ -1,6 +1,6 @@
 apiVersion: v1
 data:
-  a: "3"
+  a: x
   b: (@)
 kind: ConfigMap
 metadata:
"""


def test_configmap_without_templating_shows_the_raw_expected_side() -> None:
    expected = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "(`1`)"}}
    actual = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": 2}}
    assert "-  a: (`1`)\n+  a: 2\n" in block(expected, actual, template=False)
    assert "-  a: 1\n+  a: 2\n" in block(expected, actual, template=True)


def test_template_failure_is_reported_and_the_raw_side_diffed() -> None:
    expected = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "($undefined)"}}
    actual = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "x"}}
    errors = [FieldError.required(FieldPath.root().child("data").child("b"), "field not found in the input object")]
    assert resource_error_message(expected, actual, errors) == """\
---------------
v1/ConfigMap/cm
---------------
* data.b: Required value: field not found in the input object
* ERROR: failed to compute expected template: data.a: Internal error: variable not defined: $undefined

--- expected
+++ actual
@@ -1,6 +1,6 @@
 apiVersion: v1
 data:
-  a: ($undefined)
+  a: x
 kind: ConfigMap
 metadata:
   name: cm
"""


def test_unmarshallable_side_replaces_the_diff() -> None:
    expected = {"apiVersion": "v1", "kind": "X", "metadata": {"name": "n"}, "v": 1}
    actual = {"apiVersion": "v1", "kind": "X", "metadata": {"name": "n"}, "v": float("nan")}
    message = resource_error_message(expected, actual, [], template=False)
    assert message == "------\nv1/X/n\n------\n* json: unsupported value: NaN"


def test_identical_sides_give_an_empty_diff() -> None:
    resource = {"apiVersion": "v1", "kind": "X", "metadata": {"name": "n"}}
    assert resource_error_message(resource, resource, []) == "------\nv1/X/n\n------\n\n"


# --- Secret redaction (a chainsaw_py addition) ---------------------------------------------------------------

SECRET_EXPECTED = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": "ns"},
                   "type": "Opaque", "data": {"user": "YWRtaW4=", "password": "c2VjcmV0"},
                   "stringData": {"token": "plain"}}
SECRET_ACTUAL = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": "ns"},
                 "type": "Opaque", "data": {"user": "YWRtaW4=", "password": "b3RoZXI=", "extra": "eA=="}}


def test_secret_values_are_redacted_in_errors_and_diff() -> None:
    message = block(SECRET_EXPECTED, SECRET_ACTUAL)
    assert message == """\
------------------
v1/Secret/ns/creds
------------------
* data.password: Invalid value: "(redacted)": Expected value: "(redacted)"
* stringData: Required value: field not found in the input object

--- expected
+++ actual
@@ -1,12 +1,10 @@
 apiVersion: v1
 data:
-  password: (redacted)
+  password: (redacted, differs)
   user: (redacted)
 kind: Secret
 metadata:
   name: creds
   namespace: ns
-stringData:
-  token: (redacted)
 type: Opaque
 \n"""
    for secret in ("c2VjcmV0", "b3RoZXI=", "YWRtaW4=", "plain", "eA=="):
        assert secret not in message


def test_secret_errors_on_public_fields_keep_their_values() -> None:
    error = FieldError.mismatch(FieldPath.root().child("type"), "Opaque", "kubernetes.io/tls")
    assert redact_field_error(error, SECRET_ACTUAL) is error


@pytest.mark.parametrize("field_path", ["data", "(base64_decode(data.password))", "stringData.token"])
def test_secret_errors_on_data_or_expressions_are_redacted(field_path: str) -> None:
    error = FieldError.mismatch(FieldPath.root().child(field_path), {"password": "b3RoZXI="}, "secret")
    assert str(redact_field_error(error, SECRET_ACTUAL)) == (
        f'{field_path}: Invalid value: {{"password":"{REDACTED}"}}: Expected value: "{REDACTED}"')


def test_non_secrets_are_not_redacted() -> None:
    configmap = dict(SECRET_ACTUAL, kind="ConfigMap")
    error = FieldError.mismatch(FieldPath.root().child("data").child("password"), "b3RoZXI=", "c2VjcmV0")
    assert redact_field_error(error, configmap) is error


# --- names and the error operation's messages ----------------------------------------------------------------

@pytest.mark.parametrize(("metadata", "key"), [
    ({"name": "a", "namespace": "ns"}, "ns/a"),
    ({"name": "a"}, "a"),
    ({"namespace": "ns"}, "ns/*"),
    ({}, "*"),
    ({"name": "", "namespace": ""}, "*"),
])
def test_resource_key(metadata: dict[str, str], key: str) -> None:
    assert resource_key({"metadata": metadata}) == key


def test_error_operation_messages() -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"}}
    assert resource_matched_message(pod) == "v1/Pod/ns/p - resource matches expectation"
    cluster_role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"}}
    assert resource_matched_message(cluster_role) == (
        "rbac.authorization.k8s.io/v1/ClusterRole/r - resource matches expectation")
    assert EXPECTATION_MATCHED == "expectation matched"


def test_header_uses_the_actual_resource_and_byte_length() -> None:
    expected = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}
    actual = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "café", "namespace": "ns"}}
    lines = resource_error_message(expected, actual, []).splitlines()
    assert lines[1] == "v1/ConfigMap/ns/café"
    assert lines[0] == "-" * len("v1/ConfigMap/ns/café".encode())
