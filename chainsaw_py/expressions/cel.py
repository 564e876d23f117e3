"""CEL as Chainsaw evaluates it (``compiler: cel`` or ``(cel; ...)``), on the
``common-expression-language`` package (Rust ``cel`` crate bindings; imported as ``cel``).

Environment, as kyverno-json's ``DefaultEnv`` plus Chainsaw's additions, within what the library
allows: the variable ``object`` (the current node) and ``bindings`` with ``bindings.resolve("name")``;
cross-type numeric comparisons (native); the cel-go ext Strings, Sets and Lists functions (the
package's ``cel.stdlib``); optional values through ``optional.of``/``optional.none`` and
``orValue``/``hasValue``/``value``, and cel-go's ``.?``/``[?`` syntax and ``optMap``/``optFlatMap``
(rewritten by ``kubecel.optionals`` when compiled); and the Kubernetes libraries Quantity, Regex, Lists, URLs,
IP, CIDR and Format (``cel_k8s``). Not available: optional entries of list and map literals and the Authz
libraries (they need an authorizer, which Chainsaw never has).
"""

from __future__ import annotations

import base64
import datetime as _dt
import functools
import inspect
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from chainsaw_py.expressions.bindings import Bindings
from chainsaw_py.expressions.deadline import DEADLINE_EXCEEDED, current_deadline, evaluation_stop
from chainsaw_py.expressions.functions.sizes import bounded_replace
from chainsaw_py.golang.fmt import go_number
from chainsaw_py.grammar.compilers import CEL_CHECKPOINT, compile_cel_with_checkpoints
from chainsaw_py.grammar.errors import ExpressionError
from chainsaw_py.util import limits

_state = threading.local()
# the extension logs every failing Python callback as a warning; the error is raised to us anyway
logging.getLogger("cel").setLevel(logging.ERROR)


def evaluate_cel(source: str, value: Any, bindings: Bindings) -> Any:
    """Evaluate ``source`` with ``object`` = ``value`` and ``bindings.resolve()`` reading ``bindings``;
    macros stop at the operation's deadline (``expressions.deadline``)."""
    program = compile_cel_with_checkpoints(source)
    context = _context()
    saved = (getattr(_state, "scope", None), getattr(_state, "stop", None), getattr(_state, "expired", False))
    _state.scope, _state.stop, _state.expired = (value, bindings), evaluation_stop(current_deadline()), False
    _state.failure = None
    try:
        result = _execute(program, context)
        if _state.expired:  # the deadline's error was absorbed (`... || true`), the result is not the real one
            raise ExpressionError(DEADLINE_EXCEEDED)
    finally:
        _state.scope, _state.stop, _state.expired = saved
        _state.failure = None
    return to_plain(result)


def _execute(program: Any, context: Any) -> Any:
    try:
        return program.execute(context)
    except ExpressionError:
        raise
    except Exception as error:
        if _state.expired:
            raise ExpressionError(DEADLINE_EXCEEDED) from None
        failure = getattr(_state, "failure", None)
        if failure is not None:  # one of our functions failed: its message is the one to show
            raise ExpressionError(str(failure)) from None
        raise ExpressionError(_runtime_message(error)) from None


def _checkpoint() -> bool:
    """Called by macros once per element: stops the evaluation once its deadline has passed."""
    stop = getattr(_state, "stop", None)
    if stop is not None and time.monotonic() > stop:
        _state.expired = True
        raise ExpressionError(DEADLINE_EXCEEDED)
    return True


