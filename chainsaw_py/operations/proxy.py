"""``proxy``: ``kubectl get --raw /api/v1/namespaces/<ns>/<resource>/<name>:<port>/proxy/<path>``
(Chainsaw's ``pkg/engine/kubectl/proxy.go``); the namespace is not defaulted, as upstream.

Always native: the response body of the API server's proxy is the command's stdout, so ``outputs`` can
read ``$stdout`` (e.g. ``x_metrics_decode($stdout)``).
"""

from __future__ import annotations

import posixpath
from typing import Any

from chainsaw_py.loading.model import Proxy
from chainsaw_py.operations.base import OperationContext, Outputs
from chainsaw_py.operations.internal.kubectl import Native, map_resource, preparing, run_helper, value


def load(action: Proxy, ctx: OperationContext) -> list[Any]:
    return [None]


def run(action: Proxy, payload: Any, ctx: OperationContext) -> Outputs:
    with preparing(ctx):
        name, namespace = value(action.name, ctx), value(action.namespace, ctx)
        path, port = value(action.path, ctx), value(action.port, ctx)
        resource = map_resource(ctx, action.api_version, action.kind)
    url = go_path_join("/api", "v1", "namespaces", namespace, resource.kubectl_name, f"{name}:{port}", "proxy", path)
    return run_helper(ctx, ["get", "--raw", url], native_proxy(ctx, url), outputs=action.outputs)


def go_path_join(*elements: str) -> str:
    """Go's ``path.Join``: empty elements are dropped and the result is cleaned."""
    joined = "/".join(element for element in elements if element)
    return posixpath.normpath(joined) if joined else ""


def native_proxy(ctx: OperationContext, url: str) -> Native:
    def native(env: dict[str, str]) -> str:
        return ctx.require_cluster().client.raw_get(url).decode(errors="replace")

    return native
