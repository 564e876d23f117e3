"""Secret values never reach the output (issue 10): a value read from a Secret, copied through a binding
into an assertion on a ConfigMap or into a script, is masked — plain and base64 — in the console, the
JSON, JUnit and HTML reports and the API's results."""

from __future__ import annotations

import base64
import shutil
import subprocess
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
            {"stringData": {"short": "abc", "cert": "-----BEGIN-----\nMIIBxyzAB\n-----END-----"}}]})
    assert masker.mask("a line-one b line-two") == f"a {MASK} b {MASK}"
    assert masker.mask(base64.b64encode(b"line-one").decode()) == MASK
    assert masker.mask("abc stays: too short to mask") == "abc stays: too short to mask"
    assert masker.mask("MIIBxyzAB") == MASK
    register_secrets({"kind": "Secret", "stringData": {"late": "registered-after-close"}})
    assert masker.mask("registered-after-close") == "registered-after-close"  # the run is over


def test_the_longest_value_is_masked_whole() -> None:
    masker = Masker()
    masker.add("secret12")
    masker.add("secret12-and-more")
    assert masker.mask("x secret12-and-more y secret12") == f"x {MASK} y {MASK}"


def test_short_values_are_not_masked_in_any_form() -> None:
    masker = Masker()
    masker.add_encoded(base64.b64encode(b"1").decode())
    masker.add("abc")
    assert masker.empty


def test_values_shorter_than_eight_characters_leave_names_alone() -> None:
    """Real suites keep plain words in their Secrets (a bucket named ``tempo``, a key ``label``); masking them
    garbled test names, namespaces and kinds (``***Stack``). Like GitLab's masked variables, a value is masked
    from eight characters on."""
    masker = Masker()
    masker.add("tempo")
    masker.add_encoded(base64.b64encode(b"label").decode())
    masker.add("minio123")
    text = 'no matches for kind "TempoStack" in version "tempo.grafana.com/v1alpha1"; add-psa-labels: minio123'
    assert masker.mask(text) == text.replace("minio123", MASK)
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


ELSEWHERE = "operator-made-value-5c2b"
CLUSTER_SUITE = """
apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: cluster-wide-leak
spec:
  steps:
  - name: print
    try:
    - script:
        content: |
          kubectl create namespace elsewhere >/dev/null
          kubectl create secret generic made-elsewhere -n elsewhere --from-file=token=elsewhere.txt >/dev/null
          kubectl get secret -A -o yaml
          kubectl get secret made-elsewhere -n elsewhere -o jsonpath='{.data.token}' | base64 -d; echo
          kubectl get secret preexisting -n kube-system -o jsonpath='{.data.key}' | base64 -d; echo
        check:
          ($stdout): nothing
    finally:
    - script:
        content: kubectl delete namespace elsewhere --wait=false >/dev/null
"""
PREEXISTING = "kube-system-value-9e41"


def test_secrets_of_namespaces_the_run_never_named_are_masked(tmp_path: Path) -> None:
    """A script reads Secrets cluster-wide, one of them created (as an operator would) in a namespace the
    test never names, one that existed before the run in kube-system: all are masked."""
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    from chainsaw_py.embedded import EmbeddedCluster

    suite = write_suite(tmp_path / "suite", CLUSTER_SUITE)
    (suite / "elsewhere.txt").write_text(ELSEWHERE)
    kubeconfig = tmp_path / "served.kubeconfig"
    with EmbeddedCluster(kubeconfig=kubeconfig):
        subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), "create", "secret", "generic", "preexisting",
                        "-n", "kube-system", f"--from-literal=key={PREEXISTING}"], check=True, capture_output=True)
        outcome, output = run_to_string(TestOptions(test_dirs=[str(suite)], kubeconfig=str(kubeconfig),
                                                    no_color=True, report_format="JSON",
                                                    report_path=str(tmp_path)))
    assert outcome.report_file is not None
    report = outcome.report_file.read_text()
    assert not outcome.ok  # the check shows the output in the error
    assert "=== STDOUT" in output
    for value in (ELSEWHERE, PREEXISTING):
        encoded = base64.b64encode(value.encode()).decode()
        for text in (output, report, *(error for result in outcome.results for error in result.errors)):
            assert value not in text and encoded not in text
    assert output.count(MASK) >= 4


def test_the_namespaces_read_for_a_program() -> None:
    argv = ["kubectl", "get", "secret", "-n", "other", "--namespace=third", "--namespace", "$NAMESPACE"]
    assert namespaces_of("test-ns", "test-ns", argv) == ["test-ns", "other", "third"]
    assert namespaces_of(None, "", ["sh", "-c", "kubectl get secret -n x"]) == []  # a script is not parsed
    assert namespaces_of(None, None, ["-n", "Not_A_Name"]) == []


