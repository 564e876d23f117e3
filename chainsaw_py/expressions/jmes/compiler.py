"""Compiles a parsed jmespath-community expression into Python closures, one per AST node.

The ``jmespath`` package's parser (extended in ``grammar.jmes_parser``) gives the AST; ``compile_search``
turns it, once per expression, into nested closures ``evaluate(value, scope)``. This replaces a
``jmespath.visitor.TreeInterpreter`` subclass for speed: walking the AST dispatched on node type names for
every node of every evaluation; the closures resolve that, the function table entries, arity and argument
specs, and the shape of common comparisons once, when compiling (issue 14, ``benchmarks/checks_pods.py
--lean``: the tree check went from ~380 to ~150 ms of CPU for 10,000 pods; the figures are in
docs/performance.md).

Semantics follow go-jmespath's ``pkg/interpreter/interpreter.go``: arithmetic in float64 (whole results
folded to ints, see ``golang.fmt.go_number``), ordering comparisons only between numbers, multi-selects built
even on null, string slicing, ``$`` = the document root. One deliberate leniency: equality and function type
checks treat ints and floats alike (Go's unstructured objects hold int64 and go-jmespath compares them
strictly with float64 literals).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from typing import Any

from chainsaw_py.expressions.bindings import Bindings
from chainsaw_py.expressions.deadline import DEADLINE_EXCEEDED, current_deadline, evaluation_stop
from chainsaw_py.expressions.functions.registry import ExpRef, FunctionCaller
from chainsaw_py.golang.fmt import go_number, is_number
from chainsaw_py.grammar.errors import ExpressionError
from chainsaw_py.grammar.jmes_parser import compile_expression

__all__ = ["Scope", "Search", "compile_search", "go_equal", "is_false"]

Node = dict[str, Any]


class Scope:
    """What one evaluation shares: the root ``$``, the bindings ``$name`` resolves in (``let`` swaps them
    while its body runs) and when to stop (``time.monotonic()``; None: never)."""

    __slots__ = ("bindings", "deadline", "root")

    def __init__(self, root: Any, bindings: Bindings, deadline: float | None) -> None:
        self.root = root
        self.bindings = bindings
        self.deadline = deadline


Evaluate = Callable[[Any, Scope], Any]
"""A compiled node: ``evaluate(current_value, scope) -> result``."""

Search = Callable[[Any, Bindings], Any]
"""A compiled expression: ``search(value, bindings) -> result`` with ``@`` and ``$`` = ``value``."""


def is_false(value: Any) -> bool:
    """JMESPath falsiness: false, null, and empty strings, arrays and objects (numbers never)."""
    if value is None or value is False:
        return True
    if isinstance(value, (str, list, dict)):
        return len(value) == 0
    return False


def go_equal(left: Any, right: Any) -> bool:
    """``reflect.DeepEqual`` over JSON data, with ints and floats compared by value."""
    if type(left) is str and type(right) is str:  # the common case, first
        return left == right
    if is_number(left) and is_number(right):
        return bool(left == right)
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(go_equal(a, b) for a, b in zip(left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(go_equal(left[k], right[k]) for k in left)
    if type(left) is not type(right) and not (isinstance(left, str) and isinstance(right, str)):
        return False
    return bool(left == right)


def _divide(left: float, right: float) -> float:
    if right == 0:
        if left == 0 or math.isnan(left):
            return math.nan
        return math.copysign(math.inf, left) * math.copysign(1.0, right)
    return left / right


def _modulo(left: float, right: float) -> float:
    if right == 0 or math.isinf(left) or math.isnan(left) or math.isnan(right):
        return math.nan
    return math.fmod(left, right)


_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "plus": lambda a, b: a + b,
    "minus": lambda a, b: a - b,
    "star": lambda a, b: a * b,
    "multiply": lambda a, b: a * b,
    "divide": _divide,
    "modulo": _modulo,
    "div": lambda a, b: math.floor(q) if math.isfinite(q := _divide(a, b)) else q,
}
_ORDERING: dict[str, Callable[[Any, Any], bool]] = {
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
}


# --- the public entry -----------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=2048)
def compile_search(source: str, functions: FunctionCaller) -> Search:
    """``source`` parsed and compiled (cached): raises ``ExpressionSyntaxError``; the search raises
    ``ExpressionError``."""
    ast = compile_expression(source)
    try:
        evaluate = _Compiler(functions).compile(ast)
    except RecursionError:  # a safety net: the parser's bounds keep the AST shallow
        raise ExpressionError("expression nesting too deep") from None

    def search(value: Any, bindings: Bindings) -> Any:
        try:
            return evaluate(value, Scope(value, bindings, evaluation_stop(current_deadline())))
        except RecursionError:
            raise ExpressionError("expression nesting too deep") from None

    return search


def _check_deadline(deadline: float) -> None:
    """Stop once the operation's deadline has passed (checked per projected element and per call)."""
    if time.monotonic() > deadline:
        raise ExpressionError(DEADLINE_EXCEEDED)


