"""kubectl's JSONPath templates (``k8s.io/client-go/util/jsonpath``), for ``get -o jsonpath=`` and
``wait --for jsonpath=``.

```python
render("{.status.phase}", pod)                          # 'Running'
render("{range .items[*]}{.metadata.name}{'\\n'}{end}", podList)
find_values("{.status.conditions[?(@.type=='Ready')].status}", pod)   # ['True']
```

Supported: text outside ``{}``; ``$`` and ``@``; ``.field`` (``\\.`` escapes a dot in a name);
``..`` recursive descent; ``*``; ``[n]``, ``[-n]``, ``[start:end:step]``; unions ``[0,2]`` and
``['a','b']``; filters ``[?(@.x == 'y')]`` with ``== != < <= > >=`` and existence ``[?(@.x)]``;
``{range ...}...{end}``; quoted text ``{"\\n"}``. Output follows kubectl: the values of one action
are joined by a space, maps and lists are printed as JSON, strings as they are, numbers like Go.
Missing keys print nothing (kubectl's ``--allow-missing-template-keys`` default); with
``allow_missing_keys=False`` they are an error ``<name> is not found``.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any

from chainsaw_py.golang.fmt import format_float, go_json_dumps, is_number


class JsonPathError(ValueError):
    """A template cannot be evaluated against the data (client-go's message)."""


class JsonPathSyntaxError(JsonPathError):
    """A template does not parse."""

# -- AST ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Path:
    steps: tuple[Any, ...]


@dataclass(frozen=True)
class Range:
    path: Path
    body: tuple[Any, ...] = field(default=())


@dataclass(frozen=True)
class Root:
    pass


@dataclass(frozen=True)
class Current:
    pass


@dataclass(frozen=True)
class Field:
    name: str


@dataclass(frozen=True)
class Wildcard:
    pass


@dataclass(frozen=True)
class Recursive:
    pass


@dataclass(frozen=True)
class Slice:
    start: int | None
    end: int | None
    step: int | None
    single: bool


@dataclass(frozen=True)
class Union:
    items: tuple[Any, ...]


@dataclass(frozen=True)
class Filter:
    left: Any
    operator: str | None
    right: Any


@dataclass(frozen=True)
class Literal:
    value: Any


# -- parsing --------------------------------------------------------------------------------------

_TERMINATORS = set(" \t\r\n.,[]$@{}")
_OPERATORS = ("==", "!=", "<=", ">=", "<", ">")


@functools.lru_cache(maxsize=256)
def parse_template(template: str) -> tuple[Any, ...]:
    """Parse a kubectl JSONPath template into nodes (cached). Raises ``JsonPathSyntaxError``."""
    nodes: list[Any] = []
    stack: list[tuple[Path, list[Any]]] = []
    position = 0
    while position < len(template):
        start = template.find("{", position)
        if start == -1:
            _append(stack, nodes, Text(template[position:]))
            break
        if start > position:
            _append(stack, nodes, Text(template[position:start]))
        end = _action_end(template, start)
        action = template[start + 1:end].strip()
        position = end + 1
        if action == "end":
            if not stack:
                raise JsonPathSyntaxError("not in range, nothing to end")
            path, body = stack.pop()
            _append(stack, nodes, Range(path, tuple(body)))
        elif action.startswith("range ") or action == "range":
            stack.append((_parse_path(action[len("range"):].strip(), template), []))
        else:
            _append(stack, nodes, _parse_action(action, template))
    if stack:
        raise JsonPathSyntaxError(f"unclosed action: range without end in {template!r}")
    return tuple(nodes)


def _append(stack: list[tuple[Path, list[Any]]], nodes: list[Any], node: Any) -> None:
    (stack[-1][1] if stack else nodes).append(node)


def _action_end(template: str, start: int) -> int:
    quote: str | None = None
    index = start + 1
    while index < len(template):
        char = template[index]
        if quote:
            if char == "\\":
                index += 2
                continue
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "}":
            return index
        index += 1
    raise JsonPathSyntaxError(f"unclosed action in {template!r}")


def _parse_action(action: str, template: str) -> Any:
    if len(action) >= 2 and action[0] in "'\"" and action[-1] == action[0]:
        return Text(_unquote(action))
    return _parse_path(action, template)


def _unquote(text: str) -> str:
    if text[0] == "'":
        text = '"' + text[1:-1].replace('"', '\\"').replace("\\'", "'") + '"'
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise JsonPathSyntaxError(f"invalid quoted string {text}") from None
    return str(value)


def _parse_path(text: str, template: str) -> Path:
    steps: list[Any] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char in " \t":
            index += 1
        elif char == "$":
            steps.append(Root())
            index += 1
        elif char == "@":
            steps.append(Current())
            index += 1
        elif text.startswith("..", index):
            steps.append(Recursive())
            index += 2
            index = _parse_name(text, index, steps) if index < len(text) and text[index] not in "[" else index
        elif char == ".":
            index = _parse_name(text, index + 1, steps)
        elif char == "[":
            end = _bracket_end(text, index)
            steps.append(_parse_bracket(text[index + 1:end].strip(), template))
            index = end + 1
        elif char == "*":
            steps.append(Wildcard())
            index += 1
        else:
            index = _parse_name(text, index, steps)
    return Path(tuple(steps))


def _parse_name(text: str, index: int, steps: list[Any]) -> int:
    start = index
    while index < len(text) and text[index] not in _TERMINATORS:
        index += 2 if text[index] == "\\" else 1
    name = text[start:index].replace("\\", "")
    if name == "*":
        steps.append(Wildcard())
    elif name:
        steps.append(Field(name))
    return index


def _bracket_end(text: str, start: int) -> int:
    depth, quote = 0, None
    for index in range(start, len(text)):
        char = text[index]
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return index
    raise JsonPathSyntaxError(f"unterminated array in {text!r}")


_INT = re.compile(r"-?\d+")


def _parse_bracket(body: str, template: str) -> Any:
    if body.startswith("?"):
        inner = body[1:].strip()
        if not (inner.startswith("(") and inner.endswith(")")):
            raise JsonPathSyntaxError(f"unclosed filter in {template!r}")
        return _parse_filter(inner[1:-1].strip(), template)
    if body == "*":
        return Wildcard()
    parts = _split_top(body, ",")
    if len(parts) > 1:
        return Union(tuple(_parse_bracket(part.strip(), template) for part in parts))
    if body[:1] in "'\"":
        return Field(_unquote(body))
    if ":" in body:
        pieces = body.split(":")
        if len(pieces) > 3 or not all(_INT.fullmatch(piece.strip()) or not piece.strip() for piece in pieces):
            raise JsonPathSyntaxError(f"invalid array index {body}")
        numbers = [int(piece) if piece.strip() else None for piece in pieces] + [None] * (3 - len(pieces))
        return Slice(numbers[0], numbers[1], numbers[2], single=False)
    if _INT.fullmatch(body):
        return Slice(int(body), None, None, single=True)
    raise JsonPathSyntaxError(f"invalid array index {body}")


def _split_top(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quote: str | None = None
    depth = 0
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _parse_filter(body: str, template: str) -> Filter:
    for operator in _OPERATORS:
        position = _find_operator(body, operator)
        if position != -1:
            left = _parse_operand(body[:position].strip(), template)
            right = _parse_operand(body[position + len(operator):].strip(), template)
            return Filter(left, operator, right)
    return Filter(_parse_operand(body, template), None, None)


def _find_operator(text: str, operator: str) -> int:
    quote = None
    for index in range(len(text)):
        char = text[index]
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif text.startswith(operator, index):
            if operator in ("<", ">") and text[index + 1:index + 2] == "=":
                continue
            return index
    return -1


def _parse_operand(text: str, template: str) -> Any:
    if not text:
        raise JsonPathSyntaxError(f"invalid filter in {template!r}")
    if text[0] in "'\"":
        return Literal(_unquote(text))
    if text in ("true", "false"):
        return Literal(text == "true")
    if re.fullmatch(r"-?\d+", text):
        return Literal(int(text))
    if re.fullmatch(r"-?\d*\.\d+(?:[eE][-+]?\d+)?|-?\d+[eE][-+]?\d+", text):
        return Literal(float(text))
    return _parse_path(text, template)


_RELAXED = re.compile(r"^\{\.?([^{}]+)\}$|^\.?([^{}]+)$")


def relaxed_expression(path: str) -> str:
    """kubectl's ``RelaxedJSONPathExpression`` (used by ``wait --for jsonpath=``): ``a.b``, ``.a.b``,
    ``{a.b}`` and ``{.a.b}`` all become ``{.a.b}``."""
    if not path:
        return path
    match = _RELAXED.match(path)
    if match is None:
        raise JsonPathSyntaxError("unexpected path string, expected a 'name1.name2' or '.name1.name2' or "
                                    "'{name1.name2}' or '{.name1.name2}'")
    return "{." + (match.group(1) or match.group(2)) + "}"


# -- evaluation -------------------------------------------------------------------------------------


def find_results(template: str, data: Any, allow_missing_keys: bool = True) -> list[list[Any]]:
    """The values each top-level action yields (``JSONPath.FindResults``)."""
    results: list[list[Any]] = []
    for node in parse_template(template):
        results.extend(_results(node, data, data, allow_missing_keys))
    return results


def find_values(template: str, data: Any, allow_missing_keys: bool = True) -> list[Any]:
    """All values the template yields, flattened (what ``wait --for jsonpath=`` compares)."""
    return [value for group in find_results(template, data, allow_missing_keys) for value in group]


def _results(node: Any, root: Any, current: Any, allow_missing: bool) -> list[list[Any]]:
    if isinstance(node, Text):
        return [[node.text]]
    if isinstance(node, Path):
        return [_eval_path(node, root, [current], allow_missing)]
    if isinstance(node, Range):
        out: list[list[Any]] = []
        for item in _eval_path(node.path, root, [current], allow_missing):
            for child in node.body:
                out.extend(_results(child, root, item, allow_missing))
        return out
    raise JsonPathError(f"unexpected node {node!r}")


def render(template: str, data: Any, allow_missing_keys: bool = True) -> str:
    """The text kubectl prints for ``-o jsonpath=<template>``."""
    parts: list[str] = []
    for node in parse_template(template):
        parts.append(_render(node, data, data, allow_missing_keys))
    return "".join(parts)


def _render(node: Any, root: Any, current: Any, allow_missing: bool) -> str:
    if isinstance(node, Text):
        return node.text
    if isinstance(node, Path):
        return " ".join(format_value(value) for value in _eval_path(node, root, [current], allow_missing))
    if isinstance(node, Range):
        pieces: list[str] = []
        for item in _eval_path(node.path, root, [current], allow_missing):
            pieces.extend(_render(child, root, item, allow_missing) for child in node.body)
        return "".join(pieces)
    raise JsonPathError(f"unexpected node {node!r}")


def format_value(value: Any) -> str:
    """kubectl's ``PrintResults`` for one value: JSON for maps and lists, ``%v`` otherwise."""
    if isinstance(value, (dict, list)):
        return go_json_dumps(value)
    if isinstance(value, str):
        return value
    if value is None:
        return "<nil>"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, float):
        return format_float(value)
    return str(value)


def _eval_path(path: Path, root: Any, values: list[Any], allow_missing: bool) -> list[Any]:
    current = values
    for step in path.steps:
        current = _eval_step(step, root, current, allow_missing)
    return current


def _eval_step(step: Any, root: Any, values: list[Any], allow_missing: bool) -> list[Any]:
    if isinstance(step, Root):
        return [root]
    if isinstance(step, Current):
        return values
    if isinstance(step, Field):
        out = []
        for value in values:
            if isinstance(value, dict) and step.name in value:
                out.append(value[step.name])
            elif not allow_missing:
                raise JsonPathError(f"{step.name} is not found")
        return out
    if isinstance(step, Wildcard):
        out = []
        for value in values:
            if isinstance(value, dict):
                out.extend(value[key] for key in sorted(value))
            elif isinstance(value, list):
                out.extend(value)
        return out
    if isinstance(step, Recursive):
        out = []
        for value in values:
            out.extend(_descendants(value))
        return out
    if isinstance(step, Slice):
        return _eval_slice(step, values, allow_missing)
    if isinstance(step, Union):
        out = []
        for item in step.items:
            out.extend(_eval_step(item, root, values, allow_missing))
        return out
    if isinstance(step, Filter):
        out = []
        for value in values:
            items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
            out.extend(item for item in items if _filter_matches(step, root, item))
        return out
    raise JsonPathError(f"unexpected step {step!r}")


def _descendants(value: Any) -> list[Any]:
    out = [value]
    if isinstance(value, dict):
        for key in sorted(value):
            out.extend(_descendants(value[key]))
    elif isinstance(value, list):
        for item in value:
            out.extend(_descendants(item))
    return out


def _eval_slice(step: Slice, values: list[Any], allow_missing: bool) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if not isinstance(value, list):
            continue
        length = len(value)
        if step.single:
            index = step.start if step.start is not None and step.start >= 0 else length + (step.start or 0)
            if not 0 <= index < length:
                if allow_missing:
                    continue
                raise JsonPathError(f"array index out of bounds: index {step.start}, length {length}")
            out.append(value[index])
            continue
        out.extend(value[slice(step.start, step.end, step.step)])
    return out


def _filter_matches(step: Filter, root: Any, item: Any) -> bool:
    left = _operand_values(step.left, root, item)
    if step.operator is None:
        return bool(left) and left[0] is not None
    right = _operand_values(step.right, root, item)
    if not left or not right:
        return False
    return _compare(left[0], step.operator, right[0])


def _operand_values(operand: Any, root: Any, item: Any) -> list[Any]:
    if isinstance(operand, Literal):
        return [operand.value]
    return _eval_path(operand, root, [item], True)


def _compare(left: Any, operator: str, right: Any) -> bool:
    if is_number(left) and is_number(right):
        a, b = float(left), float(right)
    elif isinstance(left, str) and isinstance(right, str):
        a, b = left, right  # type: ignore[assignment]
    elif operator in ("==", "!="):
        equal = left == right and type(left) is type(right)
        return equal if operator == "==" else not equal
    else:
        return False
    return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[operator]
