"""``podLogs``: ``kubectl logs --prefix <name> | -l <selector> -n <ns> --all-containers | -c <container>
[--tail N]`` (Chainsaw's ``pkg/engine/kubectl/logs.go``).

Always native: the logs come from the pods' ``log`` subresource and are printed as kubectl prints them,
each line prefixed with ``[pod/<pod>/<container>] ``; all containers means init containers, containers and
ephemeral containers in that order; with a selector and no ``tail``, kubectl's default of 10 lines applies.
"""

from __future__ import annotations

from typing import Any

from chainsaw_py.loading.model import PodLogs
from chainsaw_py.operations.base import OperationContext, OperationError, Outputs
from chainsaw_py.operations.command import expand
from chainsaw_py.operations.get import no_resources
from chainsaw_py.operations.internal.kubectl import Native, preparing, run_helper, value
from chainsaw_py.operations.internal.process import ProcessResult

SELECTOR_DEFAULT_TAIL = 10


def load(action: PodLogs, ctx: OperationContext) -> list[Any]:
    return [None]


def run(action: PodLogs, payload: Any, ctx: OperationContext) -> Outputs:
    with preparing(ctx):
        ctx.require_cluster()
        name, namespace = value(action.name, ctx), value(action.namespace, ctx)
        selector, container = value(action.selector, ctx), value(action.container, ctx)
        if not name and not selector:
            raise OperationError("a name or selector must be specified")
        if name and selector:
            raise OperationError("name cannot be provided when a selector is specified")
    args = ["logs", "--prefix", *([name] if name else ["-l", selector]), "-n", namespace or "$NAMESPACE"]
    args += ["--all-containers"] if not container else ["-c", container]
    if action.tail is not None:
        args += ["--tail", str(action.tail)]
    return run_helper(ctx, args, native_logs(ctx, name, selector, namespace, container, action.tail))


def native_logs(ctx: OperationContext, name: str, selector: str, namespace: str, container: str,
                tail: int | None) -> Native:
    def native(env: dict[str, str]) -> str | ProcessResult:
        client = ctx.require_cluster().client
        ns = expand(namespace or "$NAMESPACE", env) or str(getattr(ctx.cluster, "default_namespace", "default"))
        if name:
            pods = [client.get("v1", "Pod", ns, name)]
        else:
            pods = client.list("v1", "Pod", ns, selector)["items"]
            if not pods:
                return ProcessResult("", no_resources(ns) + "\n", None)
        lines = tail if tail is not None else (SELECTOR_DEFAULT_TAIL if selector else None)
        out: list[str] = []
        for pod in pods:
            pod_name = str((pod.get("metadata") or {}).get("name") or "")
            for container_name in [container] if container else containers_of(pod):
                text = client.pod_logs(ns, pod_name, container_name, lines)
                out.extend(f"[pod/{pod_name}/{container_name}] {line}\n" for line in text.splitlines())
        return "".join(out)

    return native


def containers_of(pod: dict[str, Any]) -> list[str]:
    spec = pod.get("spec") or {}
    names: list[str] = []
    for key in ("initContainers", "containers", "ephemeralContainers"):
        names.extend(str(c.get("name")) for c in spec.get(key) or [] if isinstance(c, dict) and c.get("name"))
    return names