# --- the compiler ---------------------------------------------------------------------------------------------


class _Compiler:
    """One closure per node; ``_compile_<type>`` per node type (an unknown type fails when evaluated)."""

    def __init__(self, functions: FunctionCaller) -> None:
        self._functions = functions

    def compile(self, node: Node) -> Evaluate:
        method = _COMPILERS.get(node["type"])
        if method is None:
            return _failing(f"Unknown AST node: {node['type']}")
        return method(self, node)

    def _children(self, node: Node) -> list[Evaluate]:
        return [self.compile(child) for child in node["children"]]

    # -- values -------------------------------------------------------------------------------------------

    def _compile_literal(self, node: Node) -> Evaluate:
        literal = node["value"]
        return lambda value, scope: literal

    def _compile_current(self, node: Node) -> Evaluate:
        return _current

    _compile_identity = _compile_current

    def _compile_variable(self, node: Node) -> Evaluate:
        name = node["value"]
        return lambda value, scope: scope.bindings.resolve(name)

    def _compile_root(self, node: Node) -> Evaluate:
        return lambda value, scope: scope.root

    def _compile_binding(self, node: Node) -> Evaluate:
        return _failing("Unknown AST node: ASTBinding")

    def _compile_let_expression(self, node: Node) -> Evaluate:
        assignments = [(binding["children"][0]["value"], self.compile(binding["children"][1]))
                       for binding in node["children"][0]["children"]]
        body = self.compile(node["children"][1])

        def let(value: Any, scope: Scope) -> Any:
            # Every binding's expression sees the outer scope; the body sees them all.
            outer = scope.bindings
            inner = outer
            for name, expression in assignments:
                inner = inner.register(name, expression(value, scope))
            scope.bindings = inner
            try:
                return body(value, scope)
            finally:
                scope.bindings = outer

        return let

    # -- fields, indexes, chains ----------------------------------------------------------------------------

    def _compile_field(self, node: Node) -> Evaluate:
        name = node["value"]

        def field(value: Any, scope: Scope) -> Any:
            return value.get(name) if isinstance(value, dict) else None

        return field

    def _compile_subexpression(self, node: Node) -> Evaluate:
        names = _field_chain(node)
        if names is not None:
            return _fields(names)
        first, *rest = self._children(node)

        # The first child is evaluated even on a null node: ``$var.field`` reads a binding.
        def subexpression(value: Any, scope: Scope) -> Any:
            result = first(value, scope)
            for child in rest:
                if result is None:
                    return None
                result = child(result, scope)
            return result

        return subexpression

    _compile_index_expression = _compile_subexpression

    def _compile_index(self, node: Node) -> Evaluate:
        position = node["value"]

        def index(value: Any, scope: Scope) -> Any:
            if not isinstance(value, list):
                return None
            found = position + len(value) if position < 0 else position
            return value[found] if 0 <= found < len(value) else None

        return index

    def _compile_slice(self, node: Node) -> Evaluate:
        start, stop, step = node["children"]
        if step == 0:
            return _failing("invalid slice, step cannot be 0")
        bounds = slice(start, stop, step)
        return lambda value, scope: value[bounds] if isinstance(value, (list, str)) else None

    def _compile_pipe(self, node: Node) -> Evaluate:
        left, right = self._children(node)
        return lambda value, scope: right(left(value, scope), scope)

    # -- projections ------------------------------------------------------------------------------------------

    def _compile_projection(self, node: Node) -> Evaluate:
        left, right = self._children(node)
        string_slice = _is_string_slice(node["children"][0])
        identity = right is _current

        def projection(value: Any, scope: Scope) -> Any:
            base = left(value, scope)
            if string_slice and isinstance(base, str):
                return right(base, scope)
            if not isinstance(base, list):
                return None
            return _project(base, None if identity else right, scope)

        return projection

    def _compile_value_projection(self, node: Node) -> Evaluate:
        left, right = self._children(node)
        identity = right is _current

        def value_projection(value: Any, scope: Scope) -> Any:
            base = left(value, scope)
            if not isinstance(base, dict):
                return None
            return _project(base.values(), None if identity else right, scope)

        return value_projection

    def _compile_filter_projection(self, node: Node) -> Evaluate:
        left, right, condition = self._children(node)
        boolean = _is_boolean(node["children"][2])
        identity = right is _current

        def filter_projection(value: Any, scope: Scope) -> Any:
            base = left(value, scope)
            if not isinstance(base, list):
                return None
            deadline = scope.deadline
            collected = []
            for element in base:
                if deadline is not None:
                    _check_deadline(deadline)
                matched = condition(element, scope)
                if matched if boolean else not is_false(matched):
                    current = element if identity else right(element, scope)
                    if current is not None:
                        collected.append(current)
            return collected

        return filter_projection

    def _compile_flatten(self, node: Node) -> Evaluate:
        (child,) = self._children(node)

        def flatten(value: Any, scope: Scope) -> Any:
            base = child(value, scope)
            if not isinstance(base, list):
                return None
            merged: list[Any] = []
            for element in base:
                if isinstance(element, list):
                    merged.extend(element)
                else:
                    merged.append(element)
            return merged

        return flatten

    def _compile_multi_select_dict(self, node: Node) -> Evaluate:
        pairs = [(child["value"], self.compile(child)) for child in node["children"]]
        return lambda value, scope: {key: evaluate(value, scope) for key, evaluate in pairs}

    def _compile_key_val_pair(self, node: Node) -> Evaluate:
        return self.compile(node["children"][0])

    def _compile_multi_select_list(self, node: Node) -> Evaluate:
        children = self._children(node)
        return lambda value, scope: [evaluate(value, scope) for evaluate in children]

    # -- logic and comparisons --------------------------------------------------------------------------------

    def _compile_or_expression(self, node: Node) -> Evaluate:
        left, right = self._children(node)

        def or_expression(value: Any, scope: Scope) -> Any:
            matched = left(value, scope)
            return right(value, scope) if is_false(matched) else matched

        return or_expression

    def _compile_and_expression(self, node: Node) -> Evaluate:
        left, right = self._children(node)

        def and_expression(value: Any, scope: Scope) -> Any:
            matched = left(value, scope)
            return matched if is_false(matched) else right(value, scope)

        return and_expression

    def _compile_not_expression(self, node: Node) -> Evaluate:
        (child,) = self._children(node)
        return lambda value, scope: is_false(child(value, scope))

    def _compile_comparator(self, node: Node) -> Evaluate:
        operator = node["value"]
        left_node, right_node = node["children"]
        left, right = self._children(node)
        if operator in ("eq", "ne"):
            return _equality(left, right, left_node, right_node, negate=operator == "ne")
        ordering = _ORDERING[operator]

        def compare(value: Any, scope: Scope) -> Any:
            first = left(value, scope)
            second = right(value, scope)
            if not is_number(first) or not is_number(second):
                return None
            return ordering(first, second)

        return compare

    # -- arithmetic ---------------------------------------------------------------------------------------------

    def _compile_arithmetic(self, node: Node) -> Evaluate:
        left, right = self._children(node)
        operation = _ARITHMETIC[node["value"]]

        def arithmetic(value: Any, scope: Scope) -> Any:
            first = left(value, scope)
            second = right(value, scope)
            if not is_number(first) or not is_number(second):
                return None
            return go_number(operation(float(first), float(second)))

        return arithmetic

    def _compile_arithmetic_unary(self, node: Node) -> Evaluate:
        (operand,) = self._children(node)
        negative = node["value"] == "minus"

        def unary(value: Any, scope: Scope) -> Any:
            result = operand(value, scope)
            if not is_number(result):
                return None
            return go_number(-float(result)) if negative else go_number(float(result))

        return unary

    # -- functions ----------------------------------------------------------------------------------------------

    def _compile_expref(self, node: Node) -> Evaluate:
        child = self.compile(node["children"][0])
        return lambda value, scope: ExpRef(lambda element: child(element, scope))

    def _compile_function_expression(self, node: Node) -> Evaluate:
        arguments = self._children(node)
        call = self._functions.bind(node["value"], len(arguments))

        def function(value: Any, scope: Scope) -> Any:
            values = [argument(value, scope) for argument in arguments]
            if scope.deadline is not None:
                _check_deadline(scope.deadline)
            return call(values)

        return function


