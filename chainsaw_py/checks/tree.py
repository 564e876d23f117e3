"""Assertion trees with kyverno-json's semantics (``pkg/core/assertion``, ``pkg/core/projection``).

A tree is compiled once (keys parsed, expressions syntax-checked) and then checked against values:

* a **map** matches partially: each key projects the actual value — a plain key looks the field up (a
  missing field, or a null parent, is a retryable ``Required value``; a parent that is not a map is the hard
  ``projection not recognized``), an expression key ``(expr)`` evaluates with ``@`` = the actual node and
  always "finds" its result; ``-> name`` binds the projection for the descendants and for the keys checked
  after it; ``~name.`` iterates over a projected list (binding the index) or map (binding the key);
* an empty map ``{}`` only asserts the value is not null;
* a **list** needs an actual list of the same length and matches element by element;
* a **scalar** (or an expression value evaluated with ``@`` = the actual value) is compared with
  :func:`chainsaw_py.checks.match.match`.

Mismatches are returned as :class:`FieldError` values; anything retrying cannot fix raises
:class:`AssertionHardError`. Map keys are checked in the order the tree lists them (Go's order is random).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chainsaw_py.checks.errors import AssertionHardError, FieldError, FieldPath
from chainsaw_py.checks.keys import DEFAULT_ENGINE, KeyExpression, parse_key
from chainsaw_py.checks.match import IncomparableError, match
from chainsaw_py.errors import ChainsawError
from chainsaw_py.expressions import Bindings, ExpressionError, check_syntax, compile_program
from chainsaw_py.golang.fmt import format_v

__all__ = ["AssertionTree", "assert_tree", "compile_tree", "match_tree"]

Program = Callable[[Any, Any], Any]
"""A compiled expression: ``program(current_value, bindings) -> result``."""

Check = Callable[[FieldPath, Any, Bindings, list[FieldError]], None]
"""A compiled node: ``check(base, value, bindings, errors)`` appends the node's mismatches to ``errors``.

Each node is compiled into one closure of the shape its kind and key need (a plain key of a map, an expression
key, a literal scalar...), decided once, so checking does no dispatch on the tree (issue 14,
``benchmarks/checks_pods.py``). ``base`` is the path of the innermost foreach item (the root outside any);
the node's own path is ``base`` followed by segments known when compiling, and is built only for an error.
"""

EntryCheck = Callable[[FieldPath, Any, Bindings, list[FieldError]], Bindings]
"""One key of a map: checks it and returns the bindings the later keys see (with its ``-> name``)."""

_LANGUAGES = ("jp", "cel", "jsonpath")
_NOT_FOUND = "field not found in the input object"
_MISSING: Any = object()
"""What projecting a plain key gives when the field is absent (or the parent null)."""


@dataclass(frozen=True)
class _Where:
    """Where a node sits: its full path (for errors found while compiling) and its segments below the
    innermost foreach item (for errors found while checking)."""

    path: FieldPath
    relative: tuple[tuple[str, str], ...] = ()

    def child(self, name: str) -> _Where:
        return _Where(self.path.child(name), (*self.relative, ("name", name)))

    def index(self, position: int) -> _Where:
        return _Where(self.path.index(position), (*self.relative, ("index", str(position))))

    def item(self) -> _Where:
        """The place of a foreach's items: their paths are made while checking, from the entry's."""
        return _Where(self.path)

    def at(self, base: FieldPath) -> FieldPath:
        return base.descend(self.relative)


# --- compiling ----------------------------------------------------------------------------------------------


def _compile_program(expression: KeyExpression, compiler: str, path: FieldPath) -> Program | None:
    """The program of an expression key or value; None when it is a plain (or unknown-engine) statement."""
    if expression.engine is None:
        return None
    language = compiler if expression.engine == DEFAULT_ENGINE else expression.engine
    if language not in _LANGUAGES:
        return None  # kyverno-json: an unknown engine name leaves the statement as a plain string
    statement = expression.statement
    try:
        check_syntax(statement, language)
        return compile_program(statement, language)
    except ExpressionError as error:
        raise AssertionHardError(FieldError.invalid(path, statement, str(error))) from None


def _key_text(key: Any) -> str:
    """The string a map key stands for once the tree went through JSON, as in Chainsaw (``fmt.Sprint``)."""
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    return format_v(key)


def _compile(node: Any, compiler: str, where: _Where) -> Check:
    if isinstance(node, Mapping):
        if not node:
            return _not_null(where)
        return _map([_compile_entry(key, child, compiler, where) for key, child in node.items()])
    if isinstance(node, (list, tuple)):
        return _slice([_compile(child, compiler, where.index(index)) for index, child in enumerate(node)], where)
    return _compile_scalar(node, compiler, where)


def _compile_entry(key: Any, child: Any, compiler: str, parent: _Where) -> EntryCheck:
    text = _key_text(key)
    where = parent.child(text)
    expression = parse_key(text)
    program = _compile_program(expression, compiler, where.path)
    node = _compile(child, compiler, where.item() if expression.foreach else where)
    if program is None and not expression.binding and not expression.foreach:
        return _plain_entry(expression.statement, node, where)
    project = _lookup(expression.statement, where) if program is None else _evaluated(program, where)
    if expression.foreach:
        return _foreach_entry(project, expression.binding, expression.foreach_name, node, where)
    return _entry(project, expression.binding, node, where)


def _compile_scalar(value: Any, compiler: str, where: _Where) -> Check:
    if not isinstance(value, str):
        return _literal(value, where)
    expression = parse_key(value)
    if expression.foreach:
        raise AssertionHardError(FieldError.invalid(where.path, value, "foreach is not supported in scalar projections"))
    if expression.binding:
        raise AssertionHardError(FieldError.invalid(where.path, value, "binding is not supported in scalar projections"))
    program = _compile_program(expression, compiler, where.path)
    if program is None:
        return _literal(expression.statement, where)
    return _expected_by(program, where)


# --- maps ---------------------------------------------------------------------------------------------------


def _not_null(where: _Where) -> Check:
    """``{}``: any value but null."""
    def check(base: FieldPath, value: Any, bindings: Bindings, errors: list[FieldError]) -> None:
        if value is None:
            errors.append(FieldError.invalid(where.at(base), value, "invalid value, must not be null"))

    return check


def _map(entries: list[EntryCheck]) -> Check:
    """A partial match: the keys in the tree's order, each seeing the bindings of the keys before it."""
    def check(base: FieldPath, value: Any, bindings: Bindings, errors: list[FieldError]) -> None:
        for entry in entries:
            bindings = entry(base, value, bindings, errors)

    return check


