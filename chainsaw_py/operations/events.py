"""``events``: a ``get`` of ``v1/Event`` with the operation's name, namespace, selector and format
(Chainsaw's ``pkg/runner/operations/factory.go``); see ``get`` for when kubectl runs."""

from __future__ import annotations

from typing import Any

from chainsaw_py.loading.model import Events
from chainsaw_py.operations.base import OperationContext, Outputs
from chainsaw_py.operations.get import get


def load(action: Events, ctx: OperationContext) -> list[Any]:
    return [None]


def run(action: Events, payload: Any, ctx: OperationContext) -> Outputs:
    return get(ctx, "v1", "Event", name=action.name, namespace=action.namespace, selector=action.selector,
               output=action.format)
