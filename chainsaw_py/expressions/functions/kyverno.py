"""kyverno's JMESPath functions as kyverno-json ships them (``pkg/jp/kyverno``): strings, patterns,
arithmetic on numbers, quantities and durations, encodings, semver, time, random, x509."""

from __future__ import annotations

import base64
import math
import struct
from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal
from typing import Any, TypeVar

from chainsaw_py.expressions.functions import semver
from chainsaw_py.expressions.functions.kyverno_json import json_unmarshal, wildcard_match
from chainsaw_py.expressions.functions.registry import (
    ANY,
    ARRAY,
    NUMBER,
    OBJECT,
    STRING,
    FunctionEntry,
    arg,
    function,
)
from chainsaw_py.expressions.functions.sizes import bounded_replace
from chainsaw_py.golang import quantity
from chainsaw_py.golang import regexp as goregex
from chainsaw_py.golang import time as gotime
from chainsaw_py.golang.base64 import CorruptInputError, std_decode
from chainsaw_py.golang.durations import DurationError, format_duration_ns, parse_duration_ns
from chainsaw_py.golang.fmt import format_float, go_number, is_number
from chainsaw_py.golang.strconv import int64_of_float, wrap_int64
from chainsaw_py.grammar.errors import ExpressionError

_T = TypeVar("_T")


def _error(name: str, message: str) -> ExpressionError:
    return ExpressionError(f"JMESPath function '{name}': {message}")


def _not_of_type(name: str, position: int, type_name: str) -> ExpressionError:
    return _error(name, f"argument #{position} is not of type {type_name}")


def _expect_number(name: str, value: Any, position: int) -> float:
    if not is_number(value):
        raise _not_of_type(name, position, "float64")
    return float(value)


def int_number(number: float) -> int:
    """kyverno's ``intNumber``."""
    if math.isinf(number) or math.isnan(number) or math.trunc(number) != number:
        raise ExpressionError(f"expected an integer number but got: {format_float(number)}")
    return int(number)


def _float32_text(value: float) -> str:
    """``strconv.FormatFloat(f, 'f', -1, 32)``: the shortest float32 digits, never an exponent."""
    single = struct.unpack("f", struct.pack("f", value))[0]
    if math.isinf(single) or math.isnan(single):
        return "+Inf" if single == math.inf else "-Inf" if single == -math.inf else "NaN"
    for precision in range(1, 10):
        text = f"{single:.{precision}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == single:
            break
    fixed = format(Decimal(text), "f")
    return fixed.rstrip("0").rstrip(".") if "." in fixed else fixed