class FakeSecretsApi:
    """Answers the catalog's requests from a dict of Secrets, as the client does (registering what it reads)."""

    def __init__(self, secrets: dict[tuple[str, str], str], forbid_cluster_wide: bool = False) -> None:
        self.secrets = secrets  # (namespace, name) -> value
        self.forbid_cluster_wide = forbid_cluster_wide
        self.requests: list[tuple[str, str]] = []

    def _secret(self, key: tuple[str, str]) -> dict[str, object]:
        return {"kind": "Secret", "metadata": {"namespace": key[0], "name": key[1],
                                               "resourceVersion": str(hash(self.secrets[key]) % 10**6)},
                "data": {"v": base64.b64encode(self.secrets[key].encode()).decode()}}

    def request(self, method: str, path: str, *, query: list[tuple[str, str]] | None = None,
                accept: str = "application/json") -> object:
        from chainsaw_py.client.errors import ApiError, NotFoundError

        kind = "metadata" if "PartialObjectMetadataList" in accept else "full"
        self.requests.append((kind, path))
        if path == "/api/v1/secrets":
            if self.forbid_cluster_wide:
                raise ApiError('secrets is forbidden: User "x" cannot list resource "secrets"', code=403)
            items = [self._secret(key) for key in sorted(self.secrets)]
            if kind == "metadata":
                return {"kind": "PartialObjectMetadataList",
                        "items": [{"metadata": item["metadata"]} for item in items]}
            listing: dict[str, object] = {"kind": "SecretList", "items": items}
        elif path.endswith("/secrets"):
            namespace = path.split("/")[4]
            listing = {"kind": "SecretList", "items": [self._secret(key) for key in self.secrets
                                                         if key[0] == namespace]}
        else:
            _, _, _, _, namespace, _, name = path.split("/")
            if (namespace, name) not in self.secrets:
                raise NotFoundError(f'secrets "{name}" not found')
            listing = self._secret((namespace, name))
        register_secrets(listing)
        return listing


def test_the_catalog_fetches_only_new_and_changed_secrets() -> None:
    from chainsaw_py.client.secrets import SecretCatalog

    api = FakeSecretsApi({("a", "one"): "first-value", ("kube-system", "two"): "second-value"})
    catalog = SecretCatalog(api)  # type: ignore[arg-type]
    masker = Masker()
    with active(masker):
        catalog.refresh()
        assert masker.mask("first-value second-value") == f"{MASK} {MASK}"
        assert api.requests == [("full", "/api/v1/secrets")]
        api.requests.clear()
        catalog.refresh()  # nothing changed: names and versions only
        assert api.requests == [("metadata", "/api/v1/secrets")]
        api.secrets[("operator", "three")] = "made-by-an-operator"
        api.secrets[("a", "one")] = "first-value-rotated"
        api.requests.clear()
        catalog.refresh()
        assert sorted(api.requests) == [("full", "/api/v1/namespaces/a/secrets/one"),
                                        ("full", "/api/v1/namespaces/operator/secrets/three"),
                                        ("metadata", "/api/v1/secrets")]
        assert masker.mask("made-by-an-operator first-value-rotated") == f"{MASK} {MASK}"
    other = Masker()
    with active(other):  # another run learns everything again
        catalog.refresh()
    assert other.mask("second-value") == MASK


def test_the_catalog_falls_back_to_the_named_namespaces_when_rbac_forbids_listing_all() -> None:
    from chainsaw_py.client.secrets import SecretCatalog

    api = FakeSecretsApi({("mine", "one"): "my-own-value", ("theirs", "two"): "their-value"},
                         forbid_cluster_wide=True)
    catalog = SecretCatalog(api)  # type: ignore[arg-type]
    masker = Masker()
    with active(masker):
        catalog.refresh(["mine"])
        catalog.refresh(["mine"])
    assert masker.mask("my-own-value their-value") == f"{MASK} their-value"
    assert api.requests.count(("full", "/api/v1/secrets")) == 1  # asked once, then not again


def test_masked_values_are_bounded(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from chainsaw_py.util import limits

    monkeypatch.setattr(limits, "MAX_MASKED_VALUES", 4)
    masker = Masker()
    masker.add("value-one")  # plain and base64: two values
    masker.add("value-two")
    masker.add("value-three")  # over the limit: not masked, said once
    masker.add("value-four")
    assert masker.mask("value-one value-two value-three") == f"{MASK} {MASK} value-three"
    assert masker.overflowed
    assert capsys.readouterr().err.count("secret masking holds at most 4 values") == 1
    monkeypatch.setattr(limits, "MAX_MASKED_BYTES", 10)
    small = Masker()
    small.add("a-value-longer-than-ten-bytes")
    assert small.empty and small.overflowed


def test_masking_many_values_is_one_pass() -> None:
    """10,000 values over 1 MB of text: an alternation regexp took about 25 s here."""
    masker = Masker()
    values = [f"secret-{index:05d}-{index * 7919 % 100003:06d}" for index in range(5_000)]
    for value in values:
        masker.add(value)
    text = ("lorem ipsum dolor sit amet " * 40_000) + values[1234] + " end"
    masked = masker.mask(text)
    assert masked.endswith(f"{MASK} end") and values[1234] not in masked