def _plain_entry(key: str, node: Check, where: _Where) -> EntryCheck:
    """A plain key with no binding nor foreach, the most common one: a field lookup."""
    lookup = _lookup(key, where)

    def check(base: FieldPath, value: Any, bindings: Bindings, errors: list[FieldError]) -> Bindings:
        if type(value) is dict:
            projected = value.get(key, _MISSING)
        else:
            projected = lookup(base, value, bindings)
        if projected is _MISSING:
            errors.append(FieldError.required(where.at(base), _NOT_FOUND))
        else:
            node(base, projected, bindings, errors)
        return bindings

    return check


def _entry(project: Callable[[FieldPath, Any, Bindings], Any], binding: str, node: Check,
           where: _Where) -> EntryCheck:
    def check(base: FieldPath, value: Any, bindings: Bindings, errors: list[FieldError]) -> Bindings:
        projected = project(base, value, bindings)
        if projected is _MISSING:
            errors.append(FieldError.required(where.at(base), _NOT_FOUND))
            return bindings
        if binding:
            bindings = bindings.register(binding, projected)
        node(base, projected, bindings, errors)
        return bindings

    return check


def _foreach_entry(project: Callable[[FieldPath, Any, Bindings], Any], binding: str, name: str, node: Check,
                   where: _Where) -> EntryCheck:
    """``~name.key``: the node checks each item of the projected list (``$name`` = index) or map (key)."""
    def check(base: FieldPath, value: Any, bindings: Bindings, errors: list[FieldError]) -> Bindings:
        projected = project(base, value, bindings)
        if projected is _MISSING:
            errors.append(FieldError.required(where.at(base), _NOT_FOUND))
            return bindings
        if binding:
            bindings = bindings.register(binding, projected)
        path = where.at(base)
        if isinstance(projected, (list, tuple)):
            for index, item in enumerate(projected):
                scope = bindings.register(name, index) if name else bindings
                node(path.index(index), item, scope, errors)
        elif isinstance(projected, Mapping):
            for key, item in projected.items():
                scope = bindings.register(name, key) if name else bindings
                node(path.key(format_v(key)), item, scope, errors)
        else:
            raise AssertionHardError(FieldError.type_invalid(path, projected, "expected a slice or a map"))
        return bindings

    return check


def _lookup(key: str, where: _Where) -> Callable[[FieldPath, Any, Bindings], Any]:
    """A plain key's projection: the field (``_MISSING`` when absent or the parent null); a parent that is
    not a map is the hard ``projection not recognized``."""
    def lookup(base: FieldPath, value: Any, bindings: Bindings) -> Any:
        if value is None:
            return _MISSING
        if isinstance(value, Mapping):
            return value.get(key, _MISSING)
        raise AssertionHardError(FieldError.internal(where.at(base), "projection not recognized"))

    return lookup


