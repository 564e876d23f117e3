"""What ``assert`` and ``error`` share: resource-reference templating and the namespacer, compiling the
tree once, and polling until the check is satisfied or the timeout passes (Chainsaw's
``pkg/engine/operations/assert`` and ``error``)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from chainsaw_py.checks import AssertionHardError, AssertionTree, compile_tree
from chainsaw_py.client.errors import ApiError
from chainsaw_py.operations.base import OperationContext, OperationError, logged_end
from chainsaw_py.operations.internal.polling import change_waker, poll
from chainsaw_py.operations.internal.selection import apply_namespace, template_reference
from chainsaw_py.steplog import ObjectRef

Problems = Callable[[], list[str]]
"""One poll's outcome: empty when the check is satisfied; else a function building the error lines
(built only for the last poll — failure blocks with diffs are costly)."""

Attempt = Callable[[dict[str, Any], AssertionTree, OperationContext], Problems | None]


def prepare(expected: dict[str, Any], ctx: OperationContext) -> dict[str, Any]:
    """Template the resource reference and inject the namespace (resource mode only)."""
    obj = template_reference(copy.deepcopy(expected), ctx) if ctx.templating else copy.deepcopy(expected)
    if obj.get("kind"):
        obj = apply_namespace(obj, ctx.require_cluster(), ctx.namespace)
    return obj


def is_resource_mode(obj: dict[str, Any]) -> bool:
    return bool(obj.get("apiVersion")) and bool(obj.get("kind"))


def run_polled_check(operation: str, expected: dict[str, Any], ctx: OperationContext, attempt: Attempt) -> None:
    """Log ``<OPERATION> RUN obj``, then poll ``attempt`` until it reports no problem (``DONE``) or the
    timeout passes (``ERROR`` with the last problems). Hard errors stop at once."""
    with logged_end(ctx, operation, ObjectRef.of(expected)) as end:
        obj = prepare(expected, ctx)
        end.obj = ObjectRef.of(obj)
        ctx.logger.log(operation, "RUN", end.obj)
        _poll(obj, ctx, attempt)


def _poll(obj: dict[str, Any], ctx: OperationContext, attempt: Attempt) -> None:
    try:
        tree = compile_tree(obj, ctx.compiler)
    except AssertionHardError as err:
        raise OperationError(str(err)) from err
    last: Problems | None = None

    def satisfied() -> bool:
        nonlocal last
        last = attempt(obj, tree, ctx)
        return last is None

    try:
        if poll(satisfied, timeout=ctx.timeout, cancel=ctx.cancel, wake=_waker(obj, ctx)):
            return
        errors = last() if last is not None else []
    except (AssertionHardError, ApiError) as err:
        raise OperationError(str(err)) from err
    if errors:
        raise OperationError.combine(OperationError(e) for e in errors)
    raise OperationError("context deadline exceeded")


def _waker(obj: dict[str, Any], ctx: OperationContext) -> Any:
    if not is_resource_mode(obj) or ctx.cluster is None:
        return None
    return change_waker(ctx.cluster, str(obj["apiVersion"]), str(obj["kind"]))
