"""``python``: call a Python function with the operation context (a chainsaw_py extension; upstream
Chainsaw cannot run it).

The function is named ``module:attr`` (imported) or ``file.py:attr`` (loaded from a file relative to the
test folder), or given as a callable in code (``Python.target``). It is called as
``function(ctx, **args)`` where ``ctx`` is a :class:`PythonContext` and ``args`` are the action's ``args``
evaluated like binding values. It returns a mapping of outputs (bound for the rest of the step, like
``outputs``) or ``None``; raising fails the operation.

The call runs in a worker thread so that the operation timeout (``exec``, 5s by default) and interrupts
are enforced: when either fires the operation fails at once and ``ctx.cancelled`` turns true, but Python
cannot stop a thread, so a long-running function should watch ``ctx.cancelled`` or use ``ctx.wait``.
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import importlib.util
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any

from chainsaw_py.errors import ChainsawError
from chainsaw_py.expressions import ExpressionError, template
from chainsaw_py.loading.model import Python
from chainsaw_py.operations.base import (
    CancelToken,
    Interrupted,
    OperationContext,
    OperationError,
    Outputs,
    logged_end,
)
from chainsaw_py.steplog import section

LOG_NAME = "PYTHON"

_IDENTIFIER = re.compile(r"^\w+$")
_POLL_SECONDS = 0.05


# --------------------------------------------------------------------------------------- the context


class PythonLogger:
    """Writes Chainsaw log lines for the running operation: ``PYTHON | LOG`` (info, debug) or
    ``PYTHON | WARN`` (warning, error), the message in a ``=== LOG`` section. Thread-safe."""

    def __init__(self, ctx: OperationContext) -> None:
        self._logger = ctx.logger

    def info(self, message: object) -> None:
        self._logger.log(LOG_NAME, "LOG", None, section("LOG", str(message)))

    debug = info

    def warning(self, message: object) -> None:
        self._logger.log(LOG_NAME, "WARN", None, section("LOG", str(message)))

    error = warning


@dataclass(frozen=True)
class PythonContext:
    """What a ``python`` operation's function receives.

    - ``bindings``: a read-only mapping of every visible binding, names without ``$`` (``namespace``,
      ``values``, ``test``, step outputs...); plain data is a copy, so changing it changes nothing;
    - ``client``: the current cluster's client (``get``/``list``/``create``/``patch``/``delete`` by apiVersion
      and kind; ``client.api_client`` is the ``kubernetes`` package's ApiClient), or ``None`` without a cluster;
    - ``cluster``: the current cluster handle (``write_kubeconfig(path)``), or ``None``;
    - ``namespace``: the test namespace (``None`` without a cluster);
    - ``logger``: Chainsaw log lines (``info``, ``warning``);
    - ``base_path``: the test folder; ``timeout``: seconds allowed (``None``: no limit);
    - ``args``: the evaluated ``args`` (also passed as keyword arguments).
    """

    bindings: Mapping[str, Any]
    client: Any
    cluster: Any
    namespace: str | None
    logger: PythonLogger
    base_path: Path
    timeout: float | None
    args: Mapping[str, Any] = field(default_factory=dict)
    _cancel: CancelToken = field(default_factory=CancelToken, repr=False)
    _deadline: float | None = field(default=None, repr=False)

    @property
    def cancelled(self) -> bool:
        """True once the run is interrupted or the operation timed out: stop as soon as you can."""
        return self._cancel.cancelled or (self._deadline is not None and time.monotonic() >= self._deadline)

    def remaining(self) -> float | None:
        """Seconds left before the timeout (``None`` without one)."""
        return None if self._deadline is None else max(self._deadline - time.monotonic(), 0.0)

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; return True (early) if the operation was cancelled or timed out."""
        end = time.monotonic() + max(seconds, 0.0)
        while not self.cancelled:
            left = end - time.monotonic()
            if left <= 0:
                return False
            self._cancel.wait(min(left, _POLL_SECONDS))
        return True


# --------------------------------------------------------------------------------------- the operation


def load(action: Python, ctx: OperationContext) -> list[Any]:
    return [None]


def run(action: Python, payload: Any, ctx: OperationContext) -> Outputs:
    with logged_end(ctx, LOG_NAME):
        label = describe_function(action)
        ctx.logger.log(LOG_NAME, "RUN", None, section("FUNCTION", label))
        function = resolve_function(action, ctx.base_path)
        args = _evaluate_args(action, ctx)
        result = _call(function, label, args, ctx)
        return _outputs(result, label)


def describe_function(action: Python) -> str:
    """How the function is named in logs and errors: ``function``, else the callable's qualified name."""
    if action.function:
        return action.function
    target = action.target
    module = getattr(target, "__module__", None)
    name = getattr(target, "__qualname__", None) or getattr(target, "__name__", None) or repr(target)
    return f"{module}:{name}" if module else str(name)


def resolve_function(action: Python, base_path: Path) -> Callable[..., Any]:
    if action.target is not None:
        function = action.target
    elif action.function:
        function = load_function(action.function, base_path)
    else:
        raise OperationError("python: a function is required (module:attr or file.py:attr)")
    if not callable(function):
        raise OperationError(f"python: {describe_function(action)} is not callable")
    return function