def _runtime_message(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    if isinstance(error, KeyError):
        return f"no such key: {text.strip(chr(39))}"
    marker = "Python function call failed: "
    if marker in text:
        text = text.split(marker, 1)[1]
    return text.removesuffix(" Check function arguments and their types.")


def _context() -> Any:
    context = getattr(_state, "context", None)
    if context is None:
        context = _build_context()
        _state.context = context
    return context


def _build_context() -> Any:
    import cel
    from cel import stdlib

    from chainsaw_py.expressions import cel_k8s
    from chainsaw_py.kubecel import extensions

    context = cel.Context()
    for library in stdlib.EXTENSIONS.values():   # what add_stdlib_to_context registers, each call checked
        for name, function in library.items():
            context.add_function(name, _reporting(function, name))
    for name, function in extensions.functions().items():
        context.add_function(name, _reporting(function, name))
    context.add_function("lists.range", _reporting(_bounded_range, "lists.range"))
    context.add_function("split", _reporting(_bounded_split, "split"))
    context.add_function("replace", _reporting(_bounded_replace, "replace"))
    # a null object makes the resolver return None, which falls through to these
    context.add_variable("object", None)
    context.add_variable("bindings", {"__bindings__": True})
    context.set_variable_resolver(_resolve_variable)
    context.add_function("resolve", _reporting(_resolve_binding, "resolve"))
    context.add_function(CEL_CHECKPOINT, _checkpoint)
    for name, function in cel_k8s.functions().items():
        context.add_function(name, _reporting(function, name))
    return context


def _bounded_range(count: int) -> list[int]:
    """cel-go's ``lists.range(n)``, refused beyond ``limits.MAX_LIST_LENGTH`` (it is built in memory)."""
    if count > limits.MAX_LIST_LENGTH:
        raise ExpressionError(f"lists.range({count}): more than {limits.MAX_LIST_LENGTH} elements "
                              "(see CHAINSAW_PY_MAX_LIST_LENGTH)")
    return list(range(count))


def _bounded_split(text: str, separator: str, limit: int | None = None) -> list[str]:
    """cel-go's ``split``, refused when it would make more than ``limits.MAX_LIST_LENGTH`` parts."""
    from cel import stdlib

    parts = len(text) + 1 if separator == "" else text.count(separator) + 1
    if limit is not None and limit >= 0:
        parts = min(parts, limit)
    if parts > limits.MAX_LIST_LENGTH:
        raise ExpressionError(f"split: more than {limits.MAX_LIST_LENGTH} parts (see CHAINSAW_PY_MAX_LIST_LENGTH)")
    return stdlib.split(text, separator, limit)


def _bounded_replace(subject: str, old: str, new: str, limit: int = -1) -> str:
    return bounded_replace("replace", subject, old, new, limit if limit >= 0 else -1)


def _reporting(function: Callable[..., Any], name: str) -> Callable[..., Any]:
    """Remember an ``ExpressionError`` raised by ``function`` so that its message reaches the user. A call
    with arguments it has no parameters for, or of types it cannot handle (the Python callbacks are untyped),
    is cel-go's missing overload; a value out of range keeps its message, without Python's exception name."""
    try:
        signature: inspect.Signature | None = inspect.signature(function)
    except ValueError:  # a built-in without introspectable parameters: the library checks its calls
        signature = None

    @functools.wraps(function)
    def call(*args: Any) -> Any:
        try:
            if signature is not None:
                signature.bind(*args)
        except TypeError:
            _state.failure = ExpressionError(no_matching_overload(name, args))
            raise _state.failure from None
        try:
            return function(*args)
        except ExpressionError as error:
            _state.failure = error
            raise
        except (TypeError, AttributeError, KeyError) as error:  # arguments of types it has no overload for
            _state.failure = ExpressionError(no_matching_overload(name, args))
            raise _state.failure from error
        except (ValueError, IndexError, ArithmeticError) as error:  # a value out of its range: its message
            _state.failure = ExpressionError(str(error))
            raise _state.failure from error
    return call


def no_matching_overload(name: str, args: tuple[Any, ...]) -> str:
    """cel-go's message for a function called with argument types it has no overload for."""
    return f"found no matching overload for '{name}' applied to '({', '.join(_cel_type(arg) for arg in args)})'"


def _cel_type(value: Any) -> str:
    if value is None:
        return "null_type"
    for python_type, name in _CEL_TYPES:
        if isinstance(value, python_type):
            return name
    return type(value).__name__


_CEL_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "bool"), (int, "int"), (float, "double"), (str, "string"), (bytes, "bytes"), (list, "list(dyn)"),
    (dict, "map(dyn, dyn)"), (_dt.datetime, "google.protobuf.Timestamp"), (_dt.timedelta, "google.protobuf.Duration"))


def _resolve_variable(name: str) -> Any:
    scope = getattr(_state, "scope", None)
    if scope is None:
        return None
    if name == "object":
        return scope[0]
    if name == "bindings":
        return {"__bindings__": True}
    return None


def _resolve_binding(_bindings: Any, name: Any) -> Any:
    scope = getattr(_state, "scope", None)
    if scope is None or not isinstance(name, str):
        raise ExpressionError("invalid name type")
    return scope[1].resolve(name)


def to_plain(value: Any) -> Any:
    """CEL results as plain data: timestamps in RFC 3339, durations as Go durations, bytes in base64,
    Kubernetes library values (quantities, URLs, IPs, CIDRs) as their strings, optionals unwrapped."""
    from chainsaw_py.expressions import cel_k8s

    if isinstance(value, dict):
        special = cel_k8s.as_string(value)
        if special is not None:
            return special
        return {key: to_plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_plain(item) for item in value]
    if isinstance(value, float):
        return go_number(value)
    if isinstance(value, _dt.datetime):
        return value.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value.utcoffset() == _dt.timedelta(0) \
            else value.isoformat()
    if isinstance(value, _dt.timedelta):
        from chainsaw_py.golang.durations import format_duration_ns

        return format_duration_ns(round(value.total_seconds() * 1e9))
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if type(value).__name__ == "OptionalValue":
        return to_plain(value.value()) if value.has_value() else None
    return value
