"""``error``: the mirror of ``assert`` — poll until no candidate matches the tree (reference §2)."""

from __future__ import annotations

from typing import Any

from chainsaw_py.checks import (
    EXPECTATION_MATCHED,
    AssertionHardError,
    AssertionTree,
    compile_tree,
    resource_matched_message,
)
from chainsaw_py.client.errors import ApiError, NotFoundError
from chainsaw_py.loading.model import Error
from chainsaw_py.operations.assert_ import _waker, prepare
from chainsaw_py.operations.base import OperationContext, OperationError, Outputs, logged_end
from chainsaw_py.operations.internal import resources
from chainsaw_py.operations.internal.polling import poll
from chainsaw_py.operations.internal.selection import read_candidates
from chainsaw_py.report.console import ObjectRef

REPORT_TYPE = "error"
TIMEOUT = "error"


def load(action: Error, ctx: OperationContext) -> list[Any]:
    return resources.resolve(action.file, action.resource, ctx, manifest=False)


def run(action: Error, expected: dict[str, Any], ctx: OperationContext) -> Outputs:
    with logged_end(ctx, "ERROR", ObjectRef.of(expected)) as end:
        obj = prepare(expected, ctx)
        end.obj = ObjectRef.of(obj)
        ctx.logger.log("ERROR", "RUN", end.obj)
        _execute(obj, ctx)
    return {}


def _execute(obj: dict[str, Any], ctx: OperationContext) -> None:
    last: list[str] = []
    resource_mode = bool(obj.get("apiVersion")) and bool(obj.get("kind"))

    try:
        tree = compile_tree(obj, ctx.compiler)
    except AssertionHardError as err:
        raise OperationError(str(err)) from err

    def attempt() -> bool:
        nonlocal last
        last = _matches(obj, tree, ctx) if resource_mode else _matches_bindings(tree, ctx)
        return not last

    try:
        if poll(attempt, timeout=ctx.timeout, cancel=ctx.cancel, wake=_waker(obj, ctx, resource_mode)):
            return
    except AssertionHardError as err:
        raise OperationError(str(err)) from err
    except ApiError as err:
        raise OperationError(str(err)) from err
    if last:
        raise OperationError.combine(OperationError(e) for e in last)
    raise OperationError("context deadline exceeded")


def _matches_bindings(tree: AssertionTree, ctx: OperationContext) -> list[str]:
    return [] if tree.check(None, ctx.bindings) else [EXPECTATION_MATCHED]


def _matches(obj: dict[str, Any], tree: AssertionTree, ctx: OperationContext) -> list[str]:
    try:
        candidates = read_candidates(obj, ctx.require_cluster())
    except NotFoundError:
        return []
    return [resource_matched_message(candidate) for candidate in candidates
            if not tree.check(candidate, ctx.bindings)]
