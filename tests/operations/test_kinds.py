"""The one table of operation kinds drives the model, the schemas, the registry and the runner."""

from __future__ import annotations

import sys

from chainsaw_py.loading.model import ACTION_TYPES, CATCH_FINALLY_TYPES, OPERATION_KINDS
from chainsaw_py.loading.schema_source import CATCH_OPERATIONS, EXTENSION_OPERATIONS, TRY_OPERATIONS
from chainsaw_py.operations.registry import MODULES, operation_module


def test_every_kind_has_its_module() -> None:
    assert {kind.module for kind in OPERATION_KINDS.values()} == set(MODULES)
    for key, kind in OPERATION_KINDS.items():
        assert operation_module(key) is MODULES[kind.module]
        assert sys.modules[f"chainsaw_py.operations.{kind.module}"] is MODULES[kind.module]


def test_the_model_and_the_schemas_read_the_table() -> None:
    assert list(ACTION_TYPES) == TRY_OPERATIONS == list(OPERATION_KINDS)
    assert sorted(CATCH_FINALLY_TYPES) == sorted(CATCH_OPERATIONS)
    assert EXTENSION_OPERATIONS == ["python"]
