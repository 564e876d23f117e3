"""The module implementing each operation kind, imported when an operation of that kind first runs (a run
imports only the operations it uses: issue 14's start-up), and typed: every module listed in
``_TYPED`` must satisfy :class:`~chainsaw_py.operations.base.OperationModule` (mypy checks it).

Adding an operation = a row in ``loading.model.OPERATION_KINDS``, its model dataclass, its module (see
``operations/base.py``) and the module listed in ``_TYPED``.
"""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING, cast

from chainsaw_py.loading.model import OPERATION_KINDS
from chainsaw_py.operations.base import OperationModule

if TYPE_CHECKING:
    from chainsaw_py.operations import (
        apply,
        assert_,
        command,
        create,
        delete,
        describe,
        error,
        events,
        get,
        patch,
        pod_logs,
        proxy,
        python_,
        script,
        sleep,
        update,
        wait,
    )

    _TYPED: dict[str, OperationModule] = {
        "apply": apply, "assert_": assert_, "command": command, "create": create, "delete": delete,
        "describe": describe, "error": error, "events": events, "get": get, "patch": patch, "pod_logs": pod_logs,
        "proxy": proxy, "python_": python_, "script": script, "sleep": sleep, "update": update, "wait": wait,
    }

MODULE_NAMES: frozenset[str] = frozenset(kind.module for kind in OPERATION_KINDS.values())
"""Operation module names (``OperationKind.module``); each is ``chainsaw_py.operations.<name>``."""

_LOADED: dict[str, OperationModule] = {}
_LOCK = threading.Lock()  # tests run in parallel threads: one import per module


def load_module(name: str) -> OperationModule:
    """The operation module ``name`` (one of ``MODULE_NAMES``), imported on first use."""
    loaded = _LOADED.get(name)
    if loaded is not None:
        return loaded
    if name not in MODULE_NAMES:
        raise KeyError(f"unknown operation module {name!r}")
    with _LOCK:
        if name not in _LOADED:
            _LOADED[name] = cast(OperationModule, importlib.import_module(f"chainsaw_py.operations.{name}"))
        return _LOADED[name]


def operation_module(kind: str) -> OperationModule:
    """The module implementing the operation ``kind`` (its YAML key, e.g. ``podLogs``)."""
    try:
        module = OPERATION_KINDS[kind].module
    except KeyError:
        raise KeyError(f"unknown operation {kind!r}") from None
    return load_module(module)