def _evaluated(program: Program, where: _Where) -> Callable[[FieldPath, Any, Bindings], Any]:
    """An expression key's projection: the result with ``@`` = the parent, always found."""
    def evaluated(base: FieldPath, value: Any, bindings: Bindings) -> Any:
        try:
            return program(value, bindings)
        except ExpressionError as error:
            raise AssertionHardError(FieldError.internal(where.at(base), error)) from None

    return evaluated


# --- lists and scalars --------------------------------------------------------------------------------------


def _slice(items: list[Check], where: _Where) -> Check:
    """A list: an actual list of the same length, matched element by element."""
    count = len(items)

    def check(base: FieldPath, value: Any, bindings: Bindings, errors: list[FieldError]) -> None:
        if value is None:
            errors.append(FieldError.invalid(where.at(base), value, "value is null"))
            return
        if not isinstance(value, (list, tuple)):
            raise AssertionHardError(FieldError.type_invalid(where.at(base), value, "expected a slice"))
        if len(value) != count:
            errors.append(FieldError.invalid(where.at(base), value, "lengths of slices don't match"))
            return
        for node, item in zip(items, value):
            node(base, item, bindings, errors)

    return check


def _literal(expected: Any, where: _Where) -> Check:
    """A plain scalar: an actual value of its very type is compared with ``==`` (what ``match`` does for
    two values of one type), anything else goes through ``match``."""
    kind = type(expected)

    def check(base: FieldPath, value: Any, bindings: Bindings, errors: list[FieldError]) -> None:
        if type(value) is kind:
            if expected != value:
                errors.append(FieldError.mismatch(where.at(base), value, expected))
            return
        _compare(expected, value, where, base, errors)

    return check


def _expected_by(program: Program, where: _Where) -> Check:
    """An expression value: its result, with ``@`` = the actual value, is the expected value."""
    def check(base: FieldPath, value: Any, bindings: Bindings, errors: list[FieldError]) -> None:
        try:
            expected = program(value, bindings)
        except ExpressionError as error:
            raise AssertionHardError(FieldError.internal(where.at(base), error)) from None
        _compare(expected, value, where, base, errors)

    return check


def _compare(expected: Any, value: Any, where: _Where, base: FieldPath, errors: list[FieldError]) -> None:
    try:
        matched = match(expected, value)
    except IncomparableError as error:
        raise AssertionHardError(FieldError.internal(where.at(base), error)) from None
    if not matched:
        errors.append(FieldError.mismatch(where.at(base), value, expected))


# --- public API ---------------------------------------------------------------------------------------------


class AssertionTree:
    """A compiled assertion tree; compile once, check many times (e.g. while polling).

    Compiling raises :class:`AssertionHardError` for malformed trees (an expression that does not parse, a
    foreach or binding in a value) and :class:`ChainsawError` for a null tree (Chainsaw's ``check value is
    null``) or an unknown compiler name. ``compiler=None`` means the default, ``jp``.
    """

    def __init__(self, tree: Any, compiler: str | None = "jp") -> None:
        compiler = compiler or "jp"
        if tree is None:
            raise ChainsawError("check value is null")
        if compiler not in _LANGUAGES:
            raise ChainsawError(f"unknown compiler {compiler!r} (expected one of: {', '.join(_LANGUAGES)})")
        self.tree = tree
        self.compiler = compiler
        self._root = _compile(tree, compiler, _Where(FieldPath.root()))

    def check(self, value: Any, bindings: Bindings | None = None) -> list[FieldError]:
        """The field errors of ``value`` against the tree (empty when it matches)."""
        errors: list[FieldError] = []
        self._root(FieldPath.root(), value, _scope(bindings), errors)
        return errors

    def matches(self, value: Any, bindings: Bindings | None = None) -> bool:
        return not self.check(value, bindings)


def _scope(bindings: Bindings | None) -> Bindings:
    return bindings if bindings is not None else Bindings()


def compile_tree(tree: Any, compiler: str | None = "jp") -> AssertionTree:
    return AssertionTree(tree, compiler)


def assert_tree(tree: Any, value: Any, bindings: Bindings | None = None,
                compiler: str | None = "jp") -> list[FieldError]:
    """Check ``value`` against the assertion ``tree``: the retryable field errors, empty on a match.

    Raises :class:`AssertionHardError` for errors that retrying cannot fix.
    """
    return AssertionTree(tree, compiler).check(value, bindings)


def match_tree(tree: Any, value: Any, bindings: Bindings | None = None, compiler: str | None = "jp") -> bool:
    """Whether ``value`` matches ``tree`` (``expect.match``, ``outputs.match``); hard errors still raise."""
    return AssertionTree(tree, compiler).matches(value, bindings)
