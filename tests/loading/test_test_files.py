"""Test and StepTemplate files: several tests per file, templates merged with Chainsaw's precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainsaw_py.errors import LoadError
from chainsaw_py.loading import load_test_file
from chainsaw_py.loading.model import Apply, Script, Sleep

from .conftest import TEST_HEADER, Writer, make_test

TEMPLATE = """
apiVersion: chainsaw.kyverno.io/v1alpha1
kind: StepTemplate
metadata:
  name: template
spec:
  bindings:
  - name: input
    value: from-template
  - name: only_template
    value: t
  try:
  - apply:
      file: ($input)
  catch:
  - script:
      content: echo catch
  finally:
  - sleep:
      duration: 2s
  cleanup:
  - script:
      content: echo cleanup
"""


def test_several_tests_per_file(write: Writer) -> None:
    file = write("t/chainsaw-test.yaml", make_test("one") + "---\n" + make_test("two"))
    tests = load_test_file(file)
    assert [test.name for test in tests] == ["one", "two"]
    assert all(test.file == file and test.base_path == file.parent for test in tests)


def test_step_template_is_merged_into_the_step(write: Writer) -> None:
    write("t/templates/step.yaml", TEMPLATE)
    file = write("t/chainsaw-test.yaml", TEST_HEADER + """
metadata:
  name: uses-template
spec:
  steps:
  - name: templated
    bindings:
    - name: input
      value: from-step
    use:
      template: templates/step.yaml
      with:
        bindings:
        - name: input
          value: from-with
""")
    (test,) = load_test_file(file)
    (step,) = test.spec.steps
    assert step.use is None
    assert step.name == "templated"
    # step bindings, then the template's, then `with` (later ones hide earlier ones)
    assert [(b.name, b.value) for b in step.bindings] == [
        ("input", "from-step"), ("input", "from-template"), ("only_template", "t"), ("input", "from-with")]
    assert [op.type for op in step.try_] == ["apply"]
    assert step.try_[0].action == Apply(file="($input)")
    assert [op.type for op in step.catch] == ["script"]
    assert step.finally_[0].action == Sleep(duration="2s")
    assert step.cleanup[0].action == Script(content="echo cleanup")


def test_template_paths_are_relative_to_the_base_path(write: Writer, tmp_path: Path) -> None:
    write("elsewhere/step.yaml", TEMPLATE)
    file = write("t/chainsaw-test.yaml", make_test(body="spec:\n  steps:\n  - use:\n      template: step.yaml\n"))
    with pytest.raises(LoadError, match="cannot load step template"):
        load_test_file(file)
    (test,) = load_test_file(file, base_path=tmp_path / "elsewhere")
    assert test.spec.steps[0].try_[0].type == "apply"
    assert test.base_path == tmp_path / "elsewhere"


@pytest.mark.parametrize(("template", "message"), [
    (TEMPLATE + "---\n" + TEMPLATE, "step template not found or multiple templates exist (2 in "),
    ("# empty\n", "cannot load step template {path}: found no step template"),
    (make_test(), "type not supported chainsaw.kyverno.io/v1alpha1, Kind=Test"),
])
def test_bad_step_templates(write: Writer, template: str, message: str) -> None:
    template_file = write("t/step.yaml", template)
    file = write("t/chainsaw-test.yaml", make_test(body="spec:\n  steps:\n  - use:\n      template: step.yaml\n"))
    with pytest.raises(LoadError) as caught:
        load_test_file(file)
    assert message.format(path=template_file) in str(caught.value)


def test_errors_inside_a_template_point_into_the_template(write: Writer) -> None:
    template_file = write("t/step.yaml", TEMPLATE.replace("      file: ($input)", "      file: ($input[)"))
    file = write("t/chainsaw-test.yaml", make_test(body="spec:\n  steps:\n  - use:\n      template: step.yaml\n"))
    with pytest.raises(LoadError) as caught:
        load_test_file(file)
    assert str(caught.value).startswith(f"{template_file}:13: spec.try[0].apply.file: invalid expression")


def test_template_expressions_are_checked_with_the_step_compiler(write: Writer) -> None:
    write("t/step.yaml", TEMPLATE.replace("      file: ($input)", "      file: \"(size(bindings) > 0 ? 'a' : 'b')\""))
    body = "spec:\n  steps:\n  - compiler: {compiler}\n    use:\n      template: step.yaml\n"
    with pytest.raises(LoadError, match="invalid expression"):
        load_test_file(write("t/chainsaw-test.yaml", make_test(body=body.format(compiler="jp"))))
    pytest.importorskip("chainsaw_py.expressions.cel")
    (test,) = load_test_file(write("t/chainsaw-test.yaml", make_test(body=body.format(compiler="cel"))))
    assert test.spec.steps[0].try_[0].action.file.startswith("(size")


def test_scenarios_and_test_fields_are_kept(write: Writer) -> None:
    file = write("t/chainsaw-test.yaml", TEST_HEADER + """
metadata:
  name: full
  labels: {team: a, empty: null}
spec:
  description: everything
  concurrent: false
  skip: true
  timeouts: {assert: 1m}
  scenarios:
  - name: first
    bindings: [{name: x, value: 1}]
  - bindings: [{name: x, value: 2}]
  catch:
  - events: {}
  steps:
  - try:
    - script:
        content: echo $X
        env: [{name: X, value: ($x)}]
      continueOnError: true
""")
    (test,) = load_test_file(file)
    assert test.labels == {"team": "a", "empty": ""}
    assert [(s.name, s.bindings[0].value) for s in test.spec.scenarios] == [("first", 1), ("", 2)]
    assert test.spec.concurrent is False and test.spec.skip is True
    assert test.spec.timeouts is not None and test.spec.timeouts.assert_ == "1m"
    operation = test.spec.steps[0].try_[0]
    assert operation.continue_on_error is True
    assert operation.line == 20
    assert test.spec.catch[0].type == "events" and test.spec.catch[0].line == 17


def test_null_values_count_as_absent(write: Writer) -> None:
    file = write("t/chainsaw-test.yaml", make_test(body="spec:\n  bindings: null\n  steps:\n  - try:\n"
                                                        "    - apply: {file: x.yaml, expect: null}\n    catch: null\n"))
    (test,) = load_test_file(file)
    assert test.spec.bindings == [] and test.spec.steps[0].catch == []
    assert test.spec.steps[0].try_[0].action.expect == []


def test_round_trip_through_the_model(write: Writer) -> None:
    file = write("t/chainsaw-test.yaml", make_test(body="spec:\n  steps:\n  - name: s\n    try:\n"
                                                        "    - wait:\n        apiVersion: v1\n        kind: Pod\n"
                                                        "        for: {condition: {name: Ready}}\n"))
    (test,) = load_test_file(file)
    data = test.to_dict()
    assert data["spec"]["steps"][0]["try"][0]["wait"]["for"] == {"condition": {"name": "Ready"}}
