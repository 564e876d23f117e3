"""Chainsaw's example suite and the upstream TempoStack folder load and validate."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainsaw_py.loading import discover_tests, load_test_file

from .conftest import CORPUS, TEMPOSTACK, requires_shared

pytestmark = requires_shared


def _corpus_files() -> list[Path]:
    return sorted([*CORPUS.rglob("chainsaw-test.yaml"), *CORPUS.rglob("chainsaw-test.yml")])


def test_every_corpus_test_is_discovered() -> None:
    found = discover_tests([str(CORPUS)])
    files = {item.file.resolve() for item in found}
    assert files == {path.resolve() for path in _corpus_files()}
    assert len(_corpus_files()) == 41
    assert len(found) == 44  # apply-outputs, delete and scenarios hold two tests each
    by_folder: dict[str, list[str]] = {}
    for item in found:
        by_folder.setdefault(item.base_path.name, []).append(item.test.name)
        assert item.test.base_path == item.base_path and item.test.file == item.file
        assert all(step.use is None for step in item.test.spec.steps)
    assert by_folder["apply-outputs"] == ["apply-outputs-1", "apply-outputs-2"]
    assert by_folder["scenarios"] == ["scenarios", "scenarios-bindings"]
    assert by_folder["timeout"] == ["timeout"]  # chainsaw-test.yml


@pytest.mark.parametrize("path", _corpus_files() if CORPUS.is_dir() else [], ids=lambda p: p.parent.name)
def test_each_corpus_file_loads(path: Path) -> None:
    tests = load_test_file(path)
    assert tests and all(test.spec.steps for test in tests)


def test_yaml_anchors_and_merge_keys() -> None:
    (test,) = load_test_file(CORPUS / "yaml-anchors" / "chainsaw-test.yaml")
    assert test.name == "yaml-anchors" and test.spec.namespace == "default"
    step = test.spec.steps[0]
    assert step.name == "yaml-anchors"
    applied = step.try_[0].action.resource
    asserted = step.try_[1].action.resource
    assert applied["metadata"] == {"name": "yaml-anchors", "namespace": "default"}
    assert asserted["apiVersion"] == "v1" and asserted["kind"] == "Pod"
    assert asserted["metadata"] == applied["metadata"]
    assert asserted["spec"] == {"restartPolicy": "Always"}  # the explicit key replaces the merged one
    assert step.try_[1].action.timeout == "1s"


def test_step_templates_are_resolved() -> None:
    (test,) = load_test_file(CORPUS / "step-template" / "chainsaw-test.yaml")
    (step,) = test.spec.steps
    assert [binding.name for binding in step.bindings][-1] == "file"
    assert [operation.type for operation in step.try_] == ["apply", "assert"]
    (test,) = load_test_file(CORPUS / "step-template-bindings" / "chainsaw-test.yaml")
    first = test.spec.steps[0]
    assert [(binding.name, binding.value) for binding in first.bindings] == [
        ("input", "from-template"), ("input", "from-test")]


def test_scenarios_are_kept() -> None:
    tests = load_test_file(CORPUS / "scenarios" / "chainsaw-test.yaml")
    assert [[scenario.bindings[0].value for scenario in test.spec.scenarios] for test in tests] == [
        ["hello", "goodbye"], ["", ""]]
    assert tests[1].spec.cluster == "($cluster)"


def test_tempostack_folder_loads_its_test_file() -> None:
    (found,) = discover_tests([str(TEMPOSTACK)])
    assert found.test.name == "tempostack-aws"
    assert [step.name for step in found.test.spec.steps] == ["step-00", "step-01", "step-02", "step-03"]
    assert found.test.spec.steps[0].try_[0].action.timeout == "5m"
    assert [op.type for op in found.test.spec.steps[1].catch] == ["get", "podLogs"]


def test_tempostack_numbered_files_fallback() -> None:
    (found,) = discover_tests([str(TEMPOSTACK)], test_file="no-such-test-file")
    assert found.test.name == "tempostack-aws-upstream"
    steps = [(step.name, [(op.type, op.action.file) for op in step.try_]) for step in found.test.spec.steps]
    assert steps == [
        ("step-00", [("apply", "00-object-store-bucket.yaml"), ("assert", "00-assert.yaml")]),
        ("step-01", [("apply", "01-install-tempostack.yaml"), ("assert", "01-assert.yaml")]),
        ("step-02", [("apply", "02-generate-traces.yaml"), ("assert", "02-assert.yaml")]),
        ("step-03", [("apply", "03-verify-traces.yaml"), ("assert", "03-assert.yaml")]),
    ]


@pytest.mark.parametrize("path", _corpus_files() if CORPUS.is_dir() else [], ids=lambda p: p.parent.name)
def test_lint_accepts_each_corpus_file(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from chainsaw_py.cli import main

    code = main(["lint", "test", "-f", str(path)])
    captured = capsys.readouterr()
    if path.suffix == ".yml":  # Chainsaw's lint only takes .json and .yaml
        assert code == 1 and captured.err == "Error: unsupported file format: .yml\n"
    else:
        assert (code, captured.out) == (0, "Processing input...\nThe document is valid\n")
