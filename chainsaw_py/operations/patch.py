"""``patch``: merge-patch an existing resource with the whole templated object, optionally a
``subresource`` such as ``status`` (Chainsaw's ``pkg/engine/operations/patch``). A missing
object fails at once; only Conflict, ServerTimeout, TooManyRequests and ServiceUnavailable are retried.
Patched objects are not cleaned up. ``@`` in ``expect``/``outputs`` is the object the server returned (see
``apply``). (``dryRun`` also applies to subresource patches, where Chainsaw's dry-run client forgets it.)"""

from __future__ import annotations

from typing import Any

from chainsaw_py.loading.model import Patch
from chainsaw_py.operations.apply import merge_patch
from chainsaw_py.operations.base import OperationContext, Outputs, logged_end
from chainsaw_py.operations.internal import mutation, resources
from chainsaw_py.steplog import ObjectRef


def load(action: Patch, ctx: OperationContext) -> list[Any]:
    return resources.resolve(action.file, action.resource, ctx, manifest=True)


def run(action: Patch, resource: dict[str, Any], ctx: OperationContext) -> Outputs:
    with logged_end(ctx, "PATCH", ObjectRef.of(resource)) as end:
        ctx.require_cluster()
        obj = mutation.prepare(resource, ctx)
        end.obj = ObjectRef.of(obj)
        ctx.logger.log("PATCH", "RUN", end.obj)
        return mutation.retry(lambda: _attempt(action, obj, ctx), ctx, every_error=False)


def _attempt(action: Patch, obj: dict[str, Any], ctx: OperationContext) -> Outputs:
    meta = obj.get("metadata") or {}
    live = ctx.require_cluster().client.get(str(obj.get("apiVersion") or ""), str(obj.get("kind") or ""),
                                            str(meta.get("namespace") or ""), str(meta.get("name") or ""))
    return merge_patch(action, obj, live, ctx, subresource=action.subresource)
