"""``migrate kuttl config``: a kuttl TestSuite converted to a v1alpha1 Configuration."""

from __future__ import annotations

import pytest

from tests.authoring.conftest import Cli, Files, dedent

SCHEMA = ("# yaml-language-server: $schema=https://raw.githubusercontent.com/kyverno/chainsaw/main/"
          ".schemas/json/configuration-chainsaw-v1alpha1.json")

CASES = [
    ("everything copied", """
        apiVersion: kuttl.dev/v1beta1
        kind: TestSuite
        metadata:
          name: my-suite
          labels:
            team: a
        testDirs:
        - tests/e2e
        startKIND: true
        timeout: 90
        parallel: 2
        skipDelete: true
        reportFormat: xml
        reportName: out
        namespace: fixed
        """, """
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Configuration
        metadata:
          labels:
            team: a
          name: my-suite
        spec:
          namespace: fixed
          parallel: 2
          reportFormat: xml
          reportName: out
          skipDelete: true
          template: false
          timeouts:
            apply: 1m30s
            assert: 1m30s
            cleanup: 1m30s
            delete: 1m30s
            error: 1m30s
            exec: 1m30s
        """),
    ("kuttl's default timeout when none is set", """
        apiVersion: kuttl.dev/v1beta1
        kind: TestSuite
        """, """
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Configuration
        metadata:
          name: configuration
        spec:
          template: false
          timeouts:
            apply: 30s
            assert: 30s
            cleanup: 30s
            delete: 30s
            error: 30s
            exec: 30s
        """),
]


@pytest.mark.parametrize(("suite", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_conversion(files: Files, cli: Cli, suite: str, expected: str) -> None:
    files({"kuttl-test.yaml": suite})
    result = cli("migrate", "kuttl", "config", "kuttl-test.yaml")
    assert result.code == 0
    assert result.out == f"{SCHEMA}\n{dedent(expected)}\n"
    assert result.err == "Converting config kuttl-test.yaml ...\n"


def test_save_and_cleanup(files: Files, cli: Cli) -> None:
    root = files({"e2e/kuttl-test.yaml": "apiVersion: kuttl.dev/v1beta1\nkind: TestSuite\ntimeout: 60\n"})
    result = cli("migrate", "kuttl", "config", "e2e/kuttl-test.yaml", "--save", "--cleanup")
    assert result.code == 0 and result.out == ""
    assert result.err == ("Converting config e2e/kuttl-test.yaml ...\nSaving file e2e/.chainsaw.yaml ...\n"
                          "Deleting file e2e/kuttl-test.yaml ...\n")
    saved = (root / "e2e" / ".chainsaw.yaml").read_text()
    assert saved.startswith(SCHEMA + "\napiVersion: chainsaw.kyverno.io/v1alpha1\n") and "apply: 1m0s" in saved
    assert not (root / "e2e" / "kuttl-test.yaml").exists()

    from chainsaw_py.loading.config import read_configuration

    configuration = read_configuration(root / "e2e" / ".chainsaw.yaml")
    assert configuration.spec.timeouts.assert_ == "1m0s" and configuration.spec.templating.enabled is False


def test_cleanup_never_deletes_the_saved_file(files: Files, cli: Cli) -> None:
    root = files({".chainsaw.yaml": "apiVersion: kuttl.dev/v1beta1\nkind: TestSuite\n"})
    assert cli("migrate", "kuttl", "config", ".chainsaw.yaml", "--save", "--cleanup").code == 0
    assert "kind: Configuration" in (root / ".chainsaw.yaml").read_text()


ERRORS = [
    ("two documents", ("apiVersion: kuttl.dev/v1beta1\nkind: TestSuite\n---\napiVersion: kuttl.dev/v1beta1\n"
                      "kind: TestSuite\n"), "invalid number of resources found (2) in suite.yaml"),
    ("not a suite", "apiVersion: kuttl.dev/v1beta1\nkind: TestStep\n", "unknown kuttl resource TestStep"),
    ("not kuttl", "apiVersion: v1\nkind: ConfigMap\n", "unknown resource v1 / ConfigMap"),
    ("unknown field", "apiVersion: kuttl.dev/v1beta1\nkind: TestSuite\ndata:\n  a: b\n",
     'failed to convert TestSuite (suite.yaml): strict decoding error: unknown field "data"'),
    ("fractional timeout", "apiVersion: kuttl.dev/v1beta1\nkind: TestSuite\ntimeout: 1.5\n",
     "failed to convert TestSuite (suite.yaml): cannot convert float64 to int"),
    ("metadata not an object", "apiVersion: kuttl.dev/v1beta1\nkind: TestSuite\nmetadata: x\n",
     "failed to convert TestSuite (suite.yaml): cannot restore struct from: string"),
    ("labels not strings", "apiVersion: kuttl.dev/v1beta1\nkind: TestSuite\nmetadata:\n  labels:\n    a: 1\n",
     "failed to convert TestSuite (suite.yaml): cannot convert int64 to string"),
]


@pytest.mark.parametrize(("text", "message"), [case[1:] for case in ERRORS], ids=[case[0] for case in ERRORS])
def test_errors(files: Files, cli: Cli, text: str, message: str) -> None:
    files({"suite.yaml": text})
    result = cli("migrate", "kuttl", "config", "suite.yaml")
    assert result.code == 1 and result.out == ""
    assert result.err.endswith(f"Error: {message}\n")


def test_missing_file(cli: Cli) -> None:
    result = cli("migrate", "kuttl", "config", "nope.yaml")
    assert (result.code, result.err) == (1, "Error: no files found matching path: nope.yaml\n")


def test_exactly_one_file(cli: Cli) -> None:
    result = cli("migrate", "kuttl", "config")
    assert (result.code, result.err) == (1, "Error: accepts 1 arg(s), received 0\n")
