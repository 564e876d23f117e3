"""Evaluating expressions in any of the three languages, and Chainsaw's Expression fields."""

from __future__ import annotations

from typing import Any

from chainsaw_py.expressions.bindings import Bindings
from chainsaw_py.grammar.errors import ExpressionError
from chainsaw_py.grammar.statement import COMPILERS, parse, unescape

DEFAULT_COMPILER = "jp"


def evaluate(source: str, value: Any, bindings: Bindings | None = None, compiler: str | None = "jp") -> Any:
    """Evaluate ``source`` in ``compiler``'s language with ``value`` as the current node.

    ``@`` (jp), ``object`` (cel) or ``$`` (jsonpath) is ``value``. Raises ``ExpressionError``
    (``ExpressionSyntaxError`` when the source does not parse).
    """
    scope = bindings if bindings is not None else Bindings()
    language = compiler or DEFAULT_COMPILER
    try:
        if language == "jp":
            return _evaluate_jp(source, value, scope)
        if language == "cel":
            from chainsaw_py.expressions.cel import evaluate_cel

            return evaluate_cel(source, value, scope)
        if language == "jsonpath":
            from chainsaw_py.expressions.jsonpath import evaluate_jsonpath

            return evaluate_jsonpath(source, value)
    except ExpressionError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, ArithmeticError, AttributeError) as error:
        raise ExpressionError(f"{type(error).__name__}: {error}") from None
    raise ExpressionError(f"unknown compiler {language!r} (expected one of: {', '.join(COMPILERS)})")


def _evaluate_jp(source: str, value: Any, bindings: Bindings) -> Any:
    from chainsaw_py.expressions.functions import default_caller
    from chainsaw_py.expressions.jmes import compile_expression, search

    return search(compile_expression(source), value, bindings, default_caller())


def evaluate_string(field: str, bindings: Bindings | None = None, compiler: str | None = "jp") -> str:
    """Chainsaw's Expression fields (``file``, ``name``, ``namespace``...; ``pkg/expressions/string.go``).

    Empty and plain strings are literal, ``\\text\\`` gives ``text``, ``(expr)`` is evaluated with a
    null current node and must yield a string. As in Chainsaw, an unknown engine prefix such as
    ``(foo; bar)`` gives the literal statement.
    """
    if not field:
        return ""
    expression = parse(field)
    if expression is None:
        return unescape(field)
    if expression.engine is not None and expression.engine not in COMPILERS:
        return expression.source
    result = evaluate(expression.source, None, bindings, expression.engine or compiler)
    if not isinstance(result, str):
        raise ExpressionError(f"expression didn't evaluate to a string ({field})")
    return result


def evaluate_value(field: Any, value: Any, bindings: Bindings | None = None,
                   compiler: str | None = "jp") -> Any:
    """A scalar that may be an expression: evaluated if it is one, else returned unchanged."""
    expression = parse(field) if isinstance(field, str) else None
    if expression is None:
        return field
    if expression.engine is not None and expression.engine not in COMPILERS:
        return field
    return evaluate(expression.source, value, bindings, expression.engine or compiler)
