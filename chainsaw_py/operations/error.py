"""``error``: the mirror of ``assert`` — poll until no candidate matches the tree (Chainsaw's
``pkg/engine/operations/error``)."""

from __future__ import annotations

from typing import Any

from chainsaw_py.checks import EXPECTATION_MATCHED, AssertionTree, resource_matched_message
from chainsaw_py.client.errors import NotFoundError
from chainsaw_py.loading.model import Error
from chainsaw_py.operations.base import OperationContext, Outputs
from chainsaw_py.operations.internal import resources
from chainsaw_py.operations.internal.polled_check import Problems, is_resource_mode, run_polled_check
from chainsaw_py.operations.internal.selection import read_candidates


def load(action: Error, ctx: OperationContext) -> list[Any]:
    return resources.resolve(action.file, action.resource, ctx, manifest=False)


def run(action: Error, expected: dict[str, Any], ctx: OperationContext) -> Outputs:
    run_polled_check("ERROR", expected, ctx, _matches)
    return {}


def _matches(obj: dict[str, Any], tree: AssertionTree, ctx: OperationContext) -> Problems | None:
    if not is_resource_mode(obj):
        return None if tree.check(None, ctx.bindings) else (lambda: [EXPECTATION_MATCHED])
    try:
        candidates = read_candidates(obj, ctx.require_cluster())
    except NotFoundError:
        return None
    matching = [candidate for candidate in candidates if not tree.check(candidate, ctx.bindings)]
    return (lambda: [resource_matched_message(candidate) for candidate in matching]) if matching else None
