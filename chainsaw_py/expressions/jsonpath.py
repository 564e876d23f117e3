"""JSONPath as a third expression language (a chainsaw_py extension, not portable to Chainsaw).

``(jsonpath; $.spec.containers[*].image)`` or ``compiler: jsonpath``, evaluated with jsonpath-ng's
extended parser (filters ``[?(@.x == 'y')]``, ``[?x > 1]``, arithmetic, `` `len` ``...). ``$`` and
``@`` both stand for the current value.

Result rule: a *singular* path (only names and integer indexes: ``$.spec.replicas``,
``$.items[0].metadata.name``) yields the matched value, or null when nothing matches. Any other
path (wildcards, slices, filters, unions, ``..``) yields the list of matched values, possibly empty.
"""

from __future__ import annotations

from typing import Any

from chainsaw_py.grammar.compilers import compile_jsonpath
from chainsaw_py.grammar.errors import ExpressionError


def evaluate_jsonpath(source: str, value: Any) -> Any:
    """Evaluate ``source`` against ``value`` with the single-value / list-of-matches rule."""
    path = compile_jsonpath(source)
    try:
        matches = [match.value for match in path.find(value)]
    except Exception as error:
        raise ExpressionError(f"JSONPath {source.strip()!r}: {error}") from None
    if is_singular(path):
        return matches[0] if matches else None
    return matches


def is_singular(path: Any) -> bool:
    """True when ``path`` can match at most one node (names and integer indexes only)."""
    from jsonpath_ng import jsonpath as ast

    if isinstance(path, (ast.Root, ast.This)):
        return True
    if isinstance(path, ast.Fields):
        return len(path.fields) == 1 and path.fields[0] != "*"
    if isinstance(path, ast.Index):
        return len(path.indices) == 1
    if isinstance(path, ast.Child):
        return is_singular(path.left) and is_singular(path.right)
    return False
