"""``update``: replace an existing resource with the whole templated object, ``resourceVersion`` copied
from the live one (Chainsaw's ``pkg/engine/operations/update``). A missing object fails with
``the resource does not exist in the cluster``; only Conflict, ServerTimeout, TooManyRequests and
ServiceUnavailable are retried. Updated objects are not cleaned up."""

from __future__ import annotations

from typing import Any

from chainsaw_py.client.errors import ApiError, NotFoundError
from chainsaw_py.loading.model import Update
from chainsaw_py.operations.apply import with_resource_version
from chainsaw_py.operations.base import OperationContext, OperationError, Outputs, logged_end
from chainsaw_py.operations.internal import mutation, resources
from chainsaw_py.operations.internal.writes import logged
from chainsaw_py.steplog import ObjectRef

DOES_NOT_EXIST = "the resource does not exist in the cluster"


def load(action: Update, ctx: OperationContext) -> list[Any]:
    return resources.resolve(action.file, action.resource, ctx, manifest=True)


def run(action: Update, resource: dict[str, Any], ctx: OperationContext) -> Outputs:
    with logged_end(ctx, "UPDATE", ObjectRef.of(resource)) as end:
        ctx.require_cluster()
        obj = mutation.prepare(resource, ctx)
        end.obj = ObjectRef.of(obj)
        ctx.logger.log("UPDATE", "RUN", end.obj)
        return mutation.retry(lambda: _attempt(action, obj, ctx), ctx, every_error=False)


def _attempt(action: Update, obj: dict[str, Any], ctx: OperationContext) -> Outputs:
    client = ctx.require_cluster().client
    meta = obj.get("metadata") or {}
    try:
        live = client.get(str(obj.get("apiVersion") or ""), str(obj.get("kind") or ""),
                          str(meta.get("namespace") or ""), str(meta.get("name") or ""))
    except NotFoundError as err:
        raise OperationError(DOES_NOT_EXIST) from err
    desired = with_resource_version(obj, live)
    try:
        updated = logged(ctx.logger, "PATCH", desired, lambda: client.update(desired, dry_run=ctx.dry_run),
                         failed_operation="UPDATE")
    except ApiError as err:
        return mutation.conclude(desired, err, action.expect, action.outputs, ctx)
    return mutation.conclude(updated, None, action.expect, action.outputs, ctx)