_COMPILERS: dict[str, Callable[[_Compiler, Node], Evaluate]] = {
    name.removeprefix("_compile_"): method for name, method in vars(_Compiler).items() if name.startswith("_compile_")}


# --- pieces the compiler shares -------------------------------------------------------------------------------


def _current(value: Any, scope: Scope) -> Any:
    return value


def _failing(message: str) -> Evaluate:
    """A node that fails only when evaluated (``false && <it>`` still succeeds)."""
    def fail(value: Any, scope: Scope) -> Any:
        raise ExpressionError(message)

    return fail


def _field_chain(node: Node) -> list[str] | None:
    """The names of a subexpression made only of fields (``a.b.c``), else None."""
    names: list[str] = []
    for child in node["children"]:
        if child["type"] == "field":
            names.append(child["value"])
        elif child["type"] == "subexpression" and (inner := _field_chain(child)) is not None:
            names.extend(inner)
        else:
            return None
    return names


def _fields(names: list[str]) -> Evaluate:
    """``a.b.c``: each step reads a field of a map; anything else (null included) ends it with null."""
    if len(names) == 2:
        first, second = names

        def two_fields(value: Any, scope: Scope) -> Any:
            if isinstance(value, dict):
                value = value.get(first)
                if isinstance(value, dict):
                    return value.get(second)
            return None

        return two_fields
    chain = tuple(names)

    def fields(value: Any, scope: Scope) -> Any:
        for name in chain:
            if not isinstance(value, dict):
                return None
            value = value.get(name)
        return value

    return fields


