"""The jmespath-community built-in functions (go-jmespath ``pkg/functions``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from chainsaw_py.expressions.functions.registry import (
    ANY,
    ARRAY,
    ARRAY_ARRAY,
    ARRAY_NUMBER,
    ARRAY_STRING,
    EXPREF,
    NUMBER,
    OBJECT,
    STRING,
    ExpRef,
    FunctionEntry,
    arg,
    function,
)
from chainsaw_py.expressions.functions.sizes import bounded_replace, check_built_length
from chainsaw_py.golang.fmt import go_json_dumps, go_number, is_number
from chainsaw_py.grammar.errors import ExpressionError


def not_an_integer(name: str, argument: str) -> ExpressionError:
    return ExpressionError(
        f"invalid value, the function '{name}' expects its '{argument}' argument to be an integer.")


def not_a_positive_integer(name: str, argument: str) -> ExpressionError:
    return ExpressionError(
        f"invalid value, the function '{name}' expects its '{argument}' argument to be a an integer "
        "value greater than or equal to zero.")


def to_integer(value: Any) -> int | None:
    """go-jmespath's ``util.ToInteger``: a whole number, else None."""
    if is_number(value) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    return None


def jp_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise ExpressionError("unknown type")


@function("abs", arg(NUMBER))
def _abs(value: float) -> Any:
    return go_number(abs(value))


@function("avg", arg(ARRAY_NUMBER))
def _avg(values: list[float]) -> Any:
    return go_number(math.fsum(values) / len(values)) if values else None


@function("ceil", arg(NUMBER))
def _ceil(value: float) -> Any:
    return go_number(float(math.ceil(value))) if math.isfinite(value) else value


@function("contains", arg(ARRAY, STRING), arg(ANY))
def _contains(subject: Any, search: Any) -> bool:
    from chainsaw_py.expressions.jmes.compiler import go_equal

    if isinstance(subject, str):
        return isinstance(search, str) and search in subject
    return any(go_equal(search, item) for item in subject)


@function("ends_with", arg(STRING), arg(STRING))
def _ends_with(subject: str, suffix: str) -> bool:
    return subject.endswith(suffix)


def _find(name: str, subject: str, sub: str, start: Any, end: Any, last: bool) -> Any:
    if not subject or not sub:
        return None
    begin = 0
    if start is not None:
        number = to_integer(start)
        if number is None:
            raise not_an_integer(name, "start")
        begin = max(0, number)
    finish = len(subject)
    if end is not None:
        number = to_integer(end)
        if number is None:
            raise not_an_integer(name, "end")
        finish = min(number, len(subject))
    window = subject[begin:finish]
    offset = window.rfind(sub) if last else window.find(sub)
    return None if offset == -1 else begin + offset


@function("find_first", arg(STRING), arg(STRING), arg(NUMBER, optional=True), arg(NUMBER, optional=True))
def _find_first(subject: str, sub: str, start: Any = None, end: Any = None) -> Any:
    return _find("find_first", subject, sub, start, end, last=False)


@function("find_last", arg(STRING), arg(STRING), arg(NUMBER, optional=True), arg(NUMBER, optional=True))
def _find_last(subject: str, sub: str, start: Any = None, end: Any = None) -> Any:
    return _find("find_last", subject, sub, start, end, last=True)


@function("floor", arg(NUMBER))
def _floor(value: float) -> Any:
    return go_number(float(math.floor(value))) if math.isfinite(value) else value


@function("from_items", arg(ARRAY_ARRAY))
def _from_items(pairs: list[Any]) -> dict[str, Any]:
    if not all(isinstance(pair, list) for pair in pairs):
        raise ExpressionError("invalid type, first argument must be an array of arrays")
    result: dict[str, Any] = {}
    for pair in pairs:
        if len(pair) != 2 or not isinstance(pair[0], str):
            raise ExpressionError(
                "invalid value, each array must contain two elements, a pair of string and value")
        result[pair[0]] = pair[1]
    return result


@function("group_by", arg(ARRAY), arg(EXPREF))
def _group_by(values: list[Any], expression: ExpRef) -> Any:
    if not values:
        return None
    groups: dict[str, list[Any]] = {}
    for element in values:
        key = expression(element)
        if not isinstance(key, str):
            raise ExpressionError("invalid type, the expression must evaluate to a string")
        groups.setdefault(key, []).append(element)
    return groups


@function("items", arg(OBJECT))
def _items(value: dict[str, Any]) -> list[Any]:
    return [[key, item] for key, item in value.items()]


