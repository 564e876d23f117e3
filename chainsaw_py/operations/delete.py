"""``delete``: delete what a ``ref`` or a ``file`` designates and wait until it is gone
(Chainsaw's ``pkg/engine/operations/delete``).

The object is templated and namespaced like a write; with a name it is read with GET, otherwise with
LIST (namespace and label selector). Nothing found is success. Each candidate is deleted with the
propagation policy and checked with ``expect`` (``$error`` bound); then every deleted object is polled
(every 50 ms) until it is gone, all within the delete timeout.
"""

from __future__ import annotations

from typing import Any

from chainsaw_py.client.errors import ApiError, NotFoundError
from chainsaw_py.loading.model import Delete
from chainsaw_py.operations.base import (
    CancelToken,
    ClusterHandle,
    OperationContext,
    OperationError,
    Outputs,
    logged_end,
)
from chainsaw_py.operations.internal import mutation, resources
from chainsaw_py.operations.internal.polling import change_waker, poll
from chainsaw_py.operations.internal.selection import read_candidates
from chainsaw_py.operations.internal.writes import logged
from chainsaw_py.steplog import ObjectRef


def load(action: Delete, ctx: OperationContext) -> list[Any]:
    if action.ref is not None:
        return [reference_object(action)]
    return resources.resolve(action.file, None, ctx, manifest=True)


def reference_object(action: Delete) -> dict[str, Any]:
    """The object a ``ref`` designates (its fields are templated later, with the operation's bindings)."""
    ref = action.ref
    assert ref is not None
    metadata: dict[str, Any] = {}
    if ref.name:
        metadata["name"] = ref.name
    if ref.namespace:
        metadata["namespace"] = ref.namespace
    if ref.labels:
        metadata["labels"] = dict(ref.labels)
    obj: dict[str, Any] = {"apiVersion": ref.api_version, "kind": ref.kind}
    if metadata:
        obj["metadata"] = metadata
    return obj


def run(action: Delete, resource: dict[str, Any], ctx: OperationContext) -> Outputs:
    with logged_end(ctx, "DELETE", ObjectRef.of(resource)) as end:
        ctx.require_cluster()
        obj = mutation.prepare(resource, ctx, force_grace=False)
        end.obj = ObjectRef.of(obj)
        ctx.logger.log("DELETE", "RUN", end.obj)
        _execute(action, obj, ctx)
    return {}


def _execute(action: Delete, obj: dict[str, Any], ctx: OperationContext) -> None:
    cluster = ctx.require_cluster()
    try:
        candidates = read_candidates(obj, cluster)
    except NotFoundError:
        return
    errors: list[OperationError] = []
    deleted: list[dict[str, Any]] = []
    for candidate in candidates:
        error = _delete(candidate, ctx)
        if error is None:
            deleted.append(candidate)
        try:
            mutation.conclude(candidate, error, action.expect, [], ctx)
        except (ApiError, OperationError) as err:
            errors.append(mutation.as_operation_error(err))
    for candidate in deleted:
        try:
            wait_until_gone(candidate, ctx)
        except OperationError as err:
            errors.append(err)
    if errors:
        raise OperationError.combine(errors)


def _delete(candidate: dict[str, Any], ctx: OperationContext) -> ApiError | None:
    client = ctx.require_cluster().client
    meta = candidate.get("metadata") or {}
    try:
        logged(ctx.logger, "DELETE", candidate, lambda: client.delete(
            str(candidate.get("apiVersion") or ""), str(candidate.get("kind") or ""),
            str(meta.get("namespace") or ""), str(meta.get("name") or ""),
            propagation=ctx.deletion_propagation))
    except NotFoundError:
        return None
    except ApiError as err:
        return err
    return None


def wait_until_gone(obj: dict[str, Any], ctx: OperationContext) -> None:
    """Poll GET (at once, then every 50 ms) until NotFound, within the operation's timeout."""
    try:
        if not poll_until_gone(ctx.require_cluster(), obj, ctx.timeout, ctx.cancel):
            raise OperationError("context deadline exceeded")
    except ApiError as err:
        raise OperationError(str(err)) from err


def poll_until_gone(cluster: ClusterHandle, obj: dict[str, Any], timeout: float | None, cancel: CancelToken) -> bool:
    """True once GET says NotFound; False when ``timeout`` passes first (also used by the cleaner)."""
    client = cluster.client
    meta = obj.get("metadata") or {}
    api_version, kind = str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")
    namespace, name = str(meta.get("namespace") or ""), str(meta.get("name") or "")

    def gone() -> bool:
        try:
            client.get(api_version, kind, namespace, name)
        except NotFoundError:
            return True
        return False

    return poll(gone, timeout=timeout, cancel=cancel, wake=change_waker(cluster, api_version, kind))

