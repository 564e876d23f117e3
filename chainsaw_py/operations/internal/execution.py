"""What ``command`` and ``script`` share: env bindings, the temporary KUBECONFIG, logging of the
command and its output, ``$stdout``/``$stderr``/``$error``, ``check`` and ``outputs``
(Chainsaw's ``pkg/engine/operations/{command,script}`` and ``internal/env.go``)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chainsaw_py.checks import AssertionHardError, assert_tree
from chainsaw_py.loading.model import Binding, Command, Script
from chainsaw_py.operations.base import Interrupted, OperationContext, OperationError, Outputs, logged_end
from chainsaw_py.operations.bindings import process_outputs, resolve_binding
from chainsaw_py.operations.internal.process import (
    ProcessResult,
    base_environment,
    command_string,
    run_process,
)
from chainsaw_py.report.console import section


def resolve_env(entries: list[Binding], ctx: OperationContext) -> dict[str, str]:
    """Evaluate ``env`` bindings (values must be strings) and add ``NAMESPACE`` unless the user set it."""
    env: dict[str, str] = {}
    for entry in entries:
        name, value = resolve_binding(entry, ctx.bindings, ctx.compiler)
        if not isinstance(value, str):
            raise OperationError(f"value must be a string ({entry.name})")
        env[name] = value
    env.setdefault("NAMESPACE", ctx.namespace or "")
    return env


@contextmanager
def kubeconfig_for(ctx: OperationContext) -> Iterator[dict[str, str]]:
    """A temporary single-context kubeconfig for the current cluster, removed afterwards."""
    if ctx.cluster is None:
        yield {}
        return
    handle, name = tempfile.mkstemp(prefix="chainsaw-kubeconfig-")
    os.close(handle)
    path = Path(name)
    try:
        ctx.cluster.write_kubeconfig(path)
        yield {"KUBECONFIG": str(path)}
    finally:
        path.unlink(missing_ok=True)


def work_dir(ctx: OperationContext, configured: str | None) -> Path:
    if configured is None:
        return ctx.base_path
    return Path(configured) if os.path.isabs(configured) else ctx.base_path / configured


def execute(action: Command | Script, argv_for: Any, log_op: str, ctx: OperationContext) -> Outputs:
    """Run the process built by ``argv_for(env)`` and apply check and outputs; logs like Chainsaw
    (``CMD RUN`` with the command, ``<op> LOG`` with the output, ``<op> DONE|ERROR``)."""
    with logged_end(ctx, log_op):
        return _execute(action, argv_for, log_op, ctx)


def _execute(action: Command | Script, argv_for: Any, log_op: str, ctx: OperationContext) -> Outputs:
    env_bindings = resolve_env(action.env, ctx)
    extra = dict(env_bindings)
    if ctx.skip_delete:
        extra.setdefault("CHAINSAW_SKIP_DELETE", "true")
    with kubeconfig_for(ctx) as kubeconfig:
        env = base_environment({**extra, **kubeconfig})
        argv = argv_for(env_bindings)
        sections = [] if action.skip_command_output else [section("COMMAND", command_string(argv, env))]
        ctx.logger.log("CMD", "RUN", None, *sections)
        result = run_process(argv, cwd=work_dir(ctx, action.work_dir), env=env, timeout=ctx.timeout,
                             cancel=ctx.cancel)
    if ctx.cancel.cancelled:
        raise Interrupted()
    if not action.skip_log_output:
        output_sections = _output_sections(result)
        if output_sections:
            ctx.logger.log(log_op, "LOG", None, *output_sections)
    bindings = (ctx.bindings.register("stdout", result.stdout).register("stderr", result.stderr)
                .register("error", result.error))
    _check(action.check, result, bindings, ctx)
    return process_outputs(action.outputs, bindings, ctx.compiler, None)


def _output_sections(result: ProcessResult) -> list[str]:
    sections = []
    if result.stdout.strip():
        sections.append(section("STDOUT", result.stdout.strip()))
    if result.stderr.strip():
        sections.append(section("STDERR", result.stderr.strip()))
    return sections


def _check(check: Any, result: ProcessResult, bindings: Any, ctx: OperationContext) -> None:
    if check is None:
        if result.error is not None:
            raise OperationError(result.error)
        return
    try:
        errors = assert_tree(check, None, bindings, ctx.compiler)
    except AssertionHardError as err:
        raise OperationError(str(err)) from err
    if errors:
        raise OperationError.aggregate(errors)
