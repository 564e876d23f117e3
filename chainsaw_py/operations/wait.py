"""``wait``: ``kubectl wait <resource> --for=delete|create|condition=<n>[=<v>]|jsonpath=<p>[=<v>]
<name> | -l <selector> | --all [-n <ns> | --all-namespaces] [-o <format>] --timeout <exec timeout>``
(Chainsaw's ``pkg/engine/kubectl/wait.go``).

Always native, with kubectl's semantics (``pkg/cmd/wait``): the objects are resolved once (by name, by
selector, or all in the namespace); each is then waited for in turn within the one timeout, re-checked
every 50 ms and as soon as a watch reports a change. Conditions compare type and status with Unicode
case folding and ignore a condition older than the object's generation; ``jsonpath=`` uses kubectl's
JSONPath (the expressions layer's evaluator) and compares the single value's ``%v`` rendering, or only
its presence when no value is given. Every satisfied object prints ``<kind>/<name> condition met`` (or
itself with ``-o``); failures print kubectl's errors (``timed out waiting for the condition on pods/x``,
``no matching resources found``, ``Error from server (NotFound): ...``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chainsaw_py.client.errors import ApiError, NotFoundError
from chainsaw_py.expressions import ExpressionError
from chainsaw_py.golang.durations import format_duration
from chainsaw_py.golang.fmt import format_v
from chainsaw_py.golang.jsonpath import JsonPathError, find_results, parse_template, relaxed_expression
from chainsaw_py.loading.model import Wait
from chainsaw_py.operations.base import OperationContext, OperationError, Outputs
from chainsaw_py.operations.internal import kubeprint
from chainsaw_py.operations.internal.kubectl import (
    KubectlFailure,
    Native,
    Target,
    preparing,
    run_helper,
    server_error,
    target,
    value,
)
from chainsaw_py.operations.internal.polling import change_waker, poll

CONDITION_MET = "condition met"
NO_MATCHING_RESOURCES = "no matching resources found"
TIMED_OUT = "timed out waiting for the condition"

Check = Callable[[dict[str, Any]], bool]


@dataclass(frozen=True)
class Condition:
    """What to wait for: ``kind`` is ``delete``, ``create``, ``condition`` or ``jsonpath``."""

    kind: str
    flag: str
    check: Check | None = None


def load(action: Wait, ctx: OperationContext) -> list[Any]:
    return [None]


def run(action: Wait, payload: Any, ctx: OperationContext) -> Outputs:
    with preparing(ctx):
        output = value(action.format, ctx)
        tgt = target(ctx, action.api_version, action.kind, name=action.name, namespace=action.namespace,
                     selector=action.selector)
        condition = build_condition(action, ctx)
    timeout = ctx.timeout if ctx.timeout is not None else ctx.timeouts.exec
    args = ["wait", tgt.resource.kubectl_name, condition.flag]
    args += tgt.selection_args() or ["--all"]
    args += tgt.scope_args()
    if output:
        args += ["-o", output]
    args += ["--timeout", format_duration(timeout)]
    return run_helper(ctx, args, native_wait(ctx, tgt, condition, output, timeout))


def build_condition(action: Wait, ctx: OperationContext) -> Condition:
    wait_for = action.for_
    if wait_for.deletion is not None:
        return Condition("delete", "--for=delete")
    if wait_for.creation is not None:
        return Condition("create", "--for=create")
    if wait_for.condition is not None:
        name = value(wait_for.condition.name, ctx)
        if not name:
            raise OperationError("a condition name must be specified for condition wait type")
        if wait_for.condition.value is not None:
            status = value(wait_for.condition.value, ctx)
            return Condition("condition", f"--for=condition={name}={status}", condition_check(name, status))
        return Condition("condition", f"--for=condition={name}", condition_check(name, "true"))
    if wait_for.json_path is not None:
        path = value(wait_for.json_path.path, ctx)
        if not path:
            raise OperationError("a path must be specified for jsonpath wait type")
        expected = None
        if wait_for.json_path.value is not None:
            expected = value(wait_for.json_path.value, ctx)
            if not expected:
                raise OperationError("a value must be specified for jsonpath wait type")
        flag = f"--for=jsonpath={path}={expected}" if expected is not None else f"--for=jsonpath={path}"
        return Condition("jsonpath", flag, jsonpath_check(path, expected))
    raise OperationError("either a deletion or a condition must be specified")


def condition_check(name: str, status: str) -> Check:
    """kubectl's ``ConditionalWait.checkCondition``."""
    wanted_type, wanted_status = name.casefold(), status.casefold()

    def check(obj: dict[str, Any]) -> bool:
        conditions = (obj.get("status") or {}).get("conditions")
        if not isinstance(conditions, list):
            return False
        for condition in conditions:
            if not isinstance(condition, dict) or str(condition.get("type", "")).casefold() != wanted_type:
                continue
            if not isinstance(condition.get("status"), str):
                continue
            generation = (obj.get("metadata") or {}).get("generation")
            observed = _observed_generation(obj, condition)
            if isinstance(generation, int) and observed is not None and observed < generation:
                return False
            return str(condition["status"]).casefold() == wanted_status
        return False

    return check


def _observed_generation(obj: dict[str, Any], condition: dict[str, Any]) -> int | None:
    if isinstance(condition.get("observedGeneration"), int):
        return int(condition["observedGeneration"])
    observed = (obj.get("status") or {}).get("observedGeneration")
    return int(observed) if isinstance(observed, int) else None


