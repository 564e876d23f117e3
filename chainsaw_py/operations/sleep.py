"""``sleep``: wait for ``duration`` (no timeout applies; an interrupt ends it early)."""

from __future__ import annotations

from typing import Any

from chainsaw_py.golang.durations import parse_duration
from chainsaw_py.loading.model import Sleep
from chainsaw_py.operations.base import Interrupted, OperationContext, Outputs, logged_end


def load(action: Sleep, ctx: OperationContext) -> list[Any]:
    return [None]


def run(action: Sleep, payload: Any, ctx: OperationContext) -> Outputs:
    with logged_end(ctx, "SLEEP"):
        ctx.logger.log("SLEEP", "RUN")
        if ctx.cancel.wait(parse_duration(action.duration)):
            raise Interrupted()
    return {}
