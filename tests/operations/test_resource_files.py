"""Resource files read by operations (``file:`` of apply, assert, error...) are converted the way Chainsaw's
``yaml.ToJSON`` does (go-yaml v2, non-strict): a key repeated in one mapping keeps its last value, where
test and configuration files reject it."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainsaw_py.errors import LoadError
from chainsaw_py.loading.model import Assert
from chainsaw_py.operations import assert_
from chainsaw_py.operations.base import OperationError
from chainsaw_py.operations.internal.resources import load_glob
from chainsaw_py.yamldocs import parse_documents
from tests.operations.harness import Harness, configmap

# two objects written one after the other without a `---` between them: every top-level key repeats
RUN_TOGETHER = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: first
data:
  foo: one

apiVersion: v1
kind: ConfigMap
metadata:
  name: second
data:
  foo: two
  nested: {a: 1, a: 2}
"""


def test_a_repeated_key_keeps_its_last_value(tmp_path: Path) -> None:
    (tmp_path / "resources.yaml").write_text(RUN_TOGETHER)
    assert load_glob(str(tmp_path / "resources.yaml"), manifest=True) == [{
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "second"},
        "data": {"foo": "two", "nested": {"a": 2}},
    }]


def test_test_files_still_reject_a_repeated_key() -> None:
    with pytest.raises(LoadError, match='duplicate key "apiVersion" in mapping'):
        parse_documents(RUN_TOGETHER, "chainsaw-test.yaml")


def test_assert_file_checks_the_last_object(harness: Harness) -> None:
    (harness.base_path / "assert.yaml").write_text(RUN_TOGETHER.replace("  nested: {a: 1, a: 2}\n", ""))
    action = Assert(file="assert.yaml")
    [expected] = assert_.load(action, harness.ctx())
    assert expected["metadata"] == {"name": "second"}
    harness.apply(configmap("first", foo="one"))
    with pytest.raises(OperationError, match="actual resource not found"):
        assert_.run(action, expected, harness.ctx(timeout=0.3))
    harness.apply(configmap("second", foo="two"))
    assert_.run(action, expected, harness.ctx())
