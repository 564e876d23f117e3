"""``apply``: create the resource, or merge-patch it with the whole desired object
(Chainsaw's ``pkg/engine/operations/apply``).

Each attempt GETs the object: when it is missing it is CREATEd (and registered for cleanup), otherwise
a JSON merge patch of the full desired object, with ``resourceVersion`` set to the live one, is sent.
Every error is retried every 50 ms until the apply timeout, unless ``expect`` consumed it or the answer
cannot change (400, 403, 422: Chainsaw retries those too; chainsaw_py fails at once). ``@`` in
``expect``/``outputs`` is the object the server returned (the desired object when the write failed).
Chainsaw binds the desired object on its patch path; the server's object holds all of it plus what the
server added (uid, defaults, status) — except that a Secret's ``stringData`` comes back as ``data``.
"""

from __future__ import annotations

import copy
from typing import Any

from chainsaw_py.client.errors import ApiError, NotFoundError
from chainsaw_py.loading.model import Apply
from chainsaw_py.operations.base import OperationContext, Outputs, logged_end
from chainsaw_py.operations.internal import mutation, resources
from chainsaw_py.operations.internal.writes import logged
from chainsaw_py.steplog import ObjectRef


def load(action: Apply, ctx: OperationContext) -> list[Any]:
    return resources.resolve(action.file, action.resource, ctx, manifest=True)


def run(action: Apply, resource: dict[str, Any], ctx: OperationContext) -> Outputs:
    with logged_end(ctx, "APPLY", ObjectRef.of(resource)) as end:
        ctx.require_cluster()
        obj = mutation.prepare(resource, ctx)
        end.obj = ObjectRef.of(obj)
        ctx.logger.log("APPLY", "RUN", end.obj)
        return mutation.retry(lambda: _attempt(action, obj, ctx), ctx, every_error=True)


def _attempt(action: Apply, obj: dict[str, Any], ctx: OperationContext) -> Outputs:
    client = ctx.require_cluster().client
    meta = obj.get("metadata") or {}
    try:
        live = client.get(str(obj.get("apiVersion") or ""), str(obj.get("kind") or ""),
                          str(meta.get("namespace") or ""), str(meta.get("name") or ""))
    except NotFoundError:
        return create(action, obj, ctx)
    return merge_patch(action, obj, live, ctx)


def create(action: Apply, obj: dict[str, Any], ctx: OperationContext) -> Outputs:
    cluster = ctx.require_cluster()
    try:
        created = logged(ctx.logger, "CREATE", obj, lambda: cluster.client.create(obj, dry_run=ctx.dry_run))
    except ApiError as err:
        return mutation.conclude(obj, err, action.expect, action.outputs, ctx)
    if ctx.cleaner is not None:
        ctx.cleaner.add(cluster, created)
    return mutation.conclude(created, None, action.expect, action.outputs, ctx)


def merge_patch(action: Apply, obj: dict[str, Any], live: dict[str, Any], ctx: OperationContext,
                subresource: str = "") -> Outputs:
    """Merge-patch ``live`` with the whole desired ``obj`` (``resourceVersion`` = the live one)."""
    client = ctx.require_cluster().client
    body = with_resource_version(obj, live)
    try:
        patched = logged(ctx.logger, "PATCH", live, lambda: client.patch(
            live, body, patch_type="merge", dry_run=ctx.dry_run, subresource=subresource))
    except ApiError as err:
        return mutation.conclude(obj, err, action.expect, action.outputs, ctx)
    return mutation.conclude(patched, None, action.expect, action.outputs, ctx)


def with_resource_version(obj: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(obj)
    metadata = body.setdefault("metadata", {})
    resource_version = (live.get("metadata") or {}).get("resourceVersion")
    if resource_version:
        metadata["resourceVersion"] = resource_version
    else:
        metadata.pop("resourceVersion", None)
    return body
