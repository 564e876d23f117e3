"""Secret values never reach the output (issue 10): a value read from a Secret, copied through a binding
into an assertion on a ConfigMap or into a script, is masked — plain and base64 — in the console, the
JSON, JUnit and HTML reports and the API's results."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest

from chainsaw_py.api import Outcome, TestOptions, run_to_string
from chainsaw_py.operations.internal.secrets import namespaces_of
from chainsaw_py.util.masking import MASK, Masker, active, register_secrets

from .runner_support import write_suite

PASSWORD = "hunter2-very-secret"
TOKEN = "tok-3f9a7c1e"
ENCODED = base64.b64encode(PASSWORD.encode()).decode()

SUITE = f"""
apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: leaky
spec:
  steps:
  - name: secret
    try:
    - apply:
        resource:
          apiVersion: v1
          kind: Secret
          metadata:
            name: creds
          stringData:
            password: {PASSWORD}
          data:
            token: {base64.b64encode(TOKEN.encode()).decode()}
    - apply:
        resource:
          apiVersion: v1
          kind: ConfigMap
          metadata:
            name: settings
          data:
            value: other
  - name: leak
    bindings:
    - name: encoded
      value: (x_k8s_get($client, 'v1', 'Secret', $namespace, 'creds').data.password)
    - name: plain
      value: (base64_decode($encoded))
    - name: token
      value: (base64_decode(x_k8s_get($client, 'v1', 'Secret', $namespace, 'creds').data.token))
    try:
    - script:
        env:
        - name: PLAIN
          value: ($plain)
        content: echo "password is $PLAIN"; echo "encoded is $(printf %s "$PLAIN" | base64)" >&2
    - assert:
        timeout: 1s
        resource:
          apiVersion: v1
          kind: ConfigMap
          metadata:
            name: settings
          data:
            value: ($plain)
            token: ($token)
            other: ($encoded)
"""


def run(tmp_path: Path, report_format: str) -> tuple[Outcome, str, str]:
    suite = write_suite(tmp_path / "suite", SUITE)
    outcome, output = run_to_string(TestOptions(test_dirs=[str(suite)], embedded=True, no_color=True,
                                                report_format=report_format, report_path=str(tmp_path)))
    assert outcome.report_file is not None
    return outcome, output, outcome.report_file.read_text()


def assert_masked(text: str) -> None:
    for value in (PASSWORD, ENCODED, TOKEN):
        assert value not in text


@pytest.mark.parametrize("report_format", ["JSON", "JUNIT-OPERATION", "HTML"])
def test_secret_values_are_masked_everywhere(tmp_path: Path, report_format: str) -> None:
    outcome, output, report = run(tmp_path, report_format)
    assert not outcome.ok
    assert "password is ***" in output
    assert "encoded is ***" in output
    assert f"data.value: Invalid value: \"other\": Expected value: \"{MASK}\"" in output
    assert_masked(output)
    assert_masked(report)
    assert MASK in report
    if report_format == "HTML":  # the script's output is in the page too
        assert "password is ***" in report and "encoded is ***" in report
    for result in outcome.results:
        for error in result.errors:
            assert_masked(error)
    errors = [op.error or "" for test in outcome.report.tests for step in test.steps for op in step.operations]
    assert any(MASK in error for error in errors)
    assert_masked("\n".join(errors))


def test_values_are_masked_in_plain_base64_and_per_line() -> None:
    masker = Masker()
    with active(masker):
        register_secrets({"kind": "SecretList", "items": [
            {"data": {"key": base64.b64encode(b"line-one\nline-two").decode()}},
            {"stringData": {"short": "abc", "cert": "-----BEGIN-----\nMIIBxyz\n-----END-----"}}]})
    assert masker.mask("a line-one b line-two") == f"a {MASK} b {MASK}"
    assert masker.mask(base64.b64encode(b"line-one").decode()) == MASK
    assert masker.mask("abc stays: too short to mask") == "abc stays: too short to mask"
    assert masker.mask("MIIBxyz") == MASK
    register_secrets({"kind": "Secret", "stringData": {"late": "registered-after-close"}})
    assert masker.mask("registered-after-close") == "registered-after-close"  # the run is over


def test_the_longest_value_is_masked_whole() -> None:
    masker = Masker()
    masker.add("secret")
    masker.add("secret-and-more")
    assert masker.mask("x secret-and-more y secret") == f"x {MASK} y {MASK}"


def test_short_values_are_not_masked_in_any_form() -> None:
    masker = Masker()
    masker.add_encoded(base64.b64encode(b"1").decode())
    masker.add("abc")
    assert masker.empty
    masker.add_encoded(base64.b64encode(bytes(range(250, 256))).decode())  # binary: its base64 text only
    assert masker.mask(base64.b64encode(bytes(range(250, 256))).decode()) == MASK


# -- Secrets the runner never reads itself -------------------------------------------------------------

HIDDEN = "kubectl-only-value-7d1e"
HIDDEN_SUITE = """
apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: kubectl-leak
spec:
  steps:
  - name: create
    try:
    - script:
        content: kubectl create secret generic hidden -n $NAMESPACE --from-file=password=hidden.txt >/dev/null
  - name: print
    try:
    - script:
        content: |
          kubectl get secret hidden -n $NAMESPACE -o jsonpath='{.data.password}' | base64 -d; echo
          kubectl get secret hidden -n $NAMESPACE -o jsonpath='{.data.password}'; echo
        check:
          ($stdout): nothing
"""


@pytest.mark.parametrize("report_format", ["JSON", "JUNIT-OPERATION"])
def test_secrets_printed_by_kubectl_in_a_script_are_masked(tmp_path: Path, report_format: str) -> None:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    suite = write_suite(tmp_path / "suite", HIDDEN_SUITE)
    (suite / "hidden.txt").write_text(HIDDEN)  # the value reaches the cluster through kubectl only
    outcome, output = run_to_string(TestOptions(test_dirs=[str(suite)], embedded=True, no_color=True,
                                                report_format=report_format, report_path=str(tmp_path)))
    assert outcome.report_file is not None
    report = outcome.report_file.read_text()
    assert not outcome.ok
    assert "=== STDOUT" in output and f"{MASK}\n" in output
    encoded = base64.b64encode(HIDDEN.encode()).decode()
    for text in (output, report, *(error for result in outcome.results for error in result.errors)):
        assert HIDDEN not in text and encoded not in text
    assert MASK in report


def test_the_namespaces_read_for_a_program() -> None:
    argv = ["kubectl", "get", "secret", "-n", "other", "--namespace=third", "--namespace", "$NAMESPACE"]
    assert namespaces_of("test-ns", "test-ns", argv) == ["test-ns", "other", "third"]
    assert namespaces_of(None, "", ["sh", "-c", "kubectl get secret -n x"]) == []  # a script is not parsed
    assert namespaces_of(None, None, ["-n", "Not_A_Name"]) == []