def _evaluate_args(action: Python, ctx: OperationContext) -> dict[str, Any]:
    try:
        args = template(action.args, None, ctx.bindings, ctx.compiler) if action.args else {}
    except ExpressionError as err:
        raise OperationError(str(err)) from err
    if not isinstance(args, dict):
        raise OperationError(f"python: args must be a mapping, got {type(args).__name__}")
    for name in args:
        if not isinstance(name, str) or not name.isidentifier():
            raise OperationError(f"python: argument name {name!r} is not a Python identifier")
    return args


def _call(function: Callable[..., Any], label: str, args: dict[str, Any], ctx: OperationContext) -> Any:
    cancel = CancelToken()
    deadline = None if ctx.timeout is None else time.monotonic() + ctx.timeout
    context = PythonContext(
        bindings=MappingProxyType(_copy_bindings(ctx)), client=ctx.cluster.client if ctx.cluster else None,
        cluster=ctx.cluster, namespace=ctx.namespace, logger=PythonLogger(ctx), base_path=ctx.base_path,
        timeout=ctx.timeout, args=MappingProxyType(dict(args)), _cancel=cancel, _deadline=deadline)
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = function(context, **args)
        except BaseException as err:
            outcome["error"] = err

    worker = threading.Thread(target=target, name=f"chainsaw-python {label}", daemon=True)
    worker.start()
    while True:
        worker.join(_POLL_SECONDS)
        # A function that returns once it sees the cancellation still ends in a timeout or an interrupt.
        if ctx.cancel.cancelled:
            cancel.cancel()
            raise Interrupted()
        if deadline is not None and time.monotonic() >= deadline:
            cancel.cancel()
            raise OperationError("context deadline exceeded")
        if not worker.is_alive():
            break
    if "error" in outcome:
        raise _failure(outcome["error"], ctx)
    return outcome.get("value")


def _copy_bindings(ctx: OperationContext) -> dict[str, Any]:
    """Plain data is deep-copied (changing it changes no binding); objects such as ``client`` are shared."""
    copied: dict[str, Any] = {}
    for name, value in ctx.bindings.as_dict().items():
        copied[name] = copy.deepcopy(value) if _is_data(value) else value
    return copied


def _is_data(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_data(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_is_data(v) for v in value)
    return value is None or isinstance(value, str | int | float | bool)


def _failure(err: BaseException, ctx: OperationContext) -> OperationError:
    """The operation error for an exception of the function; the traceback goes to the log."""
    if isinstance(err, OperationError):
        return err
    if isinstance(err, ChainsawError):
        return OperationError(str(err))
    frames = traceback.format_exception(type(err), err, err.__traceback__)
    # The first frame is our own call wrapper: the user's traceback starts after it.
    if len(frames) > 2 and frames[0].startswith("Traceback"):
        frames = [frames[0], *frames[2:]]
    ctx.logger.log(LOG_NAME, "LOG", None, section("TRACEBACK", "".join(frames).rstrip()))
    message = str(err)
    return OperationError(f"{type(err).__name__}: {message}" if message else type(err).__name__)


def _outputs(result: Any, label: str) -> Outputs:
    if result is None:
        return {}
    if not isinstance(result, Mapping):
        raise OperationError(f"python: {label} returned {type(result).__name__}, expected a mapping of outputs "
                             "or None")
    outputs: Outputs = {}
    for name, value in result.items():
        if not isinstance(name, str) or not _IDENTIFIER.match(name):
            raise OperationError(f"python: {label} returned an invalid output name {name!r}")
        outputs[name] = value
    return outputs


# --------------------------------------------------------------------------------------- loading functions

_MODULE_LOCK = threading.Lock()
_FILE_MODULES: dict[Path, tuple[int, ModuleType]] = {}


def load_function(reference: str, base_path: Path) -> Any:
    """The object ``module:attr`` or ``file.py:attr`` names (``attr`` may be dotted)."""
    location, separator, attribute = reference.rpartition(":")
    if not separator or not location or not attribute:
        raise OperationError(f"python: invalid function {reference!r}: expected module:attr or file.py:attr")
    module = _load_file(location, base_path) if location.endswith(".py") else _import(location)
    value: Any = module
    for part in attribute.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise OperationError(f"python: {location} has no attribute {attribute}") from None
    return value


def _import(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except Exception as err:
        raise OperationError(f"python: cannot import {name}: {type(err).__name__}: {err} "
                             "(for a file in the test folder, write file.py:attr)") from None


def _load_file(location: str, base_path: Path) -> ModuleType:
    """Load a file as a module once (again when it changes); registered in ``sys.modules`` under a
    name unique to its path, as dataclasses and pickling need."""
    path = (base_path / location).resolve()
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        raise OperationError(f"python: {base_path / location}: no such file") from None
    with _MODULE_LOCK:
        cached = _FILE_MODULES.get(path)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
        name = f"chainsaw_python_{re.sub(r'[^0-9A-Za-z_]', '_', path.stem)}_{digest}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise OperationError(f"python: cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as err:
            sys.modules.pop(name, None)
            raise OperationError(f"python: cannot load {location}: {type(err).__name__}: {err}") from None
        _FILE_MODULES[path] = (mtime, module)
        return module