@function("join", arg(STRING), arg(ARRAY_STRING))
def _join(separator: str, values: list[str]) -> str:
    return separator.join(values)


@function("keys", arg(OBJECT))
def _keys(value: dict[str, Any]) -> list[Any]:
    return list(value)


@function("length", arg(STRING, ARRAY, OBJECT))
def _length(value: Any) -> int:
    return len(value)


@function("lower", arg(STRING))
def _lower(value: str) -> str:
    return value.lower()


@function("map", arg(EXPREF), arg(ARRAY))
def _map(expression: ExpRef, values: list[Any]) -> list[Any]:
    return [expression(value) for value in values]


def _extreme(values: list[Any], pick: Any) -> Any:
    return pick(values) if values else None


@function("max", arg(ARRAY_NUMBER, ARRAY_STRING))
def _max(values: list[Any]) -> Any:
    return _extreme(values, max)


@function("min", arg(ARRAY_NUMBER, ARRAY_STRING))
def _min(values: list[Any]) -> Any:
    return _extreme(values, min)


def _by(values: list[Any], expression: ExpRef, better: Any) -> Any:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    best_key = expression(values[0])
    expected: Callable[[Any], bool]
    if is_number(best_key):
        expected, message = is_number, "invalid type, must be number"
    elif isinstance(best_key, str):
        expected, message = _is_string, "invalid type, must be string"
    else:
        raise ExpressionError("invalid type, must be number of string")
    best = values[0]
    for item in values[1:]:
        key = expression(item)
        if not expected(key):
            raise ExpressionError(message)
        if better(key, best_key):
            best, best_key = item, key
    return best


def _is_string(value: Any) -> bool:
    return isinstance(value, str)


@function("max_by", arg(ARRAY), arg(EXPREF))
def _max_by(values: list[Any], expression: ExpRef) -> Any:
    return _by(values, expression, lambda a, b: a > b)


@function("min_by", arg(ARRAY), arg(EXPREF))
def _min_by(values: list[Any], expression: ExpRef) -> Any:
    return _by(values, expression, lambda a, b: a < b)


