"""Kubernetes label selectors: the string syntax of ``kubectl -l`` / ``?labelSelector=`` and metav1.LabelSelector.

``parse_selector("app=web,tier in (a,b),!legacy")`` returns a :class:`Selector`; ``Selector.matches(labels)``
tests a label map and ``str(selector)`` renders the canonical form (requirements sorted by key, set values
sorted), as apimachinery's ``labels.Parse(...).String()`` does. Parse errors are raised as
:class:`SelectorError` with apimachinery's wording (``unable to parse requirement: ...``, ``found 'x', expected: ...``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any


class SelectorError(ValueError):
    """A label selector could not be parsed or is invalid; the message is apimachinery's."""


class Operator(str, Enum):
    IN = "in"
    NOT_IN = "notin"
    EQUALS = "="
    DOUBLE_EQUALS = "=="
    NOT_EQUALS = "!="
    GREATER_THAN = "gt"
    LESS_THAN = "lt"
    EXISTS = "exists"
    DOES_NOT_EXIST = "!"


_BINARY_OPERATORS = ("in", "notin", "=", "==", "!=", "gt", "lt")

# --- validation of keys and values (k8s.io/apimachinery/pkg/util/validation wording) -------------------------

_QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QUALIFIED_NAME_RE = re.compile(f"^{_QUALIFIED_NAME_FMT}$")
_QUALIFIED_NAME_MSG = ("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
                       "an alphanumeric character")
_LABEL_VALUE_FMT = f"({_QUALIFIED_NAME_FMT})?"
_LABEL_VALUE_RE = re.compile(f"^{_LABEL_VALUE_FMT}$")
_LABEL_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                    "and must start and end with an alphanumeric character")
_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = f"{_DNS1123_LABEL_FMT}(\\.{_DNS1123_LABEL_FMT})*"
_DNS1123_SUBDOMAIN_RE = re.compile(f"^{_DNS1123_SUBDOMAIN_FMT}$")
_DNS1123_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                          "'-' or '.', and must start and end with an alphanumeric character")


def regex_error(message: str, fmt: str, *examples: str) -> str:
    """apimachinery's ``RegexError`` text: the rule, examples, then the regex."""
    if not examples:
        return f"{message} (regex used for validation is '{fmt}')"
    shown = " or ".join(f"'{example}', " for example in examples)
    return f"{message} (e.g. {shown}regex used for validation is '{fmt}')"


