"""Tree interpreter for the jmespath-community dialect, extending ``jmespath.visitor.TreeInterpreter``.

Semantics follow go-jmespath's ``pkg/interpreter/interpreter.go``: arithmetic in float64 (whole
results folded to ints, see ``golang.fmt.go_number``), ordering comparisons only between numbers,
multi-selects built even on null, string slicing, ``$`` = the document root.
One deliberate leniency: equality and function type checks treat ints and floats alike (Go's
unstructured objects hold int64 and go-jmespath compares them strictly with float64 literals).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, ClassVar

from jmespath import visitor

from chainsaw_py.expressions.bindings import Bindings
from chainsaw_py.expressions.deadline import DEADLINE_EXCEEDED, current_deadline, evaluation_stop
from chainsaw_py.expressions.functions.registry import ExpRef, FunctionCaller
from chainsaw_py.golang.fmt import go_number, is_number
from chainsaw_py.grammar.errors import ExpressionError

Node = dict[str, Any]


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


_ARITHMETIC = {
    "plus": lambda a, b: a + b,
    "minus": lambda a, b: a - b,
    "star": lambda a, b: a * b,
    "multiply": lambda a, b: a * b,
    "divide": _divide,
    "modulo": _modulo,
    "div": lambda a, b: math.floor(q) if math.isfinite(q := _divide(a, b)) else q,
}
_ORDERING = {
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
}


class Interpreter(visitor.TreeInterpreter):
    """Visits an AST with a root value, ``Bindings`` for ``$name`` and a ``FunctionCaller``.

    One is made per evaluation (it holds the root and the bindings), so it skips the base class's
    set-up and per-instance method cache: ``visit`` dispatches through one table for the class.
    """

    _DISPATCH: ClassVar[dict[str, Callable[[Any, Node, Any], Any]]] = {}

    def __init__(self, root: Any, bindings: Bindings, functions: FunctionCaller) -> None:
        self._dict_cls = dict
        self._root = root
        self._bindings = bindings
        self._caller = functions
        self._deadline = evaluation_stop(current_deadline())

    def _tick(self) -> None:
        """Stop once the operation's deadline has passed (checked per projected element and call)."""
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise ExpressionError(DEADLINE_EXCEEDED)

    def visit(self, node: Node, value: Any) -> Any:  # type: ignore[override]
        method = self._DISPATCH.get(node["type"])
        if method is None:
            found: Callable[[Any, Node, Any], Any] = getattr(type(self), "visit_" + node["type"],
                                                             type(self).default_visit)
            self._DISPATCH[node["type"]] = method = found
        return method(self, node, value)

    # -- dialect additions ------------------------------------------------------------------

    def visit_variable(self, node: Node, value: Any) -> Any:
        return self._bindings.resolve(node["value"])

    def visit_root(self, node: Node, value: Any) -> Any:
        return self._root

    def visit_let_expression(self, node: Node, value: Any) -> Any:
        outer = self._bindings
        scope = outer
        for binding in node["children"][0]["children"]:
            variable, expression = binding["children"]
            scope = scope.register(variable["value"], self.visit(expression, value))
        self._bindings = scope
        try:
            return self.visit(node["children"][1], value)
        finally:
            self._bindings = outer

    def visit_binding(self, node: Node, value: Any) -> Any:
        raise ExpressionError("Unknown AST node: ASTBinding")

    def visit_arithmetic(self, node: Node, value: Any) -> Any:
        left = self.visit(node["children"][0], value)
        right = self.visit(node["children"][1], value)
        if not is_number(left) or not is_number(right):
            return None
        return go_number(_ARITHMETIC[node["value"]](float(left), float(right)))

    def visit_arithmetic_unary(self, node: Node, value: Any) -> Any:
        operand = self.visit(node["children"][0], value)
        if not is_number(operand):
            return None
        return go_number(-float(operand)) if node["value"] == "minus" else go_number(float(operand))

    # -- go-jmespath semantics ----------------------------------------------------------------

    def visit_comparator(self, node: Node, value: Any) -> Any:
        left = self.visit(node["children"][0], value)
        right = self.visit(node["children"][1], value)
        operator = node["value"]
        if operator == "eq":
            return go_equal(left, right)
        if operator == "ne":
            return not go_equal(left, right)
        if not is_number(left) or not is_number(right):
            return None
        return _ORDERING[operator](left, right)

    def visit_expref(self, node: Node, value: Any) -> Any:
        child = node["children"][0]
        return ExpRef(lambda element: self.visit(child, element))

    def visit_function_expression(self, node: Node, value: Any) -> Any:
        arguments = [self.visit(child, value) for child in node["children"]]
        self._tick()
        return self._caller.call(node["value"], arguments)

    def visit_field(self, node: Node, value: Any) -> Any:
        if isinstance(value, dict):
            return value.get(node["value"])
        return None

    def visit_subexpression(self, node: Node, value: Any) -> Any:
        # The first child is evaluated even on a null node: ``$var.field`` reads a binding.
        children = node["children"]
        result = self.visit(children[0], value)
        for child in children[1:]:
            if result is None:
                return None
            result = self.visit(child, result)
        return result

    visit_index_expression = visit_subexpression

    def visit_index(self, node: Node, value: Any) -> Any:
        if not isinstance(value, list):
            return None
        index = node["value"]
        if index < 0:
            index += len(value)
        return value[index] if 0 <= index < len(value) else None

    def visit_slice(self, node: Node, value: Any) -> Any:
        start, stop, step = node["children"]
        if step == 0:
            raise ExpressionError("invalid slice, step cannot be 0")
        if isinstance(value, (list, str)):
            return value[start:stop:step]
        return None

    def visit_projection(self, node: Node, value: Any) -> Any:
        base = self.visit(node["children"][0], value)
        if isinstance(base, str) and _is_string_slice(node["children"][0]):
            return self.visit(node["children"][1], base)
        if not isinstance(base, list):
            return None
        collected = []
        for element in base:
            self._tick()
            current = self.visit(node["children"][1], element)
            if current is not None:
                collected.append(current)
        return collected

    def visit_value_projection(self, node: Node, value: Any) -> Any:
        base = self.visit(node["children"][0], value)
        if not isinstance(base, dict):
            return None
        collected = []
        for element in base.values():
            self._tick()
            current = self.visit(node["children"][1], element)
            if current is not None:
                collected.append(current)
        return collected

    def visit_filter_projection(self, node: Node, value: Any) -> Any:
        base = self.visit(node["children"][0], value)
        if not isinstance(base, list):
            return None
        condition = node["children"][2]
        collected = []
        for element in base:
            self._tick()
            if not is_false(self.visit(condition, element)):
                current = self.visit(node["children"][1], element)
                if current is not None:
                    collected.append(current)
        return collected

    def visit_multi_select_dict(self, node: Node, value: Any) -> Any:
        return {child["value"]: self.visit(child, value) for child in node["children"]}

    def visit_multi_select_list(self, node: Node, value: Any) -> Any:
        return [self.visit(child, value) for child in node["children"]]

    def visit_or_expression(self, node: Node, value: Any) -> Any:
        matched = self.visit(node["children"][0], value)
        return self.visit(node["children"][1], value) if is_false(matched) else matched

    def visit_and_expression(self, node: Node, value: Any) -> Any:
        matched = self.visit(node["children"][0], value)
        return matched if is_false(matched) else self.visit(node["children"][1], value)

    def visit_not_expression(self, node: Node, value: Any) -> Any:
        return is_false(self.visit(node["children"][0], value))

    def default_visit(self, node: Node, *args: Any, **kwargs: Any) -> Any:
        raise ExpressionError(f"Unknown AST node: {node['type']}")


def _is_string_slice(node: Node) -> bool:
    children = node.get("children", [])
    return node["type"] == "index_expression" and len(children) > 1 and children[1]["type"] == "slice"


def search(ast: Node, value: Any, bindings: Bindings, functions: FunctionCaller) -> Any:
    """Evaluate a parsed expression with ``@`` and ``$`` = ``value``."""
    try:
        return Interpreter(value, bindings, functions).visit(ast, value)
    except RecursionError:
        raise ExpressionError("expression nesting too deep") from None