def iface_to_string(value: Any) -> str | None:
    """kyverno's ``ifaceToString`` (numbers as float32 text, booleans as true/false)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float32_text(value)
    return None


# -- strings ------------------------------------------------------------------------------------


@function("compare", arg(STRING), arg(STRING), description="compares two strings lexicographically")
def _compare(left: str, right: str) -> int:
    return (left > right) - (left < right)


@function("equal_fold", arg(STRING), arg(STRING),
          description="allows comparing two strings for equivalency where the only differences are letter cases")
def _equal_fold(left: str, right: str) -> bool:
    return left.casefold() == right.casefold()


@function("replace", arg(STRING), arg(STRING), arg(STRING), arg(NUMBER),
          description="replaces a specified number of instances of the source string with the replacement "
                      "string in a parent ")
def _replace(subject: str, old: str, new: str, count: Any) -> str:
    limit = int64_of_float(_expect_number("replace", count, 4))
    return bounded_replace("replace", subject, old, new, limit if limit >= 0 else -1)


@function("replace_all", arg(STRING), arg(STRING), arg(STRING),
          description="replace all instances of one string with another in an overall parent string")
def _replace_all(subject: str, old: str, new: str) -> str:
    return bounded_replace("replace_all", subject, old, new)


@function("to_upper", arg(STRING),
          description="takes in a string and outputs the same string with all upper-case letters")
def _to_upper(value: str) -> str:
    return value.upper()


@function("to_lower", arg(STRING),
          description="takes in a string and outputs the same string with all lower-case letters")
def _to_lower(value: str) -> str:
    return value.lower()


@function("trim", arg(STRING), arg(STRING),
          description="trims both ends of the source string by characters appearing in the second string")
def _trim(subject: str, cutset: str) -> str:
    return subject.strip(cutset) if cutset else subject


@function("trim_prefix", arg(STRING), arg(STRING),
          description="trims the second string prefix from the first string if the first string starts with "
                      "the prefix")
def _trim_prefix(subject: str, prefix: str) -> str:
    return subject.removeprefix(prefix)


@function("split", arg(STRING), arg(STRING),
          description="splits the first string when the second string is found and converts it into an array ")
def _split(subject: str, separator: str) -> list[Any]:
    from chainsaw_py.expressions.functions.builtins import go_split

    return list(go_split(subject, separator))


# -- patterns -----------------------------------------------------------------------------------


def _string_or_number(name: str, value: Any, position: int) -> str:
    text = iface_to_string(value)
    if text is None:
        raise _not_of_type(name, position, "String or Real")
    return text


def _regex_replace(name: str, pattern: str, source: Any, replacement: Any, literal: bool) -> str:
    text = _string_or_number(name, source, 2)
    template = _string_or_number(name, replacement, 3)
    try:
        return _go_call(goregex.replace_all, pattern, text, template, literal)
    except ExpressionError as error:
        raise _error(name, str(error)) from None


@function("regex_replace_all", arg(STRING), arg(STRING, NUMBER), arg(STRING, NUMBER),
          description="converts all parameters to string")
def _regex_replace_all(pattern: str, source: Any, replacement: Any) -> str:
    return _regex_replace("regex_replace_all", pattern, source, replacement, literal=False)


@function("regex_replace_all_literal", arg(STRING), arg(STRING, NUMBER), arg(STRING, NUMBER),
          description="converts all parameters to string")
def _regex_replace_all_literal(pattern: str, source: Any, replacement: Any) -> str:
    return _regex_replace("regex_replace_all_literal", pattern, source, replacement, literal=True)


@function("regex_match", arg(STRING), arg(STRING, NUMBER),
          description="first string is the regular exression which is compared with second input which can be "
                      "a number or string")
def _regex_match(pattern: str, source: Any) -> bool:
    text = _string_or_number("regex_match", source, 2)
    return _go_call(goregex.compile_go, pattern).search(text) is not None


@function("pattern_match", arg(STRING), arg(STRING, NUMBER),
          description="'*' matches zero or more alphanumeric characters, '?' matches a single alphanumeric "
                      "character")
def _pattern_match(pattern: str, source: Any) -> bool:
    return wildcard_match(pattern, _string_or_number("regex_match", source, 2))


@function("label_match", arg(OBJECT), arg(OBJECT),
          description="object arguments must be enclosed in backticks; ex. "
                      "`{{request.object.spec.template.metadata.labels}}`")
def _label_match(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    from chainsaw_py.expressions.jmes.compiler import go_equal

    return all(key in labels and go_equal(labels[key], value) for key, value in selector.items())


@function("to_boolean", arg(STRING),
          description="It returns true or false for any string, such as 'True', 'TruE', 'False', 'FAlse', "
                      "'faLSE', etc.")
def _to_boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise _error("to_boolean", f"lowercase argument must be 'true' or 'false' (provided: '{value}')")


# -- arithmetic on numbers, quantities and durations --------------------------------------------


class _Duration(int):
    """Nanoseconds of a Go ``time.Duration``."""


def _operand(name: str, value: Any) -> float | quantity.Quantity | _Duration:
    if is_number(value):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = quantity.parse(value)
        except quantity.QuantityTooLarge as error:
            raise _error(name, str(error)) from None
        if parsed is not None:
            return parsed
        try:
            return _Duration(parse_duration_ns(value))
        except DurationError:
            pass
    raise _error(name, "invalid operand")


def _operands(name: str, left: Any, right: Any) -> tuple[Any, Any]:
    return _operand(name, left), _operand(name, right)


def _mismatch(name: str) -> ExpressionError:
    return _error(name, "Types mismatch")


def _zero_division(name: str) -> ExpressionError:
    return _error(name, "Zero divisor passed")


def _add(name: str, left: Any, right: Any, sign: int = 1) -> Any:
    a, b = _operands(name, left, right)
    if isinstance(a, quantity.Quantity) and isinstance(b, quantity.Quantity):
        return quantity.from_decimal(quantity.exact_sum(a.value, b.value if sign > 0 else b.value.copy_negate()), a.format)
    if isinstance(a, _Duration) and isinstance(b, _Duration):
        return format_duration_ns(wrap_int64(a + sign * b))
    if isinstance(a, float) and isinstance(b, float):
        return go_number(a + sign * b)
    raise _mismatch(name)


def _scalar_quantity(name: str, scalar: float) -> quantity.Quantity:
    text = format_float(scalar)
    parsed = quantity.parse(text)
    if parsed is None:
        raise ExpressionError(
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    return parsed


def _multiply(left: Any, right: Any) -> Any:
    a, b = _operands("multiply", left, right)
    if isinstance(a, float) and not isinstance(b, float):
        a, b = b, a
    if isinstance(b, float):
        if isinstance(a, float):
            return go_number(a * b)
        if isinstance(a, quantity.Quantity):
            return quantity.from_decimal(a.value * _scalar_quantity("multiply", b).value, a.format)
        if isinstance(a, _Duration):
            return format_duration_ns(int64_of_float(a / 1e9 * b * 1e9))
    raise _mismatch("multiply")


def _divide(left: Any, right: Any) -> Any:
    a, b = _operands("divide", left, right)
    if isinstance(a, quantity.Quantity):
        if isinstance(b, quantity.Quantity):
            if b.value == 0:
                raise _zero_division("divide")
            return go_number(float(a.value) / float(b.value))
        if isinstance(b, float):
            if b == 0:
                raise _zero_division("divide")
            divisor = _scalar_quantity("divide", b)
            scale = max(a.scale, divisor.scale)
            quotient = (a.value / divisor.value).quantize(Decimal(1).scaleb(-scale), rounding=ROUND_DOWN)
            return quantity.from_decimal(quotient, a.format)
    elif isinstance(a, _Duration):
        if isinstance(b, _Duration):
            if b == 0:
                raise _zero_division("divide")
            return go_number((a / 1e9) / (b / 1e9))
        if isinstance(b, float):
            if b == 0:
                raise _zero_division("divide")
            return format_duration_ns(int64_of_float(a / 1e9 / b * 1e9))
    elif isinstance(b, float):
        if b == 0:
            raise _zero_division("divide")
        return go_number(a / b)
    raise _mismatch("divide")


def _go_remainder(left: int, right: int) -> int:
    """Go's ``%``: truncated division, the result has the dividend's sign."""
    result = abs(left) % abs(right)
    return -result if left < 0 else result


def _whole(name: str, value: float) -> int:
    if not math.isfinite(value) or value != float(int(value)):
        raise _error(name, "Non-integer argument(s) passed for modulo")
    return int(value)


def _modulo(left: Any, right: Any) -> Any:
    a, b = _operands("modulo", left, right)
    if isinstance(a, quantity.Quantity) and isinstance(b, quantity.Quantity):
        dividend, divisor = _whole("modulo", float(a.value)), _whole("modulo", float(b.value))
        if divisor == 0:
            raise _zero_division("modulo")
        return quantity.from_decimal(Decimal(_go_remainder(dividend, divisor)), a.format)
    if isinstance(a, _Duration) and isinstance(b, _Duration):
        if b == 0:
            raise _zero_division("modulo")
        return format_duration_ns(_go_remainder(a, b))
    if isinstance(a, float) and isinstance(b, float):
        dividend, divisor = _whole("modulo", a), _whole("modulo", b)
        if divisor == 0:
            raise _zero_division("modulo")
        return _go_remainder(dividend, divisor)
    raise _mismatch("modulo")


@function("add", arg(ANY), arg(ANY),
          description="does arithmetic addition of two specified values of numbers, quantities, and durations")
def _add_function(left: Any, right: Any) -> Any:
    return _add("add", left, right)


@function("sum", arg(ARRAY),
          description="does arithmetic addition of specified array of values of numbers, quantities, and "
                      "durations")
def _sum(values: list[Any]) -> Any:
    if not values:
        raise _error("sum", "at least one element in the array is required")
    result = values[0]
    for item in values[1:]:
        result = _add("sum", result, item)
    return result


@function("subtract", arg(ANY), arg(ANY),
          description="does arithmetic subtraction of two specified values of numbers, quantities, and "
                      "durations")
def _subtract(left: Any, right: Any) -> Any:
    return _add("subtract", left, right, sign=-1)


@function("multiply", arg(ANY), arg(ANY),
          description="does arithmetic multiplication of two specified values of numbers, quantities, and "
                      "durations")
def _multiply_function(left: Any, right: Any) -> Any:
    return _multiply(left, right)


@function("divide", arg(ANY), arg(ANY), description="divisor must be non zero")
def _divide_function(left: Any, right: Any) -> Any:
    return _divide(left, right)


@function("modulo", arg(ANY), arg(ANY), description="divisor must be non-zero, arguments must be integers")
def _modulo_function(left: Any, right: Any) -> Any:
    return _modulo(left, right)


def go_round(value: float) -> float:
    """``math.Round``: half away from zero."""
    if not math.isfinite(value):
        return value
    whole = float(math.trunc(value))
    if abs(value - whole) >= 0.5:
        whole += math.copysign(1.0, value)
    return whole


@function("round", arg(NUMBER), arg(NUMBER), description="does roundoff to upto the given decimal places")
def _round(value: Any, places: Any) -> Any:
    number = _expect_number("round", value, 1)
    digits = _expect_number("round", places, 2)
    try:
        count = int_number(digits)
    except ExpressionError:
        raise _error("round", "Non-integer argument(s) passed for round off") from None
    if count < 0 or count >= 2**63:  # Go's int(float64) of a value beyond int64 is math.MinInt64 (amd64)
        # kyverno formats this message without its arguments
        raise _error("round", "%!d(MISSING) argument is out of bounds (%!d(MISSING))")
    shift = math.pow(10, count) if count <= _MAX_POW10 else math.inf  # Go's math.Pow10 overflows to +Inf
    return go_number(go_round(number * shift) / shift)


_MAX_POW10 = 308


# -- encodings, paths, semver, parsing ------------------------------------------------------------

@function("base64_decode", arg(STRING), description="decodes a base 64 string")
def _base64_decode(text: str) -> str:
    try:
        decoded = std_decode(text)
    except CorruptInputError as err:
        raise ExpressionError(str(err)) from None
    return decoded.decode("utf-8", errors="replace")


@function("base64_encode", arg(STRING),
          description="encodes a regular, plaintext and unencoded string to base64")
def _base64_encode(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def go_clean_path(path: str) -> str:
    """Go's ``filepath.Clean`` on a Unix system."""
    if path == "":
        return "."
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    cleaned = "/".join(parts)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


