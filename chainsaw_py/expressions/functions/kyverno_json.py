"""kyverno-json's own functions (``pkg/jp/functions``): at, concat, json_parse, wildcard."""

from __future__ import annotations

import json
import re
from typing import Any

from chainsaw_py.expressions.functions.registry import ARRAY, NUMBER, STRING, FunctionEntry, arg, function
from chainsaw_py.golang.jsonnum import NumberOutOfRange, decode_float, decode_integer
from chainsaw_py.golang.regexp import GoRegexp, compile_go
from chainsaw_py.golang.strconv import int64_of_float
from chainsaw_py.grammar.errors import ExpressionError


@function("at", arg(ARRAY), arg(NUMBER), description="Returns the element in an array at the given index.")
def _at(values: list[Any], index: Any) -> Any:
    position = int64_of_float(index)   # Go's int(f): NaN, Inf and values beyond int64 are MinInt64
    if not 0 <= position < len(values):
        # Go indexes the slice directly and panics
        raise ExpressionError(f"runtime error: index out of range [{position}] with length {len(values)}")
    return values[position]


@function("concat", arg(STRING), arg(STRING),
          description="Concatenates two strings together and returns the result.")
def _concat(left: str, right: str) -> str:
    return left + right


def json_unmarshal(text: str) -> Any:
    """``json.Unmarshal`` into ``interface{}``: numbers are float64s (whole ones kept as ints here, which
    JMESPath treats alike), and one beyond float64's range is Go's error, not Python's digit limit."""
    from chainsaw_py.golang.fmt import go_json_error

    try:
        return json.loads(text, parse_constant=_reject_constant, parse_int=decode_integer, parse_float=decode_float)
    except json.JSONDecodeError as error:
        raise ExpressionError(go_json_error(error)) from None
    except NumberOutOfRange as error:
        raise ExpressionError(str(error)) from None


def _reject_constant(name: str) -> Any:
    raise json.JSONDecodeError("Expecting value", name, 0)


@function("json_parse", arg(STRING), description="Parses a given JSON string into an object.")
def _json_parse(text: str) -> Any:
    return json_unmarshal(text)


def _wildcard_regex(pattern: str) -> GoRegexp:
    """An RE2 pattern, so that matching takes linear time (``*a*a*a*b`` would backtrack in ``re``)."""
    parts = ("." if char == "?" else ".*" if char == "*" else re.escape(char) for char in pattern)
    return compile_go("(?s)" + "".join(parts))


def wildcard_match(pattern: str, name: str) -> bool:
    """kyverno's ``wildcard.Match``: ``*`` any run of characters, ``?`` exactly one."""
    if pattern == "":
        return name == pattern
    if pattern == "*":
        return True
    return _wildcard_regex(pattern).fullmatch(name) is not None


@function("wildcard", arg(STRING), arg(STRING),
          description="Compares a wildcard pattern with a given string and returns if they match or not.")
def _wildcard(pattern: str, name: str) -> bool:
    return wildcard_match(pattern, name)


FUNCTIONS: tuple[FunctionEntry, ...] = (_at, _concat, _json_parse, _wildcard)
