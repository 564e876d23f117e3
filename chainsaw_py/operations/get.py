"""``get``: ``kubectl get <resource> [<name> | -l <selector>] [-n <ns> | --all-namespaces] [-o <format>]``
(Chainsaw's ``pkg/engine/kubectl/get.go``), reported as ``command`` and logged as ``CMD``.

Which implementation runs:
- ``-o json``, ``yaml``, ``name`` and ``jsonpath=...``: native, over the API (the output is kubectl's
  printers', byte for byte);
- the human-readable table (no format, ``wide``) and any other format (``custom-columns``,
  ``go-template``, ...): the real ``kubectl`` when it is on PATH, as Chainsaw runs it; without kubectl the
  table is rendered natively from the server's ``Table`` (the same columns and rows kubectl prints; other
  formats then fail with kubectl's "unable to match a printer" error).

Native output differs from kubectl's in one deliberate way: Secret ``data``/``stringData`` values are
printed as ``(redacted)`` (the output lands in CI logs).
"""

from __future__ import annotations

from typing import Any

from chainsaw_py.loading.model import Get
from chainsaw_py.operations.base import OperationContext, Outputs
from chainsaw_py.operations.internal import kubeprint
from chainsaw_py.operations.internal.kubectl import (
    Native,
    Target,
    kubectl_path,
    preparing,
    run_helper,
    target,
    value,
)
from chainsaw_py.operations.internal.process import ProcessResult


def load(action: Get, ctx: OperationContext) -> list[Any]:
    return [None]


def run(action: Get, payload: Any, ctx: OperationContext) -> Outputs:
    return get(ctx, action.api_version, action.kind, name=action.name, namespace=action.namespace,
               selector=action.selector, output=action.format)


def get(ctx: OperationContext, api_version: str, kind: str, *, name: str = "", namespace: str = "",
        selector: str = "", output: str = "") -> Outputs:
    with preparing(ctx):
        output_value = value(output, ctx)
        tgt = target(ctx, api_version, kind, name=name, namespace=namespace, selector=selector)
    args = ["get", tgt.resource.kubectl_name, *tgt.selection_args(), *tgt.scope_args()]
    if output_value:
        args += ["-o", output_value]
    return run_helper(ctx, args, native_get(ctx, tgt, output_value))


def native_get(ctx: OperationContext, tgt: Target, output: str) -> Native | None:
    """The native implementation, or None when the real kubectl must run."""
    if not kubeprint.is_machine_format(output) and kubectl_path() is not None:
        return None

    def native(env: dict[str, str]) -> str | ProcessResult:
        client = ctx.require_cluster().client
        namespace = tgt.effective_namespace(env, ctx)
        resource = tgt.resource
        if kubeprint.is_machine_format(output):
            if tgt.name:
                return kubeprint.print_formatted(client.get(resource.api_version, resource.kind, namespace,
                                                            tgt.name), output)
            items = client.list(resource.api_version, resource.kind, namespace, tgt.selector or None)["items"]
            return kubeprint.print_formatted(kubeprint.list_object(items), output)
        if output not in ("", "wide"):
            raise kubeprint.PrintError(f'unable to match a printer suitable for the output format "{output}", '
                                       "allowed formats are: json,name,wide,yaml,jsonpath=...")
        table = client.table(resource.api_version, resource.kind, namespace, tgt.name, tgt.selector or None)
        if not table.get("rows"):
            return ProcessResult("", no_resources(namespace) + "\n", None)
        return kubeprint.print_table(table, wide=output == "wide", namespace_column=tgt.all_namespaces)

    return native


def no_resources(namespace: str) -> str:
    return f"No resources found in {namespace} namespace." if namespace else "No resources found"
