"""All JMESPath functions, registered in Chainsaw's order (``pkg/engine/functions/caller.go``):
jmespath-community built-ins, then kyverno-json's, then kyverno's, then Chainsaw's. A later entry
replaces an earlier one of the same name, so kyverno's ``items``, ``sum``, ``replace``, ``trim``
and ``split`` win over the built-ins.
"""

from __future__ import annotations

import functools

from chainsaw_py.expressions.functions.registry import FunctionCaller, FunctionEntry


def function_families() -> list[tuple[str, tuple[FunctionEntry, ...]]]:
    """(family, entries) in registration order."""
    from chainsaw_py.expressions.functions import builtins, chainsaw, kyverno, kyverno_json

    return [
        ("jmespath", builtins.FUNCTIONS),
        ("kyverno-json", kyverno_json.FUNCTIONS),
        ("kyverno", kyverno.FUNCTIONS),
        ("chainsaw", chainsaw.FUNCTIONS),
    ]


@functools.cache
def default_caller() -> FunctionCaller:
    """The function table every JMESPath evaluation uses."""
    entries: list[FunctionEntry] = []
    for _, family in function_families():
        entries.extend(family)
    return FunctionCaller(entries)


__all__ = ["FunctionCaller", "FunctionEntry", "default_caller", "function_families"]