def dns1123_subdomain_errors(value: str) -> list[str]:
    errors: list[str] = []
    if len(value) > 253:
        errors.append("must be no more than 253 characters")
    if not _DNS1123_SUBDOMAIN_RE.match(value):
        errors.append(regex_error(_DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errors


def qualified_name_errors(value: str) -> list[str]:
    """Problems with a label/annotation key (``[prefix/]name``); empty when valid."""
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
        errors: list[str] = []
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errors = ["prefix part must be non-empty"]
        else:
            errors = [f"prefix part {message}" for message in dns1123_subdomain_errors(prefix)]
    else:
        return ["a qualified name " + regex_error(_QUALIFIED_NAME_MSG, _QUALIFIED_NAME_FMT,
                                                  "MyName", "my.name", "123-abc")
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > 63:
        errors.append("name part must be no more than 63 characters")
    if not _QUALIFIED_NAME_RE.match(name):
        errors.append("name part " + regex_error(_QUALIFIED_NAME_MSG, _QUALIFIED_NAME_FMT,
                                                 "MyName", "my.name", "123-abc"))
    return errors


def label_value_errors(value: str) -> list[str]:
    """Problems with a label value; empty when valid."""
    errors: list[str] = []
    if len(value) > 63:
        errors.append("must be no more than 63 characters")
    if not _LABEL_VALUE_RE.match(value):
        errors.append(regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errors


def _invalid(path: str, value: str, detail: str) -> str:
    """A field.Invalid error line as Go prints it (strings are %q-quoted)."""
    return f"{path}: Invalid value: {_go_quote(value)}: {detail}"


def _go_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- the model ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    """One ``key <op> values`` term; values are kept sorted and de-duplicated."""

    key: str
    operator: Operator
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        op = self.operator
        if op in (Operator.IN, Operator.EQUALS, Operator.DOUBLE_EQUALS):
            return self.key in labels and labels[self.key] in self.values
        if op in (Operator.NOT_IN, Operator.NOT_EQUALS):
            return self.key not in labels or labels[self.key] not in self.values
        if op is Operator.EXISTS:
            return self.key in labels
        if op is Operator.DOES_NOT_EXIST:
            return self.key not in labels
        return self._compare(labels)

    def _compare(self, labels: Mapping[str, str]) -> bool:
        if self.key not in labels or len(self.values) != 1:
            return False
        try:
            actual, bound = int(labels[self.key]), int(self.values[0])
        except ValueError:
            return False
        return actual > bound if self.operator is Operator.GREATER_THAN else actual < bound

    def __str__(self) -> str:
        op = self.operator
        if op is Operator.EXISTS:
            return self.key
        if op is Operator.DOES_NOT_EXIST:
            return f"!{self.key}"
        joined = ",".join(self.values)
        if op in (Operator.IN, Operator.NOT_IN):
            return f"{self.key} {op.value} ({joined})"
        symbol = {Operator.GREATER_THAN: ">", Operator.LESS_THAN: "<"}.get(op, op.value)
        return f"{self.key}{symbol}{joined}"


@dataclass(frozen=True)
class Selector:
    """An AND of requirements; the empty selector matches everything."""

    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        present = labels or {}
        return all(requirement.matches(present) for requirement in self.requirements)

    def empty(self) -> bool:
        return not self.requirements

    def requires_exact_match(self, key: str) -> str | None:
        """The single value ``key`` must have (``key=v`` or ``key in (v)``), else None."""
        for requirement in self.requirements:
            if requirement.key == key:
                exact = requirement.operator in (Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.IN)
                return requirement.values[0] if exact and len(requirement.values) == 1 else None
        return None

    def __str__(self) -> str:
        return ",".join(str(requirement) for requirement in self.requirements)


def _sorted_selector(requirements: Iterable[Requirement]) -> Selector:
    return Selector(tuple(sorted(requirements, key=lambda requirement: requirement.key)))


def new_requirement(key: str, operator: Operator, values: Iterable[str] = ()) -> Requirement:
    """Validate and build a requirement (apimachinery ``NewRequirement``); raises SelectorError."""
    ordered = tuple(sorted(set(values)))
    errors = _requirement_errors(key, operator, ordered)
    if errors:
        raise SelectorError(errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]")
    return Requirement(key, operator, ordered)


def _requirement_errors(key: str, operator: Operator, values: tuple[str, ...]) -> list[str]:
    errors: list[str] = []
    key_problems = qualified_name_errors(key)
    if key_problems:
        errors.append(_invalid("key", key, "; ".join(key_problems)))
    if operator in (Operator.IN, Operator.NOT_IN) and not values:
        errors.append("values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty")
    elif operator in (Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.NOT_EQUALS) and len(values) != 1:
        errors.append("values: Invalid value: " + _go_list(values) + ": exact-match compatibility requires one "
                      "single value")
    elif operator in (Operator.EXISTS, Operator.DOES_NOT_EXIST) and values:
        errors.append("values: Invalid value: " + _go_list(values) + ": values set must be empty for exists and "
                      "does not exist")
    elif operator in (Operator.GREATER_THAN, Operator.LESS_THAN):
        errors.extend(_comparison_errors(values))
    for index, value in enumerate(values):
        problems = label_value_errors(value)
        if problems:
            errors.append(_invalid(f"values[{index}][{key}]", value, "; ".join(problems)))
    return errors


def _comparison_errors(values: tuple[str, ...]) -> list[str]:
    errors: list[str] = []
    if len(values) != 1:
        errors.append("values: Invalid value: " + _go_list(values) + ": for 'Gt', 'Lt' operators, exactly one "
                      "value is required")
    for index, value in enumerate(values):
        if not re.fullmatch(r"[+-]?\d+", value):
            errors.append(_invalid(f"values[{index}]", value,
                                   "for 'Gt', 'Lt' operators, the value must be an integer"))
    return errors


def _go_list(values: tuple[str, ...]) -> str:
    return "[]string{" + ", ".join(_go_quote(value) for value in values) + "}"


# --- the lexer and parser (same grammar and error texts as k8s.io/apimachinery/pkg/labels) -----------------


class _Token(Enum):
    ERROR = 0
    END = 1
    CLOSE_PAR = 2
    COMMA = 3
    NOT = 4
    DOUBLE_EQUALS = 5
    EQUALS = 6
    GREATER = 7
    IDENTIFIER = 8
    IN = 9
    LESS = 10
    NOT_EQUALS = 11
    NOT_IN = 12
    OPEN_PAR = 13


_KEYWORDS: dict[str, _Token] = {
    ")": _Token.CLOSE_PAR, ",": _Token.COMMA, "!": _Token.NOT, "==": _Token.DOUBLE_EQUALS, "=": _Token.EQUALS,
    ">": _Token.GREATER, "in": _Token.IN, "<": _Token.LESS, "!=": _Token.NOT_EQUALS, "notin": _Token.NOT_IN,
    "(": _Token.OPEN_PAR,
}
_SPECIAL = frozenset("=!(),><")
_WHITESPACE = frozenset(" \t\r\n")
_OPERATOR_TOKENS: dict[_Token, Operator] = {
    _Token.IN: Operator.IN, _Token.EQUALS: Operator.EQUALS, _Token.DOUBLE_EQUALS: Operator.DOUBLE_EQUALS,
    _Token.GREATER: Operator.GREATER_THAN, _Token.LESS: Operator.LESS_THAN, _Token.NOT_IN: Operator.NOT_IN,
    _Token.NOT_EQUALS: Operator.NOT_EQUALS,
}


def _lex(text: str) -> list[tuple[_Token, str]]:
    items: list[tuple[_Token, str]] = []
    position = 0
    while True:
        while position < len(text) and text[position] in _WHITESPACE:
            position += 1
        if position >= len(text):
            items.append((_Token.END, ""))
            return items
        if text[position] in _SPECIAL:
            token, literal, position = _lex_symbol(text, position)
        else:
            start = position
            while position < len(text) and text[position] not in _SPECIAL and text[position] not in _WHITESPACE:
                position += 1
            literal = text[start:position]
            token = _KEYWORDS.get(literal, _Token.IDENTIFIER)
        items.append((token, literal))


def _lex_symbol(text: str, position: int) -> tuple[_Token, str, int]:
    """Longest run of special characters that still forms a known operator."""
    best: tuple[_Token, str] | None = None
    end = position
    while end < len(text) and text[end] in _SPECIAL:
        candidate = text[position:end + 1]
        if candidate in _KEYWORDS:
            best = (_KEYWORDS[candidate], candidate)
        elif best is not None:
            break
        end += 1
    if best is None:
        return _Token.ERROR, f"error expected: keyword found '{text[position:end]}'", end
    return best[0], best[1], position + len(best[1])


class _Parser:
    def __init__(self, text: str) -> None:
        self.items = _lex(text)
        self.position = 0

    def lookahead(self, values: bool = True) -> tuple[_Token, str]:
        return self._as_context(self.items[self.position], values)

    def consume(self, values: bool = True) -> tuple[_Token, str]:
        item = self.items[self.position]
        self.position += 1
        return self._as_context(item, values)

    @staticmethod
    def _as_context(item: tuple[_Token, str], values: bool) -> tuple[_Token, str]:
        token, literal = item
        if values and token in (_Token.IN, _Token.NOT_IN):
            return _Token.IDENTIFIER, literal
        return token, literal

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        while True:
            token, literal = self.lookahead()
            if token is _Token.END:
                return requirements
            if token not in (_Token.IDENTIFIER, _Token.NOT):
                raise SelectorError(f"found '{literal}', expected: !, identifier, or 'end of string'")
            try:
                requirements.append(self.parse_requirement())
            except SelectorError as err:
                raise SelectorError(f"unable to parse requirement: {err}") from None
            token, literal = self.consume()
            if token is _Token.END:
                return requirements
            if token is not _Token.COMMA:
                raise SelectorError(f"found '{literal}', expected: ',' or 'end of string'")
            next_token, next_literal = self.lookahead()
            if next_token not in (_Token.IDENTIFIER, _Token.NOT):
                raise SelectorError(f"found '{next_literal}', expected: identifier after ','")

    def parse_requirement(self) -> Requirement:
        key, operator = self.parse_key_and_infer_operator()
        if operator is not None:
            return new_requirement(key, operator)
        operator = self.parse_operator()
        if operator in (Operator.IN, Operator.NOT_IN):
            values = self.parse_values()
        else:
            values = self.parse_exact_value()
        return new_requirement(key, operator, values)

    def parse_key_and_infer_operator(self) -> tuple[str, Operator | None]:
        operator: Operator | None = None
        token, literal = self.consume()
        if token is _Token.NOT:
            operator = Operator.DOES_NOT_EXIST
            token, literal = self.consume()
        if token is not _Token.IDENTIFIER:
            raise SelectorError(f"found '{literal}', expected: identifier")
        problems = qualified_name_errors(literal)
        if problems:
            raise SelectorError(_invalid("<nil>", literal, "; ".join(problems)))
        if self.lookahead()[0] in (_Token.END, _Token.COMMA) and operator is None:
            operator = Operator.EXISTS
        return literal, operator

    def parse_operator(self) -> Operator:
        token, literal = self.consume(values=False)
        if token not in _OPERATOR_TOKENS:
            raise SelectorError(f"found '{literal}', expected: {', '.join(_BINARY_OPERATORS)}")
        return _OPERATOR_TOKENS[token]

    def parse_values(self) -> set[str]:
        token, literal = self.consume()
        if token is not _Token.OPEN_PAR:
            raise SelectorError(f"found '{literal}' expected: '('")
        token, literal = self.lookahead()
        if token in (_Token.IDENTIFIER, _Token.COMMA):
            values = self.parse_identifiers()
            if self.consume()[0] is not _Token.CLOSE_PAR:
                raise SelectorError(f"found '{literal}', expected: ')'")
            return values
        if token is _Token.CLOSE_PAR:
            self.consume()
            return {""}
        raise SelectorError(f"found '{literal}', expected: ',', ')' or identifier")

    def parse_identifiers(self) -> set[str]:
        values: set[str] = set()
        while True:
            token, literal = self.consume()
            if token is _Token.IDENTIFIER:
                values.add(literal)
                next_token, next_literal = self.lookahead()
                if next_token is _Token.COMMA:
                    continue
                if next_token is _Token.CLOSE_PAR:
                    return values
                raise SelectorError(f"found '{next_literal}', expected: ',' or ')'")
            if token is _Token.COMMA:
                if not values:
                    values.add("")
                next_token, _ = self.lookahead()
                if next_token in (_Token.CLOSE_PAR, _Token.COMMA):
                    values.add("")
                if next_token is _Token.CLOSE_PAR:
                    return values
                continue
            raise SelectorError(f"found '{literal}', expected: ',', or identifier")

    def parse_exact_value(self) -> set[str]:
        token, _ = self.lookahead()
        if token in (_Token.END, _Token.COMMA):
            return {""}
        token, literal = self.consume()
        if token is _Token.IDENTIFIER:
            return {literal}
        raise SelectorError(f"found '{literal}', expected: identifier")


def parse_selector(text: str) -> Selector:
    """Parse the label-selector string syntax; raises :class:`SelectorError` with apimachinery's message."""
    if not isinstance(text, str):
        raise SelectorError(f"label selector must be a string, not {type(text).__name__}")
    return _sorted_selector(_Parser(text).parse())


def selector_from_set(labels: Mapping[str, str] | None) -> Selector:
    """A selector matching exactly these labels (``matchLabels`` semantics), without validation."""
    return _sorted_selector(Requirement(key, Operator.EQUALS, (value,)) for key, value in (labels or {}).items())


_EXPRESSION_OPERATORS: dict[str, Operator] = {
    "In": Operator.IN, "NotIn": Operator.NOT_IN, "Exists": Operator.EXISTS, "DoesNotExist": Operator.DOES_NOT_EXIST,
}


def selector_from_label_selector(selector: Mapping[str, Any] | None) -> Selector | None:
    """Convert a metav1.LabelSelector dict (``matchLabels`` + ``matchExpressions``).

    Returns None for a null selector (which matches nothing, as in ``LabelSelectorAsSelector``); an empty
    selector matches everything. Raises SelectorError for an unknown operator or invalid key/values.
    """
    if selector is None:
        return None
    requirements = [new_requirement(key, Operator.EQUALS, [str(value)])
                    for key, value in (selector.get("matchLabels") or {}).items()]
    for expression in selector.get("matchExpressions") or []:
        name = expression.get("operator", "")
        if name not in _EXPRESSION_OPERATORS:
            raise SelectorError(f'"{name}" is not a valid label selector operator')
        requirements.append(new_requirement(str(expression.get("key", "")), _EXPRESSION_OPERATORS[name],
                                             [str(value) for value in expression.get("values") or []]))
    return _sorted_selector(requirements)
