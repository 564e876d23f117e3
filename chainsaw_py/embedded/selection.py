"""List/watch filtering: field selectors (``metadata.name=x,status.phase!=Running``) next to label selectors.

Field selectors use apimachinery's ``fields.ParseSelector`` syntax (``=``, ``==``, ``!=``, commas, backslash
escapes). Which fields a kind supports comes from its strategy (``selectable_fields``); anything else is the
apiserver's ``field label not supported: <field>`` error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chainsaw_py.embedded.apierrors import BadRequest
from chainsaw_py.util.labels import Selector, SelectorError, parse_selector


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    value: str
    negated: bool

    def matches(self, fields: dict[str, str]) -> bool:
        actual = fields.get(self.field, "")
        return (actual != self.value) if self.negated else (actual == self.value)


def parse_field_selector(text: str) -> list[FieldRequirement]:
    """Parse ``a=b,c!=d``; raises BadRequest with apimachinery's wording."""
    requirements: list[FieldRequirement] = []
    for term in _split_terms(text):
        if not term:
            continue
        requirements.append(_parse_term(term))
    return requirements


def _split_terms(text: str) -> list[str]:
    terms: list[str] = []
    current: list[str] = []
    escaped = False
    for char in text:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            terms.append("".join(current))
            current = []
        else:
            current.append(char)
    terms.append("".join(current))
    return terms


def _parse_term(term: str) -> FieldRequirement:
    for operator in ("!=", "==", "="):
        index = _unescaped_index(term, operator)
        if index >= 0:
            field, value = term[:index], term[index + len(operator):]
            return FieldRequirement(field.strip(), _unescape(value, term), operator == "!=")
    raise BadRequest(f"invalid selector: '{term}'; can't understand '{term}'")


def _unescaped_index(term: str, operator: str) -> int:
    index = 0
    while index < len(term):
        if term[index] == "\\":
            index += 2
            continue
        if term.startswith(operator, index):
            return index
        index += 1
    return -1


def _unescape(value: str, term: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(value):
        char = value[index]
        if char == "\\":
            if index + 1 >= len(value) or value[index + 1] not in "\\,=!":
                raise BadRequest(f"invalid field selector: invalid escape sequence in '{term}'")
            out.append(value[index + 1])
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


@dataclass(frozen=True)
class ObjectFilter:
    """Namespace + label selector + field selector, evaluated against stored objects."""

    namespace: str | None
    labels: Selector | None
    fields: tuple[FieldRequirement, ...]
    field_source: Callable[[dict[str, Any]], dict[str, str]]

    def matches(self, obj: dict[str, Any]) -> bool:
        meta = obj.get("metadata", {})
        if self.namespace is not None and meta.get("namespace", "") != self.namespace:
            return False
        if self.labels is not None and not self.labels.matches(meta.get("labels") or {}):
            return False
        if self.fields:
            values = self.field_source(obj)
            return all(requirement.matches(values) for requirement in self.fields)
        return True


def build_filter(namespace: str | None, label_selector: str | None, field_selector: str | None,
                 field_source: Callable[[dict[str, Any]], dict[str, str]],
                 supported: Callable[[str], bool]) -> ObjectFilter:
    labels: Selector | None = None
    if label_selector:
        try:
            parsed = parse_selector(label_selector)
        except SelectorError as err:
            raise BadRequest(str(err)) from None
        labels = None if parsed.empty() else parsed
    fields = tuple(parse_field_selector(field_selector or ""))
    for requirement in fields:
        if not supported(requirement.field):
            raise BadRequest(f'field label not supported: {requirement.field}')
    return ObjectFilter(namespace, labels, fields, field_source)