def _project(elements: Any, right: Evaluate | None, scope: Scope) -> list[Any]:
    """``right`` of each element (the element itself when ``right`` is None), nulls dropped."""
    deadline = scope.deadline
    collected = []
    for element in elements:
        if deadline is not None:
            _check_deadline(deadline)
        current = element if right is None else right(element, scope)
        if current is not None:
            collected.append(current)
    return collected


def _is_string_slice(node: Node) -> bool:
    children = node.get("children", [])
    return node["type"] == "index_expression" and len(children) > 1 and children[1]["type"] == "slice"


def _is_boolean(node: Node) -> bool:
    """Whether the node always yields ``True`` or ``False`` (so a filter can test it directly)."""
    kind = node["type"]
    if kind == "comparator":
        return bool(node["value"] in ("eq", "ne"))
    if kind == "not_expression":
        return True
    if kind in ("and_expression", "or_expression"):
        return all(_is_boolean(child) for child in node["children"])
    return False


def _equality(left: Evaluate, right: Evaluate, left_node: Node, right_node: Node, negate: bool) -> Evaluate:
    """``==`` / ``!=``; against a string or number literal, ``go_equal`` reduces to one type test and ``==``
    (and a field on the other side is read in place: ``[?type == 'Ready']``)."""
    if right_node["type"] == "literal":
        other, other_node, literal = left, left_node, right_node["value"]
    elif left_node["type"] == "literal":
        other, other_node, literal = right, right_node, left_node["value"]
    else:
        def equality(value: Any, scope: Scope) -> bool:
            return go_equal(left(value, scope), right(value, scope)) is not negate

        return equality
    if isinstance(literal, str):
        if other_node["type"] == "field":
            return _field_equal_to_string(other_node["value"], literal, negate)
        return _equal_to_string(other, literal, negate)
    if is_number(literal):
        return _equal_to_number(other, literal, negate)

    def equal_to_literal(value: Any, scope: Scope) -> bool:
        return go_equal(left(value, scope), right(value, scope)) is not negate

    return equal_to_literal


def _equal_to_string(other: Evaluate, literal: str, negate: bool) -> Evaluate:
    def equal(value: Any, scope: Scope) -> bool:
        found = other(value, scope)
        return (isinstance(found, str) and found == literal) is not negate

    return equal


def _field_equal_to_string(name: str, literal: str, negate: bool) -> Evaluate:
    def field_equal(value: Any, scope: Scope) -> bool:
        found = value.get(name) if isinstance(value, dict) else None
        return (isinstance(found, str) and found == literal) is not negate

    return field_equal


def _equal_to_number(other: Evaluate, literal: float, negate: bool) -> Evaluate:
    def equal(value: Any, scope: Scope) -> bool:
        found = other(value, scope)
        return (is_number(found) and found == literal) is not negate

    return equal
