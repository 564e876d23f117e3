"""JSONPath as a third expression language (a chainsaw_py extension, not portable to Chainsaw).

``(jsonpath; $.spec.containers[*].image)`` or ``compiler: jsonpath``, evaluated with jsonpath-ng's
extended parser (filters ``[?(@.x == 'y')]``, ``[?x > 1]``, arithmetic, `` `len` ``...). ``$`` and
``@`` both stand for the current value.

Result rule: a *singular* path (only names and integer indexes: ``$.spec.replicas``,
``$.items[0].metadata.name``) yields the matched value, or null when nothing matches. Any other
path (wildcards, slices, filters, unions, ``..``) yields the list of matched values, possibly empty.
"""

from __future__ import annotations

import copy
import functools
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from chainsaw_py.expressions.deadline import DEADLINE_EXCEEDED, current_deadline, evaluation_stop
from chainsaw_py.grammar.compilers import compile_jsonpath
from chainsaw_py.grammar.errors import ExpressionError

_stop: ContextVar[float | None] = ContextVar("chainsaw_py_jsonpath_stop", default=None)


def evaluate_jsonpath(source: str, value: Any) -> Any:
    """Evaluate ``source`` against ``value`` with the single-value / list-of-matches rule; evaluation
    stops at the operation's deadline (``expressions.deadline``)."""
    path = _checkpointed_path(source)
    token = _stop.set(evaluation_stop(current_deadline()))
    try:
        matches = [match.value for match in path.find(value)]
    except ExpressionError:
        raise
    except Exception as error:
        raise ExpressionError(f"JSONPath {source.strip()!r}: {error}") from None
    finally:
        _stop.reset(token)
    if is_singular(path):
        return matches[0] if matches else None
    return matches


@functools.lru_cache(maxsize=1024)
def _checkpointed_path(source: str) -> Any:
    """The parsed path, each of whose nodes checks the clock every time it is applied to a value
    (``$..*..*`` on deep data applies nodes millions of times)."""
    path = copy.deepcopy(compile_jsonpath(source))  # the syntax cache's tree stays as jsonpath-ng made it
    _add_checkpoints(path, set())
    return path


def _add_checkpoints(node: Any, seen: set[int]) -> None:
    from jsonpath_ng.jsonpath import JSONPath

    if isinstance(node, (list, tuple)):
        for item in node:
            _add_checkpoints(item, seen)
    elif isinstance(node, JSONPath) and id(node) not in seen:
        seen.add(id(node))
        children = list(vars(node).values())
        vars(node)["find"] = _checkpointed(node.find)  # an instance attribute: what `self.right.find(...)` calls
        for child in children:
            _add_checkpoints(child, seen)


def _checkpointed(find: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def checked(datum: Any) -> Any:
        stop = _stop.get()
        if stop is not None and time.monotonic() > stop:
            raise ExpressionError(DEADLINE_EXCEEDED)
        return find(datum)

    return checked


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
