"""The module implementing each operation kind, typed: every module listed here must satisfy
:class:`~chainsaw_py.operations.base.OperationModule` (mypy checks it).

Adding an operation = a row in ``loading.model.OPERATION_KINDS``, its model dataclass, its module (see
``operations/base.py``) and the module listed here.
"""

from __future__ import annotations

from chainsaw_py.loading.model import OPERATION_KINDS
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
from chainsaw_py.operations.base import OperationModule

MODULES: dict[str, OperationModule] = {
    "apply": apply, "assert_": assert_, "command": command, "create": create, "delete": delete,
    "describe": describe, "error": error, "events": events, "get": get, "patch": patch, "pod_logs": pod_logs,
    "proxy": proxy, "python_": python_, "script": script, "sleep": sleep, "update": update, "wait": wait,
}
"""Operation modules by module name (``OperationKind.module``)."""


def operation_module(kind: str) -> OperationModule:
    """The module implementing the operation ``kind`` (its YAML key, e.g. ``podLogs``)."""
    try:
        return MODULES[OPERATION_KINDS[kind].module]
    except KeyError:
        raise KeyError(f"unknown operation {kind!r}") from None
