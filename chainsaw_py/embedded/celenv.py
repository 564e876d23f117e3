"""The CEL environments of the API server: one ``cel.Context`` per thread and purpose, with the standard
library, the ``cel`` package's extensions and the Kubernetes CEL libraries (``chainsaw_py.kubecel``):
``rules`` for CRD ``x-kubernetes-validations``, ``admission`` (also Authz) for webhook ``matchConditions`` and
ValidatingAdmissionPolicy. Variables are set on the context before each evaluation."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

from chainsaw_py import kubecel

_local = threading.local()
# the extension logs every failing Python callback as a warning; the error reaches us anyway
logging.getLogger("cel").setLevel(logging.ERROR)


def _remembering(function: Callable[..., Any]) -> Callable[..., Any]:
    """Keep a library function's own message: the ``cel`` package wraps it in its own words."""
    @functools.wraps(function)
    def call(*args: Any) -> Any:
        try:
            return function(*args)
        except kubecel.LibraryError as error:
            _local.failure = str(error)
            raise
    return call


def _build(with_authz: bool) -> Any:
    import cel
    from cel import stdlib

    context = cel.Context()
    stdlib.add_stdlib_to_context(context)
    table = kubecel.functions()
    if with_authz:
        table.update(kubecel.authz_functions())
    for name, function in table.items():
        context.add_function(name, _remembering(function))
    return context


def context(purpose: str) -> Any:
    """The calling thread's context for ``purpose`` (``"rules"`` or ``"admission"``)."""
    contexts: dict[str, Any] = getattr(_local, "contexts", None) or {}
    _local.contexts = contexts
    if purpose not in contexts:
        contexts[purpose] = _build(purpose == "admission")
    return contexts[purpose]


def execute(program: Any, purpose: str, variables: dict[str, Any]) -> Any:
    """Run ``program`` with ``variables``; errors are re-raised as ``RuntimeError`` with cel-go's wording."""
    bound = context(purpose)
    for name, value in variables.items():
        bound.add_variable(name, value)
    _local.failure = None
    try:
        return program.execute(bound)
    except Exception as error:
        failure = getattr(_local, "failure", None)
        raise RuntimeError(failure or _first_line(error)) from None
    finally:
        _local.failure = None


def _first_line(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    marker = "Python function call failed: "
    if marker in text:
        text = text.split(marker, 1)[1]
    return text.removesuffix(" Check function arguments and their types.")


def to_plain(value: Any) -> Any:
    """Library values (quantities, URLs, semvers...) as their strings, optionals unwrapped."""
    if isinstance(value, dict):
        text = kubecel.as_string(value)
        return text if text is not None else {key: to_plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_plain(item) for item in value]
    if type(value).__name__ == "OptionalValue":
        return to_plain(value.value()) if value.has_value() else None
    return value
