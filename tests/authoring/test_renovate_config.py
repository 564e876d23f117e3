"""``renovate config``: a configuration rewritten as the minimal v1alpha2 document."""

from __future__ import annotations

import pytest

from chainsaw_py.authoring.renovate import create_merge_patch, render_renovated
from chainsaw_py.loading.config import parse_configuration
from tests.authoring.conftest import Cli, Files, dedent

SCHEMA = ("# yaml-language-server: $schema=https://raw.githubusercontent.com/kyverno/chainsaw/main/"
          ".schemas/json/configuration-chainsaw-v1alpha2.json")

CASES = [
    ("v1alpha1 with many settings", """
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Configuration
        metadata:
          name: mine
          labels:
            team: a
        spec:
          timeouts:
            apply: 5s
            assert: 1m
          parallel: 3
          template: false
          namespace: fixed
          reportFormat: XML
          deletionPropagationPolicy: Foreground
          catch:
          - podLogs:
              selector: app=a
              timeout: 90s
        """, """
        apiVersion: chainsaw.kyverno.io/v1alpha2
        kind: Configuration
        metadata:
          labels:
            team: a
          name: mine
        spec:
          deletion:
            propagation: Foreground
          error:
            catch:
            - podLogs:
                selector: app=a
                timeout: 1m30s
          execution:
            parallel: 3
          namespace:
            name: fixed
          report:
            format: XML
            name: chainsaw-report
          templating:
            enabled: false
          timeouts:
            assert: 1m0s
        """),
    ("v1alpha2 equal to the defaults keeps an empty spec", """
        apiVersion: chainsaw.kyverno.io/v1alpha2
        kind: Configuration
        metadata:
          name: default
        spec:
          timeouts:
            apply: 5s
        """, """
        apiVersion: chainsaw.kyverno.io/v1alpha2
        kind: Configuration
        metadata:
          name: default
        spec: {}
        """),
    ("v1alpha2 zero values that differ from the defaults", """
        apiVersion: chainsaw.kyverno.io/v1alpha2
        kind: Configuration
        metadata:
          name: zeros
        spec:
          cleanup:
            delayBeforeCleanup: 0s
          discovery:
            testFile: ""
        """, """
        apiVersion: chainsaw.kyverno.io/v1alpha2
        kind: Configuration
        metadata:
          name: zeros
        spec:
          cleanup:
            delayBeforeCleanup: 0s
          discovery:
            testFile: null
        """),
]


@pytest.mark.parametrize(("source", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_renovation(files: Files, cli: Cli, source: str, expected: str) -> None:
    files({"config.yaml": source})
    result = cli("renovate", "config", "config.yaml")
    assert result.code == 0
    assert result.out == f"{SCHEMA}\n{dedent(expected)}\n"


def test_v1alpha1_without_a_report_warns_that_reports_get_enabled(files: Files, cli: Cli) -> None:
    files({"c.yaml": "apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Configuration\nmetadata:\n"
                     "  name: c\nspec: {}\n"})
    result = cli("renovate", "config", "c.yaml")
    assert "report:\n    name: chainsaw-report\n" in result.out
    assert result.err == ("WARNING: spec.report.format does not load back with the same value from the "
                          "renovated configuration\n")


@pytest.mark.parametrize("source", [CASES[1][1],
    ("apiVersion: chainsaw.kyverno.io/v1alpha2\nkind: Configuration\nmetadata:\n  name: r\nspec:\n"
    "  report:\n    format: JSON\n  cleanup:\n    delayBeforeCleanup: 3s\n  clusters:\n    other:\n"
    "      kubeconfig: /k\n"),
])
def test_v1alpha2_renovation_loads_back_unchanged(source: str) -> None:
    original = parse_configuration(dedent(source))
    assert parse_configuration(render_renovated(original)) == original


def test_save_rewrites_the_file(files: Files, cli: Cli) -> None:
    root = files({"c.yaml": "apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Configuration\nmetadata:\n"
                            "  name: c\nspec:\n  reportFormat: JSON\n"})
    result = cli("renovate", "config", "c.yaml", "--save")
    assert result.code == 0 and result.out == "" and result.err == "Saving file c.yaml ...\n"
    assert (root / "c.yaml").read_text() == SCHEMA + "\n" + dedent("""
        apiVersion: chainsaw.kyverno.io/v1alpha2
        kind: Configuration
        metadata:
          name: c
        spec:
          report:
            format: JSON
            name: chainsaw-report
        """)


@pytest.mark.parametrize(("text", "message"), [
    ("", "found no configuration"),
    ("apiVersion: v1\nkind: ConfigMap\n", "type not supported"),
    ("apiVersion: chainsaw.kyverno.io/v1alpha2\nkind: Configuration\nspec:\n  bogus: 1\n", 'unknown field "bogus"'),
])
def test_bad_files_are_one_line(files: Files, cli: Cli, text: str, message: str) -> None:
    files({"c.yaml": text})
    result = cli("renovate", "config", "c.yaml")
    assert result.code == 1 and result.out == ""
    assert result.err.startswith("Error: failed to load configuration file c.yaml: ") and message in result.err
    assert result.err.count("\n") == 1


MERGE_PATCH_CASES = [
    ({"a": 1}, {"a": 1}, {}),
    ({"a": 1}, {"a": 2}, {"a": 2}),
    ({"a": 1}, {}, {"a": None}),
    ({}, {"a": {"b": 1}}, {"a": {"b": 1}}),
    ({"a": {"b": 1, "c": 2}}, {"a": {"b": 1, "c": 3}}, {"a": {"c": 3}}),
    ({"a": {"b": 1}}, {"a": {"b": 1}}, {}),
    ({"a": [1, 2]}, {"a": [1]}, {"a": [1]}),
    ({"a": {"b": 1}}, {"a": 5}, {"a": 5}),
    ({"a": 1}, {"a": 1.0}, {}),
]


@pytest.mark.parametrize(("original", "modified", "patch"), MERGE_PATCH_CASES)
def test_create_merge_patch(original: dict, modified: dict, patch: dict) -> None:  # type: ignore[type-arg]
    assert create_merge_patch(original, modified) == patch
