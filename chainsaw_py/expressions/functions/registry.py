"""Function tables for JMESPath: entries, argument specs and go-jmespath's argument checking."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chainsaw_py.golang.fmt import format_v, is_number
from chainsaw_py.grammar.errors import ExpressionError

NUMBER = "number"
STRING = "string"
ARRAY = "array"
OBJECT = "object"
ARRAY_ARRAY = "array[array]"
ARRAY_NUMBER = "array[number]"
ARRAY_STRING = "array[string]"
EXPREF = "expref"
ANY = "any"


class ExpRef:
    """A ``&expr`` argument: call it with a value to evaluate the expression against that value."""

    __slots__ = ("_evaluate",)

    def __init__(self, evaluate: Callable[[Any], Any]) -> None:
        self._evaluate = evaluate

    def __call__(self, value: Any) -> Any:
        return self._evaluate(value)


@dataclass(frozen=True)
class Arg:
    types: tuple[str, ...]
    variadic: bool = False
    optional: bool = False


def arg(*types: str, variadic: bool = False, optional: bool = False) -> Arg:
    return Arg(types=types, variadic=variadic, optional=optional)


Handler = Callable[..., Any]


@dataclass(frozen=True)
class FunctionEntry:
    """One JMESPath function: name, argument specs, the handler (called with the argument values)."""

    name: str
    args: tuple[Arg, ...]
    handler: Handler
    description: str = ""
    source: str = field(default="", compare=False)
    """Which family registered it: ``jmespath``, ``kyverno-json``, ``kyverno`` or ``chainsaw``."""


def function(name: str, *args: Arg, description: str = "") -> Callable[[Handler], FunctionEntry]:
    """Decorator turning a handler into a ``FunctionEntry``."""
    def wrap(handler: Handler) -> FunctionEntry:
        return FunctionEntry(name=name, args=tuple(args), handler=handler, description=description)
    return wrap


class FunctionCaller:
    """Name -> entry table; later entries replace earlier ones of the same name (``NewFunctionCaller``)."""

    def __init__(self, entries: Iterable[FunctionEntry]) -> None:
        self._table: dict[str, FunctionEntry] = {}
        for entry in entries:
            self._table[entry.name] = entry

    def entries(self) -> list[FunctionEntry]:
        return list(self._table.values())

    def get(self, name: str) -> FunctionEntry | None:
        return self._table.get(name)

    def call(self, name: str, arguments: Sequence[Any]) -> Any:
        entry = self._table.get(name)
        if entry is None:
            raise ExpressionError(f"unknown function: {name}")
        check_arguments(entry, arguments)
        return entry.handler(*arguments)


def check_arguments(entry: FunctionEntry, arguments: Sequence[Any]) -> None:
    """go-jmespath's ``resolveArgs``: arity, then the type of every supplied argument."""
    specs = entry.args
    if not specs:
        return
    variadic = any(spec.variadic for spec in specs)
    minimum = sum(1 for spec in specs if not spec.optional)
    count = len(arguments)
    if count < minimum:
        raise ExpressionError(_not_enough(entry.name, count, minimum, variadic))
    if not variadic and count > len(specs):
        raise ExpressionError(
            f"invalid arity, the function '{entry.name}' expects at most {len(specs)} arguments "
            f"but {count} were supplied")
    for index, spec in enumerate(specs):
        if index < count:
            _type_check(spec, arguments[index])
    if specs[-1].variadic:
        for value in arguments[len(specs) - 1:]:
            _type_check(specs[-1], value)


def _not_enough(name: str, count: int, minimum: int, variadic: bool) -> str:
    more = "or more " if variadic else ""
    report = "none " if count == 0 else f"{'only ' if variadic else ''}{count} "
    plural = "s" if minimum > 1 else ""
    return (f"invalid arity, the function '{name}' expects {minimum} argument{plural} "
            f"{more}but {report}were supplied")


def _type_check(spec: Arg, value: Any) -> None:
    for expected in spec.types:
        if matches_type(expected, value):
            return
    types = ", ".join(f'"{t}"' for t in spec.types)
    raise ExpressionError(f"invalid type for: {format_v(value)}, expected: []functions.JpType{{{types}}}")


def matches_type(expected: str, value: Any) -> bool:
    if expected == ANY:
        return True
    if expected == NUMBER:
        return is_number(value)
    if expected == STRING:
        return isinstance(value, str)
    if expected == ARRAY:
        return isinstance(value, list)
    if expected == OBJECT:
        return isinstance(value, dict)
    if expected == ARRAY_ARRAY:
        return isinstance(value, list)
    if expected == ARRAY_NUMBER:
        return isinstance(value, list) and all(is_number(item) for item in value)
    if expected == ARRAY_STRING:
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    if expected == EXPREF:
        return isinstance(value, ExpRef)
    return False
