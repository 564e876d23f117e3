"""What every operation module shares: its context, its error type, and the module interface.

An operation module (``operations/<kind>.py``; its kind's report type, timeout and log label are in
``loading.model.OPERATION_KINDS``) is an :class:`OperationModule`:

- ``load(action, ctx) -> list[Any]`` — resolve what the operation acts on, once, with step-level
  bindings: one entry per resource for resource operations, ``[None]`` otherwise;
- ``run(action, payload, ctx) -> Outputs`` — do it, raising ``OperationError`` on failure.

The runner handles everything common around ``run``: ``$operation``, the op-level context
(cluster, timeout, templating, dry run), op ``bindings``, reporting and logging of outcomes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from chainsaw_py.expressions import Bindings
from chainsaw_py.golang.durations import format_duration
from chainsaw_py.steplog import StepLogger, error_section

Outputs = dict[str, Any]


class OperationError(Exception):
    """An operation failed. ``errors`` are the lines shown in the ``=== ERROR`` section (sorted there);
    ``str()`` is the single message recorded in reports (Go's multierr / aggregate rendering)."""

    def __init__(self, *errors: str, message: str | None = None) -> None:
        self.errors = list(errors)
        self.message = message if message is not None else "; ".join(self.errors)
        super().__init__(self.message)

    @classmethod
    def aggregate(cls, errors: Sequence[object]) -> OperationError:
        """Like apimachinery's ``ErrorList.ToAggregate()``: de-duplicated, ``[a, b]`` when several."""
        unique = list(dict.fromkeys(str(e) for e in errors))
        message = unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"
        return cls(*unique, message=message)

    @classmethod
    def combine(cls, errors: Iterable[BaseException]) -> OperationError:
        """Like ``multierr.Combine``: every error's lines kept, messages joined with ``; ``."""
        lines: list[str] = []
        messages: list[str] = []
        for err in errors:
            lines.extend(err.errors if isinstance(err, OperationError) else [str(err)])
            messages.append(str(err))
        return cls(*lines, message="; ".join(messages))


class CancelToken:
    """Set when the run is interrupted (Ctrl-C / SIGTERM) or aborted (a process of the system under test
    exited); every wait in an operation watches it."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._reason: tuple[str, ...] = ()

    def cancel(self, *reason: str) -> None:
        """Stop the operations; ``reason`` (the error lines) is empty for an interrupt."""
        if not self._event.is_set():
            self._reason = reason
        self._event.set()

    @property
    def reason(self) -> tuple[str, ...]:
        return self._reason

    @property
    def interrupted(self) -> bool:
        """Cancelled by the user (not aborted with a reason)."""
        return self._event.is_set() and not self._reason

    def error(self) -> Interrupted:
        """What an operation stopped by this token raises."""
        return Interrupted(*self._reason)

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; return True if cancelled meanwhile."""
        return self._event.wait(max(seconds, 0.0))


class Interrupted(OperationError):
    def __init__(self, *lines: str) -> None:
        super().__init__(*(lines or ("interrupted",)), message=lines[0] if lines else "interrupted")


@dataclass(frozen=True)
class TimeoutSeconds:
    """The six configurable timeouts, in seconds (Chainsaw's ``pkg/apis/v1alpha1`` ``DefaultTimeouts``)."""

    apply: float = 5.0
    assert_: float = 30.0
    cleanup: float = 30.0
    delete: float = 15.0
    error: float = 30.0
    exec: float = 5.0

    def get(self, key: str) -> float:
        return float(getattr(self, "assert_" if key == "assert" else key))

    def with_value(self, key: str, seconds: float) -> TimeoutSeconds:
        return replace(self, **{"assert_" if key == "assert" else key: seconds})

    def as_binding(self) -> dict[str, str]:
        """``$timeouts``: each duration as Chainsaw writes it (Go's ``Duration.String()``: ``5s``, ``1m30s``)."""
        return {name: format_duration(self.get(name))
                for name in ("apply", "assert", "cleanup", "delete", "error", "exec")}


class ClusterHandle(Protocol):
    """A cluster the operations can talk to (provided by the client layer)."""

    @property
    def client(self) -> Any: ...

    @property
    def config(self) -> Any: ...

    def write_kubeconfig(self, path: Path) -> None: ...


class CleanupRegistrar(Protocol):
    def add(self, cluster: ClusterHandle, obj: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class OperationContext:
    """Everything an operation needs to run; immutable, derived by the runner for each action."""

    bindings: Bindings
    logger: StepLogger
    base_path: Path = Path(".")
    compiler: str = "jp"
    timeouts: TimeoutSeconds = field(default_factory=TimeoutSeconds)
    timeout: float | None = None
    templating: bool = True
    dry_run: bool = False
    namespace: str | None = None
    cluster: ClusterHandle | None = None
    cleaner: CleanupRegistrar | None = None
    deletion_propagation: str = "Background"
    termination_grace: float | None = None
    skip_delete: bool = False
    cancel: CancelToken = field(default_factory=CancelToken)

    def with_bindings(self, bindings: Bindings) -> OperationContext:
        return replace(self, bindings=bindings)

    def bind(self, name: str, value: Any) -> OperationContext:
        return replace(self, bindings=self.bindings.register(name, value))

    def require_cluster(self) -> ClusterHandle:
        if self.cluster is None:
            raise OperationError("cluster client not set")
        return self.cluster


class _Ending:
    obj: Any = None


@contextmanager
def logged_end(ctx: OperationContext, operation: str, obj: Any = None) -> Iterator[_Ending]:
    """Log the operation's end like Chainsaw's ``internal.LogEnd``: ``DONE``, or ``ERROR`` with the
    error section. Unexpected exceptions become ``OperationError`` so no traceback reaches the user.
    Inside, every API request and every expression evaluation is bounded by the operation's timeout
    (Chainsaw's context deadline)."""
    from chainsaw_py.client.deadline import request_deadline
    from chainsaw_py.expressions.deadline import evaluation_deadline

    ending = _Ending()
    ending.obj = obj
    try:
        with request_deadline(ctx.timeout), evaluation_deadline(ctx.timeout):
            yield ending
    except OperationError as err:
        ctx.logger.log(operation, "ERROR", ending.obj, error_section(err.errors))
        raise
    except Exception as err:
        converted = OperationError(str(err) or type(err).__name__)
        ctx.logger.log(operation, "ERROR", ending.obj, error_section(converted.errors))
        raise converted from err
    ctx.logger.log(operation, "DONE", ending.obj)


class OperationModule(Protocol):
    """The interface of an operation module (``operations/<kind>.py``); ``action`` is its kind's model
    dataclass, ``payload`` one entry of what ``load`` returned."""

    def load(self, action: Any, ctx: OperationContext) -> list[Any]: ...

    def run(self, action: Any, payload: Any, ctx: OperationContext) -> Outputs: ...
