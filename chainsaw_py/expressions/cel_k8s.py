"""The Kubernetes CEL libraries for Chainsaw's CEL: ``chainsaw_py.kubecel`` (shared with the embedded API server)
with its errors raised as ``ExpressionError``. Authz is left out: Chainsaw has no authorizer."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from chainsaw_py import kubecel
from chainsaw_py.grammar.errors import ExpressionError


def _as_expression_error(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def call(*args: Any) -> Any:
        try:
            return function(*args)
        except kubecel.LibraryError as error:
            raise ExpressionError(str(error)) from None
    return call


def functions() -> dict[str, Callable[..., Any]]:
    return {name: _as_expression_error(function) for name, function in kubecel.functions().items()}


def as_string(value: dict[str, Any]) -> str | None:
    return kubecel.as_string(value)
