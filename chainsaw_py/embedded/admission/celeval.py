"""CEL evaluation for admission (webhook matchConditions, ValidatingAdmissionPolicy): programs cached by
``celrules``, one context per thread with the ``cel`` package's extension library (strings, lists, sets,
math). The Kubernetes CEL libraries (quantity, url, ip, cidr, format) live in ``chainsaw_py.expressions``,
which this layer may not import, so they are not available here."""

from __future__ import annotations

import threading
from typing import Any

from chainsaw_py.embedded.celrules import RuleCompileError, compile_rule

ADMISSION_VARIABLES = ("object", "oldObject", "request", "params", "namespaceObject", "variables")
_local = threading.local()


class CelError(Exception):
    pass


def _context() -> Any:
    context = getattr(_local, "context", None)
    if context is None:
        import cel
        from cel import stdlib

        context = cel.Context()
        stdlib.add_stdlib_to_context(context)
        _local.context = context
    return context


def evaluate(expression: str, variables: dict[str, Any]) -> Any:
    try:
        program = compile_rule(expression)
    except RuleCompileError as err:
        raise CelError(f"compilation failed: {err}") from None
    context = _context()
    for name in ADMISSION_VARIABLES:
        context.add_variable(name, variables.get(name))
    try:
        return program.execute(context)
    except Exception as err:
        text = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise CelError(text) from None


def evaluate_condition(expression: str, variables: dict[str, Any]) -> bool:
    result = evaluate(expression, variables)
    if not isinstance(result, bool):
        raise CelError(f"expected bool, got {type(result).__name__}")
    return result
