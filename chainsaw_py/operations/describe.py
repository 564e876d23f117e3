"""``describe``: ``kubectl describe <resource> [<name> | -l <selector>] [-n <ns> | --all-namespaces]
[--show-events=<bool>]`` (Chainsaw's ``pkg/engine/kubectl/describe.go``).

Only kubectl has the per-kind describers, so the real ``kubectl`` runs whenever it is on PATH. Without it,
a native generic describer (kubectl's ``GenericDescriber`` layout: identity lines, every field under a
title-cased label, then the object's events) keeps the operation useful in catch blocks.
"""

from __future__ import annotations

from typing import Any

from chainsaw_py.client.errors import ApiError
from chainsaw_py.loading.model import Describe
from chainsaw_py.operations.base import OperationContext, Outputs
from chainsaw_py.operations.get import no_resources
from chainsaw_py.operations.internal import kubeprint
from chainsaw_py.operations.internal.kubectl import (
    Native,
    Target,
    kubectl_path,
    preparing,
    run_helper,
    target,
)
from chainsaw_py.operations.internal.process import ProcessResult


def load(action: Describe, ctx: OperationContext) -> list[Any]:
    return [None]


def run(action: Describe, payload: Any, ctx: OperationContext) -> Outputs:
    with preparing(ctx):
        tgt = target(ctx, action.api_version, action.kind, name=action.name, namespace=action.namespace,
                     selector=action.selector)
    args = ["describe", tgt.resource.kubectl_name, *tgt.selection_args(), *tgt.scope_args()]
    if action.show_events is not None:
        args.append(f"--show-events={'true' if action.show_events else 'false'}")
    native = None if kubectl_path() is not None else native_describe(ctx, tgt, action.show_events is not False)
    return run_helper(ctx, args, native)


def native_describe(ctx: OperationContext, tgt: Target, show_events: bool) -> Native:
    def native(env: dict[str, str]) -> str | ProcessResult:
        client = ctx.require_cluster().client
        namespace = tgt.effective_namespace(env, ctx)
        resource = tgt.resource
        if tgt.name:
            objects = [client.get(resource.api_version, resource.kind, namespace, tgt.name)]
        else:
            objects = client.list(resource.api_version, resource.kind, namespace, tgt.selector or None)["items"]
            if not objects:
                return ProcessResult("", no_resources(namespace) + "\n", None)
        pages = [kubeprint.describe_generic(obj, _events_for(ctx, obj) if show_events else ()) for obj in objects]
        return "\n\n".join(pages)

    return native


def _events_for(ctx: OperationContext, obj: dict[str, Any]) -> list[dict[str, Any]]:
    meta = obj.get("metadata") or {}
    uid = meta.get("uid")
    if not uid:
        return []
    try:
        listing = ctx.require_cluster().client.list("v1", "Event", str(meta.get("namespace") or ""),
                                                    fields=f"involvedObject.uid={uid}")
    except ApiError:
        return []
    return list(listing.get("items") or [])
