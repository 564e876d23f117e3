"""Configuration: lookup order, v1alpha1 -> v1alpha2 conversion, defaults, one per file."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainsaw_py.errors import LoadError
from chainsaw_py.loading import configuration_path, load_configuration
from chainsaw_py.loading.model import Configuration

from .conftest import CORPUS, TEMPOSTACK, Writer, requires_shared

V1ALPHA1 = """
apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Configuration
metadata:
  name: old
spec:
  timeouts: {apply: 10s, exec: 1m}
  skipDelete: true
  delayBeforeCleanup: 3s
  failFast: true
  parallel: 4
  repeatCount: 2
  forceTerminationGracePeriod: 7s
  reportFormat: JUNIT-STEP
  reportPath: out
  namespace: shared
  namespaceTemplate: {metadata: {labels: {a: b}}}
  namespaceTemplateCompiler: cel
  fullName: true
  includeTestRegex: inc
  excludeTestRegex: exc
  testFile: my-test
  deletionPropagationPolicy: Foreground
  template: false
  compiler: cel
  fastNamespaceDeletion: true
  clusters: {other: {kubeconfig: k.yaml, context: c}}
  catch:
  - events: {}
"""


def test_default_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    configuration, source = load_configuration(None)
    assert source == ""
    assert configuration.metadata.name == "default"
    spec = configuration.spec
    assert (spec.timeouts.apply, spec.timeouts.assert_, spec.timeouts.cleanup, spec.timeouts.delete,
            spec.timeouts.error, spec.timeouts.exec) == ("5s", "30s", "30s", "15s", "30s", "5s")
    assert spec.discovery.test_file == "chainsaw-test"
    assert spec.deletion.propagation == "Background"
    assert spec.templating.enabled is True and spec.templating.compiler is None
    assert spec.report is None
    assert spec.execution.parallel is None and spec.execution.repeat_count is None


def test_dot_chainsaw_yaml_is_found_in_the_working_directory(write: Writer, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    write(".chainsaw.yaml", "apiVersion: chainsaw.kyverno.io/v1alpha2\nkind: Configuration\n"
                            "metadata: {name: local}\nspec: {}\n")
    monkeypatch.chdir(tmp_path)
    assert configuration_path(None) == ".chainsaw.yaml"
    configuration, source = load_configuration(None)
    assert (configuration.metadata.name, source) == ("local", ".chainsaw.yaml")
    other = write("other.yaml", "apiVersion: chainsaw.kyverno.io/v1alpha2\nkind: Configuration\n"
                                "metadata: {name: explicit}\nspec: {}\n")
    assert load_configuration(str(other))[0].metadata.name == "explicit"


def test_v1alpha1_is_converted(write: Writer) -> None:
    configuration, _ = load_configuration(str(write("c.yaml", V1ALPHA1)))
    assert configuration.api_version == "chainsaw.kyverno.io/v1alpha2"
    spec = configuration.spec
    assert spec.timeouts.apply == "10s" and spec.timeouts.exec == "1m" and spec.timeouts.assert_ == "30s"
    assert spec.cleanup.skip_delete is True and spec.cleanup.delay_before_cleanup == "3s"
    assert (spec.execution.fail_fast, spec.execution.parallel, spec.execution.repeat_count,
            spec.execution.force_termination_grace_period) == (True, 4, 2, "7s")
    assert spec.report is not None
    assert (spec.report.format, spec.report.path, spec.report.name) == ("JUNIT-STEP", "out", "chainsaw-report")
    assert (spec.namespace.name, spec.namespace.compiler, spec.namespace.fast_delete) == ("shared", "cel", True)
    assert spec.namespace.template == {"metadata": {"labels": {"a": "b"}}}
    assert (spec.discovery.full_name, spec.discovery.include_test_regex, spec.discovery.exclude_test_regex,
            spec.discovery.test_file) == (True, "inc", "exc", "my-test")
    assert spec.deletion.propagation == "Foreground"
    assert (spec.templating.enabled, spec.templating.compiler) == (False, "cel")
    assert spec.clusters["other"].kubeconfig == "k.yaml" and spec.clusters["other"].context == "c"
    assert [operation.type for operation in spec.error.catch] == ["events"]


def test_v1alpha1_without_report_format_means_no_report(write: Writer) -> None:
    configuration, _ = load_configuration(str(write("c.yaml", "apiVersion: chainsaw.kyverno.io/v1alpha1\n"
                                                              "kind: Configuration\nspec: {}\n")))
    report = configuration.spec.report
    assert report is not None and report.format == "" and report.name == "chainsaw-report"
    assert configuration.spec.templating.enabled is True


def test_v1alpha2_report_defaults(write: Writer) -> None:
    configuration, _ = load_configuration(str(write("c.yaml", "apiVersion: chainsaw.kyverno.io/v1alpha2\n"
                                                              "kind: Configuration\nspec:\n  report: {}\n")))
    assert configuration.spec.report is not None
    assert (configuration.spec.report.format, configuration.spec.report.name) == ("JSON", "chainsaw-report")


@pytest.mark.parametrize(("text", "message"), [
    ("", "found no configuration"),
    (("apiVersion: chainsaw.kyverno.io/v1alpha2\nkind: Configuration\nspec: {}\n---\n"
     "apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Configuration\nspec: {}\n"), "found multiple configurations (2)"),
    ("apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Test\nspec: {steps: []}\n",
     "type not supported chainsaw.kyverno.io/v1alpha1, Kind=Test"),
    ("apiVersion: chainsaw.kyverno.io/v1alpha2\nkind: Configuration\nspec:\n  execution: {parallel: 0}\n",
     "c.yaml:4: spec.execution.parallel: must be at least 1, got 0"),
    ("apiVersion: chainsaw.kyverno.io/v1alpha2\nkind: Configuration\nspec:\n  execution: {parallel: 99999999999999999999}\n",
     "c.yaml:4: spec.execution.parallel: expected an integer, got number 1e+20"),
    ("apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Configuration\nspec:\n  repeatCount: 1.0e300\n",
     "c.yaml:4: spec.repeatCount: expected an integer, got number 1e+300"),
    ("apiVersion: chainsaw.kyverno.io/v1alpha2\nkind: Configuration\nspec:\n  timeouts: {apply: soon}\n",
     'c.yaml:4: spec.timeouts.apply: invalid duration "soon"'),
    ("apiVersion: chainsaw.kyverno.io/v1alpha2\nkind: Configuration\nspec:\n  failFast: true\n",
     'c.yaml:4: spec.failFast: unknown field "failFast"'),
    (("apiVersion: chainsaw.kyverno.io/v1alpha2\nkind: Configuration\nspec:\n  namespace:\n"
     "    template: {metadata: {name: '(foo[)'}}\n"),
     'c.yaml:5: spec.namespace.template.metadata.name: invalid expression "(foo[)"'),
])
def test_bad_configurations(write: Writer, text: str, message: str) -> None:
    path = write("c.yaml", text)
    with pytest.raises(LoadError) as caught:
        load_configuration(str(path))
    assert message in str(caught.value)


def test_missing_configuration_file(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no such file or directory"):
        load_configuration(str(tmp_path / "absent.yaml"))


@requires_shared
def test_corpus_configuration() -> None:
    pytest.importorskip("chainsaw_py.expressions.cel")
    configuration, source = load_configuration(str(CORPUS / "config.yaml"))
    assert source.endswith("config.yaml")
    spec = configuration.spec
    assert spec.discovery.full_name is True
    assert (spec.execution.fail_fast, spec.execution.parallel, spec.execution.force_termination_grace_period) == (
        True, 1, "5s")
    assert spec.namespace.compiler == "cel"
    assert spec.namespace.template == {"metadata": {"annotations": {"from-config-file": '(string("hello"))'}}}


@requires_shared
def test_tempostack_configuration_v1alpha1() -> None:
    configuration, _ = load_configuration(str(TEMPOSTACK / "chainsaw-openshift-config.yaml"))
    assert isinstance(configuration, Configuration)
    timeouts = configuration.spec.timeouts
    assert (timeouts.assert_, timeouts.apply, timeouts.exec) == ("5m00s", "30s", "5m00s")


@pytest.mark.parametrize(("value", "expected"), [("9007199254740992", 2**53), ("1e3", 1000),
                                                 ("9223372036854775807", 2**63 - 1)])
def test_whole_numbers_within_go_json_integers_are_integers(write: Writer, value: str, expected: int) -> None:
    """go-openapi takes a float64 for an integer when it is whole and within +-2^53 (1e3 is 1000)."""
    path = write("c.yaml", f"apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Configuration\nspec:\n  repeatCount: {value}\n")
    assert load_configuration(str(path))[0].spec.execution.repeat_count == expected
