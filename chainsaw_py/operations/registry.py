"""Operation kinds and the module implementing each (``operations/<kind>.py``).

Adding an operation = writing its module (see ``operations/base.py`` for the interface) and listing it
here under its YAML key.
"""

from __future__ import annotations

import importlib
from types import ModuleType

MODULES: dict[str, str] = {
    "apply": "apply",
    "assert": "assert_",
    "command": "command",
    "create": "create",
    "delete": "delete",
    "describe": "describe",
    "error": "error",
    "events": "events",
    "get": "get",
    "patch": "patch",
    "podLogs": "pod_logs",
    "proxy": "proxy",
    "python": "python_",
    "script": "script",
    "sleep": "sleep",
    "update": "update",
    "wait": "wait",
}


def operation_module(kind: str) -> ModuleType:
    """The module implementing the operation ``kind`` (its YAML key, e.g. ``podLogs``)."""
    try:
        name = MODULES[kind]
    except KeyError:
        raise KeyError(f"unknown operation {kind!r}") from None
    return importlib.import_module(f"chainsaw_py.operations.{name}")
