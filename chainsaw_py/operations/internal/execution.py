"""What ``command``, ``script`` and the kubectl-like helpers share: env bindings, the temporary KUBECONFIG,
logging of the command and its output, ``$stdout``/``$stderr``/``$error``, ``check`` and ``outputs``
(Chainsaw's ``pkg/engine/operations/{command,script}`` and ``internal/env.go``).

A helper (get, describe, wait, ...) is a command whose process may be replaced by a native
implementation: :class:`Runner` is either a real process or a function producing the same
``ProcessResult`` in-process; logging, bindings and checks are the same either way.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chainsaw_py.loading.model import Binding, Command, Output, Script
from chainsaw_py.operations.base import OperationContext, OperationError, Outputs, logged_end
from chainsaw_py.operations.bindings import process_outputs, resolve_binding
from chainsaw_py.operations.internal.capture import Captured
from chainsaw_py.operations.internal.process import (
    ProcessResult,
    base_environment,
    command_string,
    run_process,
)
from chainsaw_py.operations.internal.secrets import learn_secrets
from chainsaw_py.steplog import StreamedSection, section
from chainsaw_py.util.leftovers import LEFTOVERS

# (argv, environment, working directory) -> result
Runner = Callable[[list[str], dict[str, str], Path], ProcessResult]


@dataclass(frozen=True)
class CommandSettings:
    """The command-like fields that shape a run (a ``command``/``script`` action, or a helper's defaults)."""

    env: list[Binding] = field(default_factory=list)
    work_dir: str | None = None
    check: Any = None
    outputs: list[Output] = field(default_factory=list)
    skip_log_output: bool = False
    skip_command_output: bool = False

    @classmethod
    def of(cls, action: Command | Script) -> CommandSettings:
        return cls(env=action.env, work_dir=action.work_dir, check=action.check, outputs=action.outputs,
                   skip_log_output=action.skip_log_output, skip_command_output=action.skip_command_output)


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
    LEFTOVERS.add_file(path)  # it holds a credential: removed even when the run is cut short
    try:
        ctx.cluster.write_kubeconfig(path)
        yield {"KUBECONFIG": str(path)}
    finally:
        path.unlink(missing_ok=True)
        LEFTOVERS.discard_file(path)


def work_dir(ctx: OperationContext, configured: str | None) -> Path:
    if configured is None:
        return ctx.base_path
    return Path(configured) if os.path.isabs(configured) else ctx.base_path / configured


def execute(action: Command | Script, argv_for: Callable[[dict[str, str]], list[str]], log_op: str,
            ctx: OperationContext) -> Outputs:
    """Run the process built by ``argv_for(env)`` and apply check and outputs; logs like Chainsaw
    (``CMD RUN`` with the command, ``<op> LOG`` with the output, ``<op> DONE|ERROR``)."""
    return run_command(CommandSettings.of(action), argv_for, log_op, ctx)


def run_command(settings: CommandSettings, argv_for: Callable[[dict[str, str]], list[str]], log_op: str,
                ctx: OperationContext, runner: Runner | None = None) -> Outputs:
    """Like :func:`execute`, with ``runner`` in place of a child process when given."""
    with logged_end(ctx, log_op):
        return _execute(settings, argv_for, log_op, ctx, runner or _process_runner(ctx))


def _process_runner(ctx: OperationContext) -> Runner:
    def run(argv: list[str], env: dict[str, str], cwd: Path) -> ProcessResult:
        return run_process(argv, cwd=cwd, env=env, timeout=ctx.timeout, cancel=ctx.cancel)

    return run


def _execute(settings: CommandSettings, argv_for: Callable[[dict[str, str]], list[str]], log_op: str,
             ctx: OperationContext, runner: Runner) -> Outputs:
    env_bindings = resolve_env(settings.env, ctx)
    extra = dict(env_bindings)
    if ctx.skip_delete:
        extra.setdefault("CHAINSAW_SKIP_DELETE", "true")
    with kubeconfig_for(ctx) as kubeconfig:
        env = base_environment({**extra, **kubeconfig})
        argv = argv_for(env_bindings)
        sections = [] if settings.skip_command_output else [section("COMMAND", command_string(argv, env))]
        ctx.logger.log("CMD", "RUN", None, *sections)
        result = runner(argv, env, work_dir(ctx, settings.work_dir))
    if ctx.cancel.cancelled:
        raise ctx.cancel.error()
    learn_secrets(ctx, env.get("NAMESPACE"), argv)  # before the output is shown anywhere
    if not settings.skip_log_output:
        output_sections = _output_sections(result)
        if output_sections:
            ctx.logger.log(log_op, "LOG", None, *output_sections)
    bindings = ctx.bindings.register("error", result.error)
    if settings.check is not None or settings.outputs:  # read large outputs whole only when used
        bindings = (ctx.bindings.register("stdout", result.stdout).register("stderr", result.stderr)
                    .register("error", result.error))
    _check(settings.check, result, bindings, ctx)
    return process_outputs(settings.outputs, bindings, ctx.compiler, None)


def _output_sections(result: ProcessResult) -> list[str | StreamedSection]:
    sections: list[str | StreamedSection] = []
    for name, stream in zip(("STDOUT", "STDERR"), result.streams, strict=True):
        if isinstance(stream, Captured) and stream.spilled:
            if not stream.blank():
                sections.append(StreamedSection(name, stream))
            continue
        text = stream if isinstance(stream, str) else stream.text()
        if text.strip():
            sections.append(section(name, text.strip()))
    return sections


def _check(check: Any, result: ProcessResult, bindings: Any, ctx: OperationContext) -> None:
    if check is None:
        if result.error is not None:
            raise OperationError(result.error)
        return
    from chainsaw_py.checks import AssertionHardError, assert_tree  # only a program with a check needs them

    try:
        errors = assert_tree(check, None, bindings, ctx.compiler)
    except AssertionHardError as err:
        raise OperationError(str(err)) from err
    if errors:
        raise OperationError.aggregate(errors)