@function("path_canonicalize", arg(STRING),
          description="normalizes or canonicalizes a given path by removing excess slashes")
def _path_canonicalize(path: str) -> str:
    return go_clean_path(path) if path else ""


@function("truncate", arg(STRING), arg(NUMBER),
          description="length argument must be enclosed in backticks; ex. "
                      "\"{{request.object.metadata.name | truncate(@, `9`)}}\"")
def _truncate(text: str, length: Any) -> str:
    count = _expect_number("truncate", length, 2)
    if math.isnan(count) or count <= 0:
        return ""
    return text if count >= len(text) else text[:int(count)]   # any length, +Inf too, keeps the whole text


@function("semver_compare", arg(STRING), arg(STRING),
          description="compares two strings which comply with the semantic versioning schema and outputs a "
                      "boolean response as to the position of the second relative to the first")
def _semver_compare(version: str, constraint: str) -> bool:
    return semver.semver_compare(version, constraint)


@function("parse_json", arg(STRING),
          description="decodes a valid JSON encoded string to the appropriate type. Opposite of `to_string` "
                      "function")
def _parse_json(text: str) -> Any:
    return json_unmarshal(text)


@function("parse_yaml", arg(STRING),
          description="decodes a valid YAML encoded string to the appropriate type provided it can be "
                      "represented as JSON")
