"""CEL evaluation for admission (webhook matchConditions, ValidatingAdmissionPolicy), with compiled programs
cached by ``celrules``."""

from __future__ import annotations

from typing import Any

from chainsaw_py.embedded.celrules import RuleCompileError, compile_rule


class CelError(Exception):
    pass


def evaluate(expression: str, variables: dict[str, Any]) -> Any:
    import cel

    try:
        program = compile_rule(expression)
    except RuleCompileError as err:
        raise CelError(f"compilation failed: {err}") from None
    context = cel.Context()
    for name, value in variables.items():
        context.add_variable(name, value)
    try:
        return program.execute(context)
    except Exception as err:
        raise CelError(str(err).splitlines()[0] if str(err) else type(err).__name__) from None


def evaluate_condition(expression: str, variables: dict[str, Any]) -> bool:
    result = evaluate(expression, variables)
    if not isinstance(result, bool):
        raise CelError(f"expected bool, got {type(result).__name__}")
    return result
