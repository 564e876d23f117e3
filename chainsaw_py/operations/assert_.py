"""``assert``: poll until the cluster (or, without apiVersion/kind, the bindings) match an assertion
tree; success as soon as any candidate matches (Chainsaw's ``pkg/engine/operations/assert``; kyverno-json's
``pkg/core/assertion``)."""

from __future__ import annotations

from typing import Any

from chainsaw_py.checks import AssertionTree, resource_error_message
from chainsaw_py.client.errors import NotFoundError
from chainsaw_py.loading.model import Assert
from chainsaw_py.operations.base import OperationContext, Outputs
from chainsaw_py.operations.internal import resources
from chainsaw_py.operations.internal.polled_check import Problems, is_resource_mode, run_polled_check
from chainsaw_py.operations.internal.selection import read_candidates


def load(action: Assert, ctx: OperationContext) -> list[Any]:
    return resources.resolve(action.file, action.resource, ctx, manifest=False)


def run(action: Assert, expected: dict[str, Any], ctx: OperationContext) -> Outputs:
    run_polled_check("ASSERT", expected, ctx, _mismatches)
    return {}


def _mismatches(obj: dict[str, Any], tree: AssertionTree, ctx: OperationContext) -> Problems | None:
    if not is_resource_mode(obj):
        field_errors = tree.check(None, ctx.bindings)
        return (lambda: [str(e) for e in field_errors]) if field_errors else None
    try:
        candidates = read_candidates(obj, ctx.require_cluster())
    except NotFoundError:
        return lambda: ["actual resource not found"]
    if not candidates:
        return lambda: ["no actual resource found"]
    failures = []
    for candidate in candidates:
        field_errors = tree.check(candidate, ctx.bindings)
        if not field_errors:
            return None
        failures.append((candidate, field_errors))
    return lambda: [resource_error_message(obj, candidate, errors, ctx.bindings, ctx.compiler,
                                           template=ctx.templating) for candidate, errors in failures]