def _parse_yaml(text: str) -> Any:
    from chainsaw_py.errors import LoadError
    from chainsaw_py.yamldocs import load_single

    try:
        return load_single(text)
    except LoadError as error:
        raise ExpressionError(f"error converting YAML to JSON: {error.message}") from None


@function("lookup", arg(OBJECT, ARRAY), arg(STRING, NUMBER),
          description="returns the value corresponding to the given key/index in the given object/array")
def _lookup(collection: Any, key: Any) -> Any:
    if isinstance(collection, dict):
        if not isinstance(key, str):
            raise _not_of_type("lookup", 2, "String")
        return collection.get(key)
    if not is_number(key):
        raise _not_of_type("lookup", 2, "Number")
    try:
        index = int_number(float(key))
    except ExpressionError as error:
        raise ExpressionError(f"JMESPath function 'lookup': argument #2: {error}") from None
    return collection[index] if 0 <= index < len(collection) else None


@function("items", arg(OBJECT, ARRAY), arg(STRING), arg(STRING),
          description="converts a map or array to an array of objects where each key:value is an item in the "
                      "array")
def _items(collection: Any, key_name: str, value_name: str) -> list[Any]:
    if isinstance(collection, dict):
        return [{key_name: key, value_name: collection[key]} for key in sorted(collection)]
    return [{key_name: index, value_name: value} for index, value in enumerate(collection)]


