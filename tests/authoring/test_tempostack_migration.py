"""The kuttl files of the original tempostack-aws folder convert to a test equivalent to its chainsaw-test.yaml.

"Equivalent" means, precisely:

- the same test name and the same steps (names, in order);
- in each step, the same ``try`` operations in the same order: same kind, and same content once the
  operation ``timeout`` is set aside (same ``file`` for apply/assert, same ``content`` for scripts);
- the only differences allowed are what kuttl's files never had: operation timeouts and the step's
  ``catch``/``finally``/``cleanup`` diagnostics of the original, and its ``creationTimestamp: null``
  (an artefact of an older upstream migration) — the converted test has none of these.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from chainsaw_py.loading import load_test_file, model
from chainsaw_py.yamldocs import load_documents
from tests.authoring.conftest import TEMPOSTACK, Cli

pytestmark = pytest.mark.skipif(not TEMPOSTACK.is_dir(), reason="../shared reference folder is not available")


def _operation_core(operation: model.Operation) -> tuple[str, dict[str, Any]]:
    action = operation.action.to_dict()
    action.pop("timeout", None)
    return operation.type, action


def _shape(test: model.Test) -> list[tuple[str, list[tuple[str, dict[str, Any]]]]]:
    return [(step.name, [_operation_core(operation) for operation in step.try_]) for step in test.spec.steps]


@pytest.fixture
def converted(tmp_path: Path, cli: Cli) -> model.Test:
    folder = tmp_path / "tempostack-aws"
    folder.mkdir()
    for source in sorted(TEMPOSTACK.glob("[0-9]*-*.yaml")):
        shutil.copyfile(source, folder / source.name)
    result = cli("migrate", "kuttl", "tests", "tempostack-aws", "--save")
    assert result.code == 0, result.err
    (test,) = load_test_file(folder / "chainsaw-test.yaml")
    return test


def test_same_name_steps_and_operations(converted: model.Test) -> None:
    (original,) = load_test_file(TEMPOSTACK / "chainsaw-test.yaml")
    assert converted.name == original.name == "tempostack-aws"
    assert _shape(converted) == _shape(original)


def test_differences_are_only_what_kuttl_never_had(converted: model.Test) -> None:
    (original,) = load_test_file(TEMPOSTACK / "chainsaw-test.yaml")
    for mine, theirs in zip(converted.spec.steps, original.spec.steps, strict=True):
        assert not (mine.catch or mine.finally_ or mine.cleanup)
        assert all(operation.action.timeout is None for operation in mine.try_)
        stripped = [_operation_core(operation) for operation in theirs.try_]
        assert stripped == [_operation_core(operation) for operation in mine.try_]
    (raw_original,) = load_documents((TEMPOSTACK / "chainsaw-test.yaml").read_text())
    assert raw_original["metadata"] == {"name": "tempostack-aws", "creationTimestamp": None}
    assert converted.metadata.to_dict() == {"name": "tempostack-aws"}


def test_the_bucket_step_runs_the_kuttl_script(converted: model.Test) -> None:
    first = converted.spec.steps[0]
    assert [operation.type for operation in first.try_] == ["script", "assert"]
    assert first.try_[0].action.content == "./create-bucket.sh"
