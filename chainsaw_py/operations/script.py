"""``script``: run ``content`` with a shell (``sh -c`` by default) (Chainsaw's ``pkg/engine/operations/script``)."""

from __future__ import annotations

from typing import Any

from chainsaw_py.loading.model import Script
from chainsaw_py.operations.base import OperationContext, Outputs
from chainsaw_py.operations.internal.execution import execute


def load(action: Script, ctx: OperationContext) -> list[Any]:
    return [None]


def run(action: Script, payload: Any, ctx: OperationContext) -> Outputs:
    shell = action.shell or "sh"
    shell_args = action.shell_args if action.shell_args else ["-c"]
    return execute(action, lambda _env: [shell, *shell_args, action.content], "SCRIPT", ctx)