@function("object_from_lists", arg(ARRAY), arg(ARRAY),
          description="converts a pair of lists containing keys and values to an object")
def _object_from_lists(keys: list[Any], values: list[Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for index, key in enumerate(keys):
        text = iface_to_string(key)
        if text is None:
            raise _not_of_type("object_from_lists", 1, "StringArray")
        result[text] = values[index] if index < len(values) else None
    return result


@function("random", arg(STRING), description="Generates a random sequence of characters")
def _random(pattern: str) -> str:
    if pattern == "":
        raise ExpressionError("no pattern provided")
    return _go_call(goregex.random_string, pattern)


@function("x509_decode", arg(STRING),
          description="decodes an x.509 certificate to an object. you may also use this in conjunction with "
                      "`base64_decode` jmespath function to decode a base64-encoded certificate")
def _x509_decode(pem: str) -> dict[str, Any]:
    from chainsaw_py.expressions.functions.x509 import decode_pem

    return decode_pem(pem)


# -- time ------------------------------------------------------------------------------------------


def _time(value: str) -> gotime.GoTime:
    return _go_call(gotime.parse, gotime.RFC3339, value)


def _duration(value: str) -> int:
    try:
        return parse_duration_ns(value)
    except DurationError as error:
        raise ExpressionError(str(error)) from None


@function("time_since", arg(STRING), arg(STRING), arg(STRING),
          description="calculate the difference between a start and end period of time where the end may "
                      "either be a static definition or the then-current time")
def _time_since(layout: str, start: str, end: str) -> str:
    chosen = layout or gotime.RFC3339
    first = _go_call(gotime.parse, chosen, start)
    second = _go_call(gotime.parse, chosen, end) if end else gotime.now()
    return format_duration_ns(second.sub(first))


@function("time_now", description="returns current time in RFC 3339 format")
def _time_now(*_: Any) -> str:
    return gotime.now().format_rfc3339()


@function("time_now_utc", description="returns current UTC time in RFC 3339 format")
def _time_now_utc(*_: Any) -> str:
    return gotime.now().utc().format_rfc3339()


@function("time_to_cron", arg(STRING), description="converts a time (RFC 3339) to a cron expression (string).")
def _time_to_cron(value: str) -> str:
    moment = _time(value)
    _, month, day, hour, minute, _ = moment.civil()
    return f"{minute} {hour} {day} {month} {moment.weekday()}"


@function("time_add", arg(STRING), arg(STRING),
          description="adds duration (second string) to a time value (first string)")
def _time_add(value: str, duration: str) -> str:
    moment = _time(value)
    return moment.add(_duration(duration)).format_rfc3339()


@function("time_parse", arg(STRING), arg(STRING),
          description="changes a time value of a given layout to RFC 3339")
def _time_parse(layout: str, value: str) -> str:
    return _go_call(gotime.parse, layout, value).format_rfc3339()


@function("time_utc", arg(STRING), description="calcutes time in UTC from a given time in RFC 3339 format")
def _time_utc(value: str) -> str:
    return _time(value).utc().format_rfc3339()


@function("time_diff", arg(STRING), arg(STRING),
          description="calculate the difference between a start and end date in RFC3339 format")
def _time_diff(start: str, end: str) -> str:
    return format_duration_ns(_time(end).sub(_time(start)))


@function("time_before", arg(STRING), arg(STRING),
          description="checks if a time is before another time, both in RFC3339 format")
def _time_before(first: str, second: str) -> bool:
    return _time(first).sub(_time(second)) < 0


@function("time_after", arg(STRING), arg(STRING),
          description="checks if a time is after another time, both in RFC3339 format")
def _time_after(first: str, second: str) -> bool:
    return _time(first).sub(_time(second)) > 0


@function("time_between", arg(STRING), arg(STRING), arg(STRING),
          description="checks if a time is between a start and end time, all in RFC3339 format")
def _time_between(value: str, start: str, end: str) -> bool:
    moment = _time(value)
    return moment.sub(_time(start)) > 0 and moment.sub(_time(end)) < 0


@function("time_truncate", arg(STRING), arg(STRING),
          description="returns the result of rounding time down to a multiple of duration")
def _time_truncate(value: str, duration: str) -> str:
    moment = _time(value)
    return moment.truncate(_duration(duration)).format_rfc3339()



FUNCTIONS: tuple[FunctionEntry, ...] = (
    _compare, _equal_fold, _replace, _replace_all, _to_upper, _to_lower, _trim, _trim_prefix, _split,
    _regex_replace_all, _regex_replace_all_literal, _regex_match, _pattern_match, _label_match,
    _to_boolean, _add_function, _sum, _subtract, _multiply_function, _divide_function, _modulo_function,
    _round, _base64_decode, _base64_encode, _time_since, _time_now, _time_now_utc, _path_canonicalize,
    _truncate, _semver_compare, _parse_json, _parse_yaml, _lookup, _items, _object_from_lists, _random,
    _x509_decode, _time_to_cron, _time_add, _time_parse, _time_utc, _time_diff, _time_before,
    _time_after, _time_between, _time_truncate,
)


def _go_call(function: Callable[..., _T], *args: Any) -> _T:
    """Call a ``chainsaw_py.golang`` function, its errors becoming expression errors (same message)."""
    try:
        return function(*args)
    except (goregex.RegexpError, gotime.TimeParseError) as error:
        raise ExpressionError(str(error)) from None
