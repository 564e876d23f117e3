"""The one table of operation kinds drives the model, the schemas, the registry and the runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chainsaw_py.loading.model import ACTION_TYPES, CATCH_FINALLY_TYPES, OPERATION_KINDS
from chainsaw_py.loading.schema_source import CATCH_OPERATIONS, EXTENSION_OPERATIONS, TRY_OPERATIONS
from chainsaw_py.operations import registry
from chainsaw_py.operations.registry import MODULE_NAMES, load_module, operation_module


def test_every_kind_has_its_module() -> None:
    for key, kind in OPERATION_KINDS.items():
        module = operation_module(key)
        assert module is load_module(kind.module) is sys.modules[f"chainsaw_py.operations.{kind.module}"]
        assert callable(module.run)


def test_every_module_is_typed_by_the_registry() -> None:
    """mypy checks the modules listed in the registry's ``_TYPED`` against ``OperationModule``."""
    source = Path(registry.__file__).read_text(encoding="utf-8")
    assert all(f'"{name}": {name},' in source for name in MODULE_NAMES)


def test_unknown_kinds_and_modules_are_refused() -> None:
    with pytest.raises(KeyError, match="unknown operation 'nope'"):
        operation_module("nope")
    with pytest.raises(KeyError, match="unknown operation module 'os'"):
        load_module("os")


def test_operation_modules_are_imported_when_first_used() -> None:
    code = ("import sys; from chainsaw_py.runner import runner; from chainsaw_py.operations.registry import "
            "operation_module; before = sorted(m for m in sys.modules if m.startswith('chainsaw_py.operations.') "
            "and m.rsplit('.', 1)[1] in {'apply', 'script', 'wait', 'python_'}); operation_module('script'); "
            "print(before, 'chainsaw_py.operations.script' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert result.stdout.split() == ["[]", "True"]


def test_the_model_and_the_schemas_read_the_table() -> None:
    assert list(ACTION_TYPES) == TRY_OPERATIONS == list(OPERATION_KINDS)
    assert sorted(CATCH_FINALLY_TYPES) == sorted(CATCH_OPERATIONS)
    assert EXTENSION_OPERATIONS == ["python"]
