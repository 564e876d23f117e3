"""Evaluating expressions in any of the three languages, and Chainsaw's Expression fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chainsaw_py.expressions.bindings import Bindings
from chainsaw_py.grammar.errors import ExpressionError
from chainsaw_py.grammar.statement import COMPILERS, parse, unescape

DEFAULT_COMPILER = "jp"


Program = Callable[[Any, Bindings], Any]
"""A compiled expression: ``program(current_value, bindings) -> result``."""

_LIBRARY_ERRORS = (TypeError, ValueError, KeyError, IndexError, ArithmeticError, AttributeError)


def evaluate(source: str, value: Any, bindings: Bindings | None = None, compiler: str | None = "jp") -> Any:
    """Evaluate ``source`` in ``compiler``'s language with ``value`` as the current node.

    ``@`` (jp), ``object`` (cel) or ``$`` (jsonpath) is ``value``. Raises ``ExpressionError``
    (``ExpressionSyntaxError`` when the source does not parse).
    """
    return compile_program(source, compiler)(value, bindings if bindings is not None else Bindings())


def compile_program(source: str, compiler: str | None = "jp") -> Program:
    """``source`` compiled once, to evaluate many times (assertion trees while polling).

    Raises ``ExpressionSyntaxError`` when the source does not parse; the program raises ``ExpressionError``.
    """
    language = compiler or DEFAULT_COMPILER
    try:
        if language == "jp":
            return _jp_program(source)
        if language == "cel":
            return _cel_program(source)
        if language == "jsonpath":
            return _jsonpath_program(source)
    except ExpressionError:
        raise
    except _LIBRARY_ERRORS as error:
        raise ExpressionError(f"{type(error).__name__}: {error}") from None
    raise ExpressionError(f"unknown compiler {language!r} (expected one of: {', '.join(COMPILERS)})")


def _jp_program(source: str) -> Program:
    from chainsaw_py.expressions.functions import default_caller
    from chainsaw_py.expressions.jmes import compile_search

    return _guarded(compile_search(source, default_caller()))


def _cel_program(source: str) -> Program:
    from chainsaw_py.expressions.cel import evaluate_cel

    def program(value: Any, bindings: Bindings) -> Any:
        return evaluate_cel(source, value, bindings)

    return _guarded(program)


def _jsonpath_program(source: str) -> Program:
    from chainsaw_py.expressions.jsonpath import evaluate_jsonpath

    def program(value: Any, bindings: Bindings) -> Any:
        return evaluate_jsonpath(source, value)

    return _guarded(program)


def _guarded(program: Program) -> Program:
    """Library exceptions from evaluating become ``ExpressionError``."""
    def guarded(value: Any, bindings: Bindings) -> Any:
        try:
            return program(value, bindings)
        except ExpressionError:
            raise
        except _LIBRARY_ERRORS as error:
            raise ExpressionError(f"{type(error).__name__}: {error}") from None

    return guarded


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
