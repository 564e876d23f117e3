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

    def bind(self, name: str, count: int) -> Callable[[Sequence[Any]], Any]:
        """The call of ``name`` with ``count`` arguments: ``call(arguments) -> result``.

        The entry, go-jmespath's arity check and the argument specs are resolved now, once per compiled
        expression; an unknown function or a wrong arity still fails only when the call is evaluated.
        """
        entry = self._table.get(name)
        if entry is None:
            return _failing_call(f"unknown function: {name}")
        arity_error = _arity_error(entry, count)
        if arity_error is not None:
            return _failing_call(arity_error)
        handler = entry.handler
        checks = _argument_checks(entry, count)
        if not checks:
            return lambda arguments: handler(*arguments)

        def call(arguments: Sequence[Any]) -> Any:
            for position, accepts, spec in checks:
                if not accepts(arguments[position]):
                    _type_error(spec, arguments[position])
            return handler(*arguments)

        return call


def _failing_call(message: str) -> Callable[[Sequence[Any]], Any]:
    def fail(arguments: Sequence[Any]) -> Any:
        raise ExpressionError(message)

    return fail


def _arity_error(entry: FunctionEntry, count: int) -> str | None:
    """go-jmespath's ``resolveArgs`` arity check: the message for ``count`` arguments, None if accepted."""
    specs = entry.args
    if not specs:
        return None
    variadic = any(spec.variadic for spec in specs)
    minimum = sum(1 for spec in specs if not spec.optional)
    if count < minimum:
        return _not_enough(entry.name, count, minimum, variadic)
    if not variadic and count > len(specs):
        return (f"invalid arity, the function '{entry.name}' expects at most {len(specs)} arguments "
                f"but {count} were supplied")
    return None


def _argument_checks(entry: FunctionEntry, count: int) -> list[tuple[int, Callable[[Any], bool], Arg]]:
    """(position, accepts, spec) of every supplied argument whose type is checked, in go-jmespath's order:
    each spec's argument, then the variadic spec's extra arguments."""
    specs = entry.args
    if not specs:
        return []
    positions = [(index, spec) for index, spec in enumerate(specs) if index < count]
    if specs[-1].variadic:
        positions += [(index, specs[-1]) for index in range(len(specs), count)]
    return [(index, accepts, spec) for index, spec in positions
            if (accepts := _type_test(spec.types)) is not None]


_CLASSES: dict[str, type] = {STRING: str, ARRAY: list, OBJECT: dict, ARRAY_ARRAY: list}


def _type_test(types: tuple[str, ...]) -> Callable[[Any], bool] | None:
    """Whether a value matches one of ``types``; None when any value does."""
    if ANY in types:
        return None
    if all(expected in _CLASSES for expected in types):
        classes = tuple(_CLASSES[expected] for expected in types)
        return lambda value: isinstance(value, classes)
    return lambda value: any(matches_type(expected, value) for expected in types)


def _not_enough(name: str, count: int, minimum: int, variadic: bool) -> str:
    more = "or more " if variadic else ""
    report = "none " if count == 0 else f"{'only ' if variadic else ''}{count} "
    plural = "s" if minimum > 1 else ""
    return (f"invalid arity, the function '{name}' expects {minimum} argument{plural} "
            f"{more}but {report}were supplied")


def _type_error(spec: Arg, value: Any) -> None:
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