def jsonpath_check(path: str, expected: str | None) -> Check:
    """kubectl's ``JSONPathWait.checkCondition``: one value, compared as ``%v`` (trimmed)."""
    try:
        template = relaxed_expression(path)
        parse_template(template)
    except JsonPathError as err:
        raise OperationError(str(err)) from err
    if expected is not None:
        expected = expected.strip("'\"")

    def check(obj: dict[str, Any]) -> bool:
        try:
            results = find_results(template, obj)
        except JsonPathError as err:
            raise ExpressionError(str(err)) from None
        if not results or not results[0]:
            return False
        if len(results) > 1:
            raise KubectlFailure("given jsonpath expression matches more than one list")
        if len(results[0]) > 1:
            raise KubectlFailure("given jsonpath expression matches more than one value")
        if expected is None:
            return True
        found = results[0][0]
        if isinstance(found, (dict, list)):
            raise KubectlFailure("jsonpath leads to a nested object or list which is not supported")
        return format_v(found).strip() == expected.strip()

    return check


# --------------------------------------------------------------------------------------- native


class _Printer:
    """Collects what kubectl prints for every satisfied object."""

    def __init__(self, output: str) -> None:
        self.output = output
        self.objects: list[dict[str, Any]] = []

    def add(self, obj: dict[str, Any]) -> None:
        self.objects.append(obj)

    def text(self) -> str:
        if not self.output:
            return kubeprint.print_names(self.objects, CONDITION_MET)
        if self.output == "yaml":
            return kubeprint.print_yaml_documents(self.objects)
        return "".join(kubeprint.print_formatted(obj, self.output) for obj in self.objects)


def native_wait(ctx: OperationContext, tgt: Target, condition: Condition, output: str, timeout: float) -> Native:
    def native(env: dict[str, str]) -> str:
        deadline = time.monotonic() + timeout
        namespace = tgt.effective_namespace(env, ctx)
        printer = _Printer(output)
        try:
            if condition.kind == "create":
                _wait_created(ctx, tgt, namespace, deadline)
            for obj in _resolve(ctx, tgt, namespace, condition):
                done = _wait_one(ctx, tgt, obj, condition, deadline)
                if done is not None:
                    printer.add(done)
        except KubectlFailure as failure:
            raise KubectlFailure(str(failure), stdout=printer.text()) from None
        except ApiError as err:
            raise KubectlFailure(server_error(err), stdout=printer.text()) from None
        return printer.text()

    return native


def _resolve(ctx: OperationContext, tgt: Target, namespace: str, condition: Condition) -> list[dict[str, Any]]:
    """The objects to wait on, resolved once as kubectl's resource builder does."""
    client = ctx.require_cluster().client
    resource = tgt.resource
    if tgt.name:
        try:
            return [client.get(resource.api_version, resource.kind, namespace, tgt.name)]
        except NotFoundError:
            if condition.kind == "delete":
                return []
            raise
    items = list(client.list(resource.api_version, resource.kind, namespace, tgt.selector or None)["items"])
    if not items and condition.kind != "delete":
        raise KubectlFailure(NO_MATCHING_RESOURCES)
    return items


def _wait_created(ctx: OperationContext, tgt: Target, namespace: str, deadline: float) -> None:
    client = ctx.require_cluster().client
    resource = tgt.resource

    def exists() -> bool:
        if tgt.name:
            return bool(client.exists(resource.api_version, resource.kind, namespace, tgt.name))
        return bool(client.list(resource.api_version, resource.kind, namespace, tgt.selector or None)["items"])

    if not _poll(ctx, tgt, exists, deadline):
        raise KubectlFailure(TIMED_OUT)


def _wait_one(ctx: OperationContext, tgt: Target, obj: dict[str, Any], condition: Condition,
              deadline: float) -> dict[str, Any] | None:
    """Wait for one object; the object to print, or None (deleted before the first look)."""
    client = ctx.require_cluster().client
    resource = tgt.resource
    meta = obj.get("metadata") or {}
    namespace, name, uid = str(meta.get("namespace") or ""), str(meta.get("name") or ""), meta.get("uid")
    timed_out = KubectlFailure(f"{TIMED_OUT} on {resource.plural}/{name}")
    if condition.kind == "create":
        return obj
    latest = {"obj": obj}

    if condition.kind == "delete":
        def gone() -> bool:
            try:
                current = client.get(resource.api_version, resource.kind, namespace, name)
            except NotFoundError:
                return True
            return bool(uid) and (current.get("metadata") or {}).get("uid") != uid

        if not _poll(ctx, tgt, gone, deadline):
            raise timed_out
        return obj

    assert condition.check is not None
    check = condition.check

    def met() -> bool:
        latest["obj"] = client.get(resource.api_version, resource.kind, namespace, name)
        return check(latest["obj"])

    if not _poll(ctx, tgt, met, deadline):
        raise timed_out
    return latest["obj"]


def _poll(ctx: OperationContext, tgt: Target, condition: Callable[[], bool], deadline: float) -> bool:
    wake = change_waker(ctx.require_cluster(), tgt.resource.api_version, tgt.resource.kind)
    remaining = max(deadline - time.monotonic(), 0.0)
    return poll(condition, timeout=remaining, cancel=ctx.cancel, wake=wake)
