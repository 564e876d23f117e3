"""``assert``: poll until the cluster (or, without apiVersion/kind, the bindings) match an assertion
tree; success as soon as any candidate matches (reference §2, §3)."""

from __future__ import annotations

import copy
from typing import Any

from chainsaw_py.checks import AssertionHardError, AssertionTree, compile_tree, resource_error_message
from chainsaw_py.client.errors import ApiError, NotFoundError
from chainsaw_py.loading.model import Assert
from chainsaw_py.operations.base import OperationContext, OperationError, Outputs, logged_end
from chainsaw_py.operations.internal import resources
from chainsaw_py.operations.internal.polling import poll
from chainsaw_py.operations.internal.selection import apply_namespace, read_candidates, template_reference
from chainsaw_py.report.console import ObjectRef

REPORT_TYPE = "assert"
TIMEOUT = "assert"


def load(action: Assert, ctx: OperationContext) -> list[Any]:
    return resources.resolve(action.file, action.resource, ctx, manifest=False)


def prepare(expected: dict[str, Any], ctx: OperationContext) -> dict[str, Any]:
    """Template the resource reference and inject the namespace (resource mode only)."""
    obj = template_reference(copy.deepcopy(expected), ctx) if ctx.templating else copy.deepcopy(expected)
    if obj.get("kind"):
        obj = apply_namespace(obj, ctx.require_cluster(), ctx.namespace)
    return obj


def run(action: Assert, expected: dict[str, Any], ctx: OperationContext) -> Outputs:
    with logged_end(ctx, "ASSERT", ObjectRef.of(expected)) as end:
        obj = prepare(expected, ctx)
        end.obj = ObjectRef.of(obj)
        ctx.logger.log("ASSERT", "RUN", end.obj)
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
        errors = _evaluate(obj, tree, ctx) if resource_mode else _evaluate_bindings(tree, ctx)
        last = errors
        return not errors

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


def _evaluate_bindings(tree: AssertionTree, ctx: OperationContext) -> list[str]:
    return [str(e) for e in tree.check(None, ctx.bindings)]


def _evaluate(obj: dict[str, Any], tree: AssertionTree, ctx: OperationContext) -> list[str]:
    cluster = ctx.require_cluster()
    try:
        candidates = read_candidates(obj, cluster)
    except NotFoundError:
        return ["actual resource not found"]
    if not candidates:
        return ["no actual resource found"]
    errors: list[str] = []
    for candidate in candidates:
        field_errors = tree.check(candidate, ctx.bindings)
        if not field_errors:
            return []
        errors.append(resource_error_message(obj, candidate, field_errors, ctx.bindings, ctx.compiler,
                                             template=ctx.templating))
    return errors


def _waker(obj: dict[str, Any], ctx: OperationContext, resource_mode: bool) -> Any:
    """Wake the poll loop as soon as the watched kind changes (when the client offers it)."""
    if not resource_mode or ctx.cluster is None:
        return None
    waiter = getattr(ctx.cluster.client, "change_waiter", None)
    return waiter(str(obj["apiVersion"]), str(obj["kind"])) if waiter else None
