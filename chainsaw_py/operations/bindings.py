"""Binding resolution shared by test/step/operation ``bindings``, ``env`` and ``outputs``
(Chainsaw's ``pkg/engine/bindings`` and ``pkg/engine/outputs``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from chainsaw_py.expressions import Bindings, ExpressionError, evaluate_string, template
from chainsaw_py.loading.model import Binding, Output
from chainsaw_py.operations.base import OperationError, Outputs

_IDENTIFIER = re.compile(r"^\w+$")


def resolve_binding(binding: Binding | Output, bindings: Bindings, compiler: str,
                    value: Any = None) -> tuple[str, Any]:
    """Evaluate a binding's name (an expression field) and its value (templated with ``@`` = value)."""
    try:
        name = evaluate_string(binding.name, bindings, compiler)
    except ExpressionError as err:
        raise OperationError(str(err)) from err
    if not _IDENTIFIER.match(name):
        raise OperationError(f"invalid binding name {name}")
    try:
        resolved = template(binding.value, value, bindings, binding.compiler or compiler)
    except ExpressionError as err:
        raise OperationError(str(err)) from err
    return name, resolved


def register_bindings(bindings: Bindings, entries: Iterable[Binding], compiler: str) -> Bindings:
    """Register bindings in order; each sees the ones before it."""
    for entry in entries:
        name, value = resolve_binding(entry, bindings, compiler)
        bindings = bindings.register(name, value)
    return bindings


def process_outputs(outputs: Iterable[Output], bindings: Bindings, compiler: str, value: Any) -> Outputs:
    """Evaluate ``outputs`` after a successful operation; an output whose ``match`` fails is skipped."""
    results: Outputs = {}
    for output in outputs:
        if output.match is not None:
            # Imported here: only outputs with a match need the checks.
            from chainsaw_py.checks import AssertionHardError, assert_tree

            try:
                if assert_tree(output.match, value, bindings, compiler):
                    continue
            except AssertionHardError as err:
                raise OperationError(str(err)) from err
        name, resolved = resolve_binding(output, bindings, compiler, value)
        bindings = bindings.register(name, resolved)
        results[name] = resolved
    return results
