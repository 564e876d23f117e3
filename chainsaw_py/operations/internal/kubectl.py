"""The kubectl-like helpers' common ground (Chainsaw's ``pkg/engine/kubectl`` and the helper actions of
``pkg/runner/operations``): the kubectl command line Chainsaw builds, the resource mapping, and running
the helper as a ``command`` — logged as ``CMD``, reported as ``command``, with ``$NAMESPACE`` expansion
and the temporary KUBECONFIG.

Each helper decides whether the real ``kubectl`` runs or a native implementation over the API produces
the same output in-process (:func:`run_helper`). Either way the ``=== COMMAND`` section shows the kubectl
command line Chainsaw would run, and errors read like kubectl's (``Error from server (NotFound): ...``,
exit status 1).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chainsaw_py.client.deadline import request_deadline
from chainsaw_py.client.errors import ApiError, ConnectionFailed
from chainsaw_py.expressions import ExpressionError, evaluate_string
from chainsaw_py.loading.model import Output
from chainsaw_py.operations.base import Interrupted, OperationContext, OperationError, Outputs
from chainsaw_py.operations.command import expand
from chainsaw_py.operations.internal.execution import CommandSettings, Runner, run_command
from chainsaw_py.operations.internal.kubeprint import PrintError
from chainsaw_py.operations.internal.process import ProcessResult
from chainsaw_py.steplog import error_section

KUBECTL = "kubectl"
EXIT_FAILURE = "exit status 1"


class KubectlFailure(Exception):
    """A native helper failed the way kubectl fails: ``message`` goes to stderr (``error: ...`` unless it
    already reads like kubectl's), and the exit status is 1."""

    def __init__(self, message: str, stdout: str = "") -> None:
        super().__init__(message)
        self.stdout = stdout


def kubectl_path() -> str | None:
    return shutil.which(KUBECTL)


def value(field: str | None, ctx: OperationContext) -> str:
    """An Expression field (``name``, ``namespace``, ``selector``, ...) evaluated to a string."""
    if not field:
        return ""
    try:
        return evaluate_string(field, ctx.bindings, ctx.compiler)
    except ExpressionError as err:
        raise OperationError(str(err)) from err


@dataclass(frozen=True)
class Target:
    """What a helper points at: a mapped resource, a name or a label selector, and a namespace as
    written (``""`` = the test namespace, ``*`` = all namespaces)."""

    resource: Any
    name: str = ""
    selector: str = ""
    namespace: str = ""

    @property
    def all_namespaces(self) -> bool:
        return self.resource.namespaced and self.namespace == "*"

    def scope_args(self) -> list[str]:
        """``-n <ns|$NAMESPACE>`` or ``--all-namespaces`` for namespaced kinds, nothing otherwise."""
        if not self.resource.namespaced:
            return []
        if self.namespace == "*":
            return ["--all-namespaces"]
        return ["-n", self.namespace or "$NAMESPACE"]

    def selection_args(self) -> list[str]:
        if self.name:
            return [self.name]
        if self.selector:
            return ["-l", self.selector]
        return []

    def effective_namespace(self, env: dict[str, str], ctx: OperationContext) -> str:
        """The namespace kubectl would use: ``-n`` expanded, falling back to the kubeconfig's."""
        if not self.resource.namespaced or self.all_namespaces:
            return ""
        namespace = expand(self.namespace or "$NAMESPACE", env)
        if namespace:
            return namespace
        return str(getattr(ctx.cluster, "default_namespace", "") or "default")


def target(ctx: OperationContext, api_version: str, kind: str, *, name: str = "", namespace: str = "",
           selector: str = "", require_exclusive: bool = True) -> Target:
    """Evaluate the object fields and map the resource (Chainsaw's ``mapResource``)."""
    name_value = value(name, ctx)
    namespace_value = value(namespace, ctx)
    selector_value = value(selector, ctx)
    if require_exclusive and name_value and selector_value:
        raise OperationError("name cannot be provided when a selector is specified")
    return Target(map_resource(ctx, api_version, kind), name_value, selector_value, namespace_value)


def map_resource(ctx: OperationContext, api_version: str, kind: str) -> Any:
    if not api_version or not kind:
        raise OperationError("failed to map resource, either kind or resource must be specified")
    cluster = ctx.require_cluster()
    try:
        return cluster.client.resource(value(api_version, ctx), value(kind, ctx))
    except ApiError as err:
        raise OperationError(str(err)) from err


Native = Callable[[dict[str, str]], "str | ProcessResult"]


@contextmanager
def preparing(ctx: OperationContext) -> Iterator[None]:
    """Errors while building the command (bad expressions, unknown kinds) end the operation with a
    ``CMD ERROR`` line, as any other command failure; requests made meanwhile (resource mapping) are
    bounded by the operation's timeout."""
    try:
        with request_deadline(ctx.timeout):
            yield
    except OperationError as err:
        ctx.logger.log("CMD", "ERROR", None, error_section(err.errors))
        raise


def run_helper(ctx: OperationContext, args: list[str], native: Native | None, *,
               outputs: list[Output] | None = None) -> Outputs:
    """Run ``kubectl <args>`` as a Chainsaw command, natively when ``native`` is given (it returns
    stdout, or raises :class:`KubectlFailure` / ``ApiError``), through the real kubectl otherwise."""
    ctx.require_cluster()
    settings = CommandSettings(outputs=list(outputs or []))
    runner = _native_runner(native, ctx) if native is not None else None
    return run_command(settings, lambda env: [KUBECTL, *(expand(arg, env) for arg in args)], "CMD", ctx,
                       runner)


def _native_runner(native: Native, ctx: OperationContext) -> Runner:
    def run(_argv: list[str], env: dict[str, str], _cwd: Path) -> ProcessResult:
        try:
            with request_deadline(ctx.timeout):
                result = native(env)
            return result if isinstance(result, ProcessResult) else ProcessResult(result, "", None)
        except Interrupted:
            raise
        except KubectlFailure as err:
            return ProcessResult(err.stdout, kubectl_error(str(err)) + "\n", EXIT_FAILURE)
        except ApiError as err:
            return ProcessResult("", server_error(err) + "\n", EXIT_FAILURE)
        except (PrintError, ExpressionError) as err:
            return ProcessResult("", kubectl_error(str(err)) + "\n", EXIT_FAILURE)

    return run


def kubectl_error(message: str) -> str:
    """kubectl's ``CheckErr`` rendering of a plain error."""
    if message.startswith(("error: ", "Error from server")):
        return message
    return f"error: {message}"


def server_error(err: ApiError) -> str:
    """kubectl's rendering of an API error: ``Error from server (Reason): message``."""
    if isinstance(err, ConnectionFailed):
        return f"error: {err}"
    if err.code == 0:
        return kubectl_error(str(err))
    if err.reason:
        return f"Error from server ({err.reason}): {err}"
    return f"Error from server: {err}"
