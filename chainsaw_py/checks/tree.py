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
from typing import Any, Protocol

from chainsaw_py.checks.errors import AssertionHardError, FieldError, FieldPath
from chainsaw_py.checks.keys import DEFAULT_ENGINE, KeyExpression, parse_key
from chainsaw_py.checks.match import IncomparableError, match
from chainsaw_py.errors import ChainsawError
from chainsaw_py.expressions import Bindings, ExpressionError, check_syntax, compile_program
from chainsaw_py.golang.fmt import format_v

__all__ = ["AssertionTree", "assert_tree", "compile_tree", "match_tree"]

Program = Callable[[Any, Any], Any]
"""A compiled expression: ``program(current_value, bindings) -> result``."""

_LANGUAGES = ("jp", "cel", "jsonpath")


class _Node(Protocol):
    def check(self, path: FieldPath, value: Any, bindings: Any, errors: list[FieldError]) -> None: ...


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


def _compile(node: Any, compiler: str, path: FieldPath) -> _Node:
    if isinstance(node, Mapping):
        return _MapNode([_compile_entry(key, child, compiler, path) for key, child in node.items()])
    if isinstance(node, (list, tuple)):
        return _SliceNode([_compile(child, compiler, path.index(index)) for index, child in enumerate(node)])
    return _ScalarNode(_compile_scalar(node, compiler, path))


def _compile_entry(key: Any, child: Any, compiler: str, path: FieldPath) -> _Entry:
    text = _key_text(key)
    child_path = path.child(text)
    expression = parse_key(text)
    projection = _Projection(
        lookup=expression.statement,
        program=_compile_program(expression, compiler, child_path),
        foreach=expression.foreach,
        foreach_name=expression.foreach_name,
        binding=expression.binding,
    )
    return _Entry(text, projection, _compile(child, compiler, child_path))


def _compile_scalar(value: Any, compiler: str, path: FieldPath) -> Callable[[Any, Any], Any]:
    if not isinstance(value, str):
        return lambda _actual, _bindings: value
    expression = parse_key(value)
    if expression.foreach:
        raise AssertionHardError(FieldError.invalid(path, value, "foreach is not supported in scalar projections"))
    if expression.binding:
        raise AssertionHardError(FieldError.invalid(path, value, "binding is not supported in scalar projections"))
    program = _compile_program(expression, compiler, path)
    if program is None:
        literal = expression.statement
        return lambda _actual, _bindings: literal
    return program


# --- nodes --------------------------------------------------------------------------------------------------


class _NotRecognized(Exception):
    pass


@dataclass(frozen=True)
class _Projection:
    lookup: str
    program: Program | None
    foreach: bool
    foreach_name: str
    binding: str

    def project(self, value: Any, bindings: Any) -> tuple[Any, bool]:
        if self.program is not None:
            return self.program(value, bindings), True
        if value is None:
            return None, False
        if isinstance(value, Mapping):
            if self.lookup in value:
                return value[self.lookup], True
            return None, False
        raise _NotRecognized


@dataclass(frozen=True)
class _Entry:
    key: str
    projection: _Projection
    node: _Node


@dataclass(frozen=True)
class _MapNode:
    entries: list[_Entry]

    def check(self, path: FieldPath, value: Any, bindings: Any, errors: list[FieldError]) -> None:
        if not self.entries:
            if value is None:
                errors.append(FieldError.invalid(path, value, "invalid value, must not be null"))
            return
        for entry in self.entries:
            bindings = self._check_entry(entry, path.child(entry.key), value, bindings, errors)

    @staticmethod
    def _check_entry(entry: _Entry, path: FieldPath, value: Any, bindings: Any,
                     errors: list[FieldError]) -> Any:
        """Check one key; returns the bindings the later keys see (with this key's ``-> name``)."""
        projection = entry.projection
        try:
            projected, found = projection.project(value, bindings)
        except ExpressionError as error:
            raise AssertionHardError(FieldError.internal(path, error)) from None
        except _NotRecognized:
            raise AssertionHardError(FieldError.internal(path, "projection not recognized")) from None
        if not found:
            errors.append(FieldError.required(path, "field not found in the input object"))
            return bindings
        if projection.binding:
            bindings = bindings.register(projection.binding, projected)
        if not projection.foreach:
            entry.node.check(path, projected, bindings, errors)
        elif isinstance(projected, (list, tuple)):
            for index, item in enumerate(projected):
                scope = bindings.register(projection.foreach_name, index) if projection.foreach_name else bindings
                entry.node.check(path.index(index), item, scope, errors)
        elif isinstance(projected, Mapping):
            for key, item in projected.items():
                scope = bindings.register(projection.foreach_name, key) if projection.foreach_name else bindings
                entry.node.check(path.key(format_v(key)), item, scope, errors)
        else:
            raise AssertionHardError(FieldError.type_invalid(path, projected, "expected a slice or a map"))
        return bindings


@dataclass(frozen=True)
class _SliceNode:
    items: list[_Node]

    def check(self, path: FieldPath, value: Any, bindings: Any, errors: list[FieldError]) -> None:
        if value is None:
            errors.append(FieldError.invalid(path, value, "value is null"))
            return
        if not isinstance(value, (list, tuple)):
            raise AssertionHardError(FieldError.type_invalid(path, value, "expected a slice"))
        if len(value) != len(self.items):
            errors.append(FieldError.invalid(path, value, "lengths of slices don't match"))
            return
        for index, (node, item) in enumerate(zip(self.items, value)):
            node.check(path.index(index), item, bindings, errors)


@dataclass(frozen=True)
class _ScalarNode:
    expected: Callable[[Any, Any], Any]

    def check(self, path: FieldPath, value: Any, bindings: Any, errors: list[FieldError]) -> None:
        try:
            expected = self.expected(value, bindings)
        except ExpressionError as error:
            raise AssertionHardError(FieldError.internal(path, error)) from None
        try:
            matched = match(expected, value)
        except IncomparableError as error:
            raise AssertionHardError(FieldError.internal(path, error)) from None
        if not matched:
            errors.append(FieldError.mismatch(path, value, expected))


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
        self._root = _compile(tree, compiler, FieldPath.root())

    def check(self, value: Any, bindings: Bindings | None = None) -> list[FieldError]:
        """The field errors of ``value`` against the tree (empty when it matches)."""
        errors: list[FieldError] = []
        self._root.check(FieldPath.root(), value, _scope(bindings), errors)
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