@function("merge", arg(OBJECT, variadic=True))
def _merge(*objects: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for value in objects:
        merged.update(value)
    return merged


@function("not_null", arg(ANY, variadic=True))
def _not_null(*values: Any) -> Any:
    return next((value for value in values if value is not None), None)


def _pad(name: str, subject: str, width: Any, chars: str | None, left: bool) -> str:
    count = to_integer(width)
    if count is None or count < 0:
        raise not_a_positive_integer(name, "width")
    pad = " " if chars is None else chars
    if len(pad) > 1:
        raise ExpressionError(
            f"invalid value, the function '{name}' expects its 'pad' argument to be a string of length 1")
    check_built_length(name, count * len(pad))
    padding = pad * max(0, count - len(subject)) if pad else ""   # "" * 10**20 overflows a C size
    return padding + subject if left else subject + padding


@function("pad_left", arg(STRING), arg(NUMBER), arg(STRING, optional=True))
def _pad_left(subject: str, width: Any, chars: str | None = None) -> str:
    return _pad("pad_left", subject, width, chars, left=True)


@function("pad_right", arg(STRING), arg(NUMBER), arg(STRING, optional=True))
def _pad_right(subject: str, width: Any, chars: str | None = None) -> str:
    return _pad("pad_right", subject, width, chars, left=False)


@function("replace", arg(STRING), arg(STRING), arg(STRING), arg(NUMBER, optional=True))
def _replace(subject: str, old: str, new: str, count: Any = None) -> str:
    limit = -1
    if count is not None:
        number = to_integer(count)
        if number is None or number < 0:
            raise not_a_positive_integer("replace", "count")
        limit = number
    return bounded_replace("replace", subject, old, new, limit)


@function("reverse", arg(ARRAY, STRING))
def _reverse(value: Any) -> Any:
    return value[::-1]


@function("sort", arg(ARRAY_STRING, ARRAY_NUMBER))
def _sort(values: list[Any]) -> list[Any]:
    return sorted(values)


@function("sort_by", arg(ARRAY), arg(EXPREF))
def _sort_by(values: list[Any], expression: ExpRef) -> list[Any]:
    if len(values) < 2:
        return values
    keys = [expression(value) for value in values]
    if is_number(keys[0]):
        valid = all(is_number(key) for key in keys)
    elif isinstance(keys[0], str):
        valid = all(isinstance(key, str) for key in keys)
    else:
        raise ExpressionError("invalid type, must be number of string")
    if not valid:
        raise ExpressionError("error in sort_by comparison")
    order = sorted(range(len(values)), key=lambda index: keys[index])
    return [values[index] for index in order]


def go_split(subject: str, separator: str, count: int = -1) -> list[str]:
    """Go's ``strings.SplitN`` (an empty separator splits into characters)."""
    if count == 0:
        return []
    if separator == "":
        chars = list(subject)
        if 0 < count < len(chars):
            return [*chars[:count - 1], "".join(chars[count - 1:])]
        return chars
    return subject.split(separator, count - 1 if count > 0 else -1)


@function("split", arg(STRING), arg(STRING), arg(NUMBER, optional=True))
def _split(subject: str, separator: str, count: Any = None) -> list[Any]:
    if not subject:
        return []
    if count is None:
        return list(go_split(subject, separator))
    number = to_integer(count)
    if number is None or number < 0:
        raise not_a_positive_integer("split", "count")
    if number == 0:
        return [subject]
    return list(go_split(subject, separator, number + 1))


@function("starts_with", arg(STRING), arg(STRING))
def _starts_with(subject: str, prefix: str) -> bool:
    return subject.startswith(prefix)


@function("sum", arg(ARRAY_NUMBER))
def _sum(values: list[float]) -> Any:
    return go_number(float(math.fsum(values))) if any(isinstance(v, float) for v in values) else sum(values)


@function("to_array", arg(ANY))
def _to_array(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@function("to_string", arg(ANY))
def _to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return go_json_dumps(value)
    except ValueError as error:
        raise ExpressionError(str(error)) from None


def parse_go_float(text: str) -> float | None:
    """``strconv.ParseFloat(text, 64)``: no surrounding spaces, underscores only between digits."""
    if not text or text != text.strip() or "_" in text:
        return None
    lowered = text.lower().lstrip("+-")
    if lowered in ("inf", "infinity", "nan"):
        return float(text)
    try:
        number = float(text)
    except ValueError:
        if lowered.startswith("0x"):
            try:
                return float.fromhex(text)
            except ValueError:
                return None
        return None
    return None if math.isinf(number) else number  # out of range: ParseFloat fails with ErrRange


@function("to_number", arg(ANY))
def _to_number(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return None
    if is_number(value):
        return value
    if isinstance(value, str):
        parsed = parse_go_float(value)
        return None if parsed is None else go_number(parsed)
    if isinstance(value, (list, dict)):
        return None
    raise ExpressionError("unknown type")


def _trim(subject: str, cutset: str | None, left: bool, right: bool) -> str:
    chars = cutset or None
    if left and right:
        return subject.strip(chars)
    return subject.lstrip(chars) if left else subject.rstrip(chars)


@function("trim", arg(STRING), arg(STRING, optional=True))
def _trim_both(subject: str, cutset: str | None = None) -> str:
    return _trim(subject, cutset, left=True, right=True)


@function("trim_left", arg(STRING), arg(STRING, optional=True))
def _trim_left(subject: str, cutset: str | None = None) -> str:
    return _trim(subject, cutset, left=True, right=False)


@function("trim_right", arg(STRING), arg(STRING, optional=True))
def _trim_right(subject: str, cutset: str | None = None) -> str:
    return _trim(subject, cutset, left=False, right=True)


@function("type", arg(ANY))
def _type(value: Any) -> str:
    return jp_type(value)


@function("upper", arg(STRING))
def _upper(value: str) -> str:
    return value.upper()


@function("values", arg(OBJECT))
def _values(value: dict[str, Any]) -> list[Any]:
    return list(value.values())


@function("zip", arg(ARRAY), arg(ARRAY, variadic=True))
def _zip(*arrays: list[Any]) -> list[Any]:
    return [list(group) for group in zip(*arrays)]


FUNCTIONS: tuple[FunctionEntry, ...] = (
    _abs, _avg, _ceil, _contains, _ends_with, _find_first, _find_last, _floor, _from_items,
    _group_by, _items, _join, _keys, _length, _lower, _map, _max, _max_by, _merge, _min, _min_by,
    _not_null, _pad_left, _pad_right, _replace, _reverse, _sort, _sort_by, _split, _starts_with,
    _sum, _to_array, _to_number, _to_string, _trim_both, _trim_left, _trim_right, _type, _upper,
    _values, _zip,
)
