"""What apply, create, patch and update share (Chainsaw's ``pkg/engine/operations/{apply,create,patch,
update}`` and ``pkg/runner/operations/helpers.go``):

- :func:`prepare` — ``forceTerminationGracePeriod`` (on the raw resource, as ``prepareResource`` does),
  templating of the whole resource, then the namespacer;
- :func:`conclude` — ``expect`` (``pkg/engine/checks/expect.go``) and ``outputs`` after a write:
  ``$error`` is bound; an expectation applies when its ``match`` (checked *without* bindings) passes;
  when any applies, the result is their combined check errors (so an API error can become a success),
  otherwise the raw API error stands; outputs are evaluated only on success, with ``@`` = the object;
- :func:`retry` — polling every 50 ms until the operation's timeout: apply retries every error, the
  others only Conflict / ServerTimeout / TooManyRequests / ServiceUnavailable; none retries an answer
  that cannot change (400, 403, 422 — Chainsaw's apply retries those too, until its timeout).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from chainsaw_py.checks import AssertionHardError, assert_tree
from chainsaw_py.client.errors import ApiError
from chainsaw_py.expressions import Bindings, ExpressionError, template
from chainsaw_py.loading.model import Expectation, Output
from chainsaw_py.operations.base import Interrupted, OperationContext, OperationError, Outputs
from chainsaw_py.operations.bindings import process_outputs
from chainsaw_py.operations.internal.polling import poll
from chainsaw_py.operations.internal.selection import apply_namespace

_GRACE_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def prepare(resource: dict[str, Any], ctx: OperationContext, *, force_grace: bool = True) -> dict[str, Any]:
    """The object to write: termination grace forced (writes only), templated (when on), namespace
    injected."""
    obj = copy.deepcopy(resource)
    if force_grace:
        obj = force_termination_grace(obj, ctx.termination_grace)
    if ctx.templating:
        try:
            templated = template(obj, obj, ctx.bindings, ctx.compiler)
        except ExpressionError as err:
            raise OperationError(str(err)) from err
        if not isinstance(templated, dict):
            raise OperationError("resource must be an object")
        obj = templated
    return apply_namespace(obj, ctx.require_cluster(), ctx.namespace)


def force_termination_grace(obj: dict[str, Any], seconds: float | None) -> dict[str, Any]:
    """Set ``terminationGracePeriodSeconds`` in the pod spec of pods and workload kinds."""
    whole = int(seconds) if seconds is not None else 0
    path = _GRACE_PATHS.get(str(obj.get("kind") or ""))
    if whole == 0 or path is None:
        return obj
    node = obj
    for depth, key in enumerate(path):
        child = node.get(key)
        if child is None:
            child = node[key] = {}
        elif not isinstance(child, dict):
            dotted = "." + ".".join(path[:depth + 1])
            raise OperationError(f"value cannot be set because {dotted} is not a map[string]interface {{}}")
        node = child
    node["terminationGracePeriodSeconds"] = whole
    return obj


def conclude(obj: dict[str, Any], error: ApiError | None, expect: list[Expectation], outputs: list[Output],
             ctx: OperationContext) -> Outputs:
    """``handleCheck``: apply ``expect`` to the write's outcome, then compute ``outputs`` on success.
    Raises the raw ``ApiError`` when no expectation applies, an ``OperationError`` for failed checks."""
    bindings = ctx.bindings.register("error", str(error) if error is not None else None)
    matched, check_error = check_expectations(expect, obj, bindings, ctx.compiler)
    if not matched and error is not None:
        raise error
    if check_error is not None:
        raise check_error from error  # the cause tells ``retry`` whether the answer can change
    return process_outputs(outputs, bindings, ctx.compiler, obj)


def check_expectations(expect: list[Expectation], obj: dict[str, Any], bindings: Bindings,
                       compiler: str) -> tuple[bool, OperationError | None]:
    """``checks.Expect``: (whether any expectation applied, the combined check errors or None)."""
    matched = False
    errors: list[Any] = []
    for expectation in expect:
        try:
            if expectation.match is not None and assert_tree(expectation.match, obj, Bindings(), compiler):
                continue
            matched = True
            errors.extend(assert_tree(expectation.check, obj, bindings, compiler))
        except AssertionHardError as err:
            return True, OperationError(str(err))
    return matched, OperationError.aggregate(errors) if errors else None


def retry(attempt: Callable[[], Outputs], ctx: OperationContext, *, every_error: bool) -> Outputs:
    """Run ``attempt`` at once, then every 50 ms, until it succeeds or the timeout
    passes. Retried: every error when ``every_error`` (apply), else only retryable API errors."""
    outcome: dict[str, Any] = {}

    def condition() -> bool:
        try:
            outcome["outputs"] = attempt()
        except Interrupted:
            raise
        except (ApiError, OperationError) as err:
            if _final(err) or (not every_error and not (isinstance(err, ApiError) and err.retryable)):
                raise as_operation_error(err) from err
            outcome["error"] = err
            return False
        return True

    if poll(condition, timeout=ctx.timeout, cancel=ctx.cancel):
        return dict(outcome["outputs"])
    last = outcome.get("error")
    if last is None:
        raise OperationError("context deadline exceeded")
    raise as_operation_error(last) from last


def _final(err: Exception) -> bool:
    """The server's answer cannot change on a retry (400, 403, 422). Chainsaw's apply retries every
    error until its timeout; chainsaw_py stops at once on these (a deliberate difference)."""
    cause = err if isinstance(err, ApiError) else err.__cause__
    return isinstance(cause, ApiError) and cause.final


def as_operation_error(err: Exception) -> OperationError:
    return err if isinstance(err, OperationError) else OperationError(str(err))
