"""Resource templating (Chainsaw's ``pkg/mutate`` and ``pkg/engine/templating``).

Every string value of the form ``(expr)`` is replaced by its result, evaluated with ``@`` = the
value at the same path in the input; map keys are never evaluated; escaped ``\\(x)\\`` strings are
kept as they are (backslashes included); lists go element by element. The result is then deep-merged
over the original object, as ``TemplateAndMerge`` does.
"""

from __future__ import annotations

from typing import Any

from chainsaw_py.expressions.bindings import Bindings
from chainsaw_py.golang.fmt import format_v
from chainsaw_py.grammar.errors import ExpressionError
from chainsaw_py.grammar.statement import COMPILERS, parse
from chainsaw_py.util.maps import merge


def template(obj: Any, value: Any, bindings: Bindings | None = None, compiler: str | None = "jp") -> Any:
    """Template ``obj`` against ``value`` and merge the result over ``obj``."""
    scope = bindings if bindings is not None else Bindings()
    result = _mutate(obj, value, scope, compiler or "jp", None)
    if isinstance(obj, dict) and isinstance(result, dict):
        return merge(obj, result)
    return result



def _mutate(node: Any, value: Any, bindings: Bindings, compiler: str, path: str | None) -> Any:
    if isinstance(node, dict):
        projected = value if isinstance(value, dict) else {}
        return {key: _mutate(child, projected.get(key), bindings, compiler, _child(path, key))
                for key, child in node.items()}
    if isinstance(node, list):
        if value is not None and not isinstance(value, list):
            raise ExpressionError(
                f"{_render(path)}: Invalid value: {_bad_value(value)}: expected a slice or array")
        items = value or []
        return [_mutate(child, items[index] if index < len(items) else None, bindings, compiler,
                        f"{_render(path) if path is not None else ''}[{index}]")
                for index, child in enumerate(node)]
    return _scalar(node, value, bindings, compiler, path)


def _scalar(node: Any, value: Any, bindings: Bindings, compiler: str, path: str | None) -> Any:
    expression = parse(node) if isinstance(node, str) else None
    if expression is None:
        return node
    engine = expression.engine or compiler
    if engine not in COMPILERS:
        return node
    from chainsaw_py.expressions.engine import evaluate

    try:
        return evaluate(expression.source, value, bindings, engine)
    except ExpressionError as error:
        raise ExpressionError(f"{_render(path)}: Internal error: {error}") from None


def _child(path: str | None, key: Any) -> str:
    name = format_v(key)
    return name if path is None else f"{path}.{name}"


def _render(path: str | None) -> str:
    # apimachinery's field.Path prints a nil path as "<nil>"
    return "<nil>" if path is None else path


def _bad_value(value: Any) -> str:
    """apimachinery's ``ErrorBody`` rendering of a bad value."""
    from chainsaw_py.golang import fmt as gofmt

    if isinstance(value, str):
        return gofmt.quote(value)
    if isinstance(value, (bool, int, float)):
        return gofmt.format_v(value)
    return gofmt.format_sharp_v(value)
