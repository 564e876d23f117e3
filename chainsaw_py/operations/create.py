"""``create``: create the resource; fail at once if it already exists (Chainsaw's
``pkg/engine/operations/create``). A failed CREATE goes to ``expect`` when there is one; only Conflict,
ServerTimeout, TooManyRequests and ServiceUnavailable are retried."""

from __future__ import annotations

from typing import Any

from chainsaw_py.client.errors import ApiError, NotFoundError
from chainsaw_py.loading.model import Create
from chainsaw_py.operations.base import OperationContext, OperationError, Outputs, logged_end
from chainsaw_py.operations.internal import mutation, resources
from chainsaw_py.operations.internal.writes import logged
from chainsaw_py.steplog import ObjectRef

ALREADY_EXISTS = "the resource already exists in the cluster"


def load(action: Create, ctx: OperationContext) -> list[Any]:
    return resources.resolve(action.file, action.resource, ctx, manifest=True)


def run(action: Create, resource: dict[str, Any], ctx: OperationContext) -> Outputs:
    with logged_end(ctx, "CREATE", ObjectRef.of(resource)) as end:
        ctx.require_cluster()
        obj = mutation.prepare(resource, ctx)
        end.obj = ObjectRef.of(obj)
        ctx.logger.log("CREATE", "RUN", end.obj)
        return mutation.retry(lambda: _attempt(action, obj, ctx), ctx, every_error=False)


def _attempt(action: Create, obj: dict[str, Any], ctx: OperationContext) -> Outputs:
    cluster = ctx.require_cluster()
    meta = obj.get("metadata") or {}
    try:
        cluster.client.get(str(obj.get("apiVersion") or ""), str(obj.get("kind") or ""),
                           str(meta.get("namespace") or ""), str(meta.get("name") or ""))
    except NotFoundError:
        pass
    else:
        raise OperationError(ALREADY_EXISTS)
    try:
        created = logged(ctx.logger, "CREATE", obj, lambda: cluster.client.create(obj, dry_run=ctx.dry_run))
    except ApiError as err:
        if action.expect:
            return mutation.conclude(obj, err, action.expect, action.outputs, ctx)
        if err.already_exists:
            raise OperationError(ALREADY_EXISTS) from err
        raise
    if ctx.cleaner is not None:
        ctx.cleaner.add(cluster, created)
    return mutation.conclude(created, None, action.expect, action.outputs, ctx)
