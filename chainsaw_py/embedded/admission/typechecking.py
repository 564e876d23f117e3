"""``status.typeChecking`` of a ValidatingAdmissionPolicy, as kube-apiserver's policy controller writes it
(plugin/policy/validating/typechecking.go): the ``spec.validations`` expressions and message expressions are
checked against the schema of each kind the policy's ``matchConstraints`` name without wildcards (at most 10,
sorted by group, version and kind) and of its ``paramKind``. The warnings use cel-go's words:

    apps/v1, Kind=Deployment: ERROR: <input>:1:12: undefined field 'replicaz'
     | object.spec.replicaz > 1
     | ...........^

What this checker sees is narrower than cel-go's full type checker: field selections on ``object``,
``oldObject``, ``params`` and on ``variables`` whose expression is a plain field chain (unknown fields,
selecting into a scalar) and comparisons of such a field with a literal of another type (``found no matching
overload for '_==_' applied to '(int, string)'``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from chainsaw_py.embedded.resources import ResourceRegistry, ResourceType
from chainsaw_py.embedded.schemas import builtin_definitions, type_names

MAX_TYPES = 10
_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_TYPED_VARIABLES = ("object", "oldObject")
_SCALARS = {"string": "string", "integer": "int", "number": "double", "boolean": "bool"}
_COMPARISONS = {"==": "_==_", "!=": "_!=_", "<": "_<_", "<=": "_<=_", ">": "_>_", ">=": "_>=_"}
_NUMERIC = ("int", "double", "uint")


@dataclass(frozen=True)
class _Kind:
    label: str                                  # "apps/v1, Kind=Deployment"
    root: dict[str, Any]
    resolve: Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class _Selection:
    variable: str
    fields: tuple[tuple[str, int], ...]         # (field name, offset of its '.')
    end: int                                    # offset just after the chain


def check_policy(policy: dict[str, Any], registry: ResourceRegistry) -> list[dict[str, str]]:
    """The ``expressionWarnings`` of ``status.typeChecking`` (empty: nothing to report)."""
    spec = policy.get("spec") or {}
    kinds = _kinds_to_check(spec.get("matchConstraints") or {}, registry)
    params = _params_kind(spec.get("paramKind"), registry)
    aliases = _aliases(spec.get("variables"))
    warnings: list[dict[str, str]] = []
    for index, validation in enumerate(spec.get("validations") or []):
        for field in ("expression", "messageExpression"):
            expression = validation.get(field)
            if not isinstance(expression, str) or not expression:
                continue
            text = "\n".join(f"{kind.label}: {issues}\n" for kind in kinds
                             if (issues := _issues(expression, kind, params, aliases)))
            if text:
                warnings.append({"fieldRef": f"spec.validations[{index}].{field}", "warning": text})
    return warnings


# --- the types to check ------------------------------------------------------------------------------------

def _kinds_to_check(constraints: dict[str, Any], registry: ResourceRegistry) -> list[_Kind]:
    found: dict[tuple[str, str, str], _Kind] = {}
    for rule in constraints.get("resourceRules") or []:
        groups, versions = _exact(rule.get("apiGroups")), _exact(rule.get("apiVersions"))
        resources = sorted(str(r) for r in rule.get("resources") or [] if not any(c in str(r) for c in "*/"))
        for group in groups:
            for version in versions:
                for resource in resources:
                    rt = registry.lookup(group, version, resource)
                    kind = _kind_of(rt) if rt is not None else None
                    if kind is not None and rt is not None:
                        found[(rt.group, rt.version, rt.kind)] = kind
                    if len(found) == MAX_TYPES:
                        return [found[key] for key in sorted(found)]
    return [found[key] for key in sorted(found)]


def _exact(values: Any) -> list[str]:
    """Sorted values, none when one is a wildcard (upstream gives up on the rule)."""
    listed = [str(value) for value in values or []]
    return [] if any("*" in value for value in listed) else sorted(listed)


def _params_kind(param_kind: Any, registry: ResourceRegistry) -> _Kind | None:
    if not isinstance(param_kind, dict):
        return None
    rt = registry.by_api_version_kind(str(param_kind.get("apiVersion", "")), str(param_kind.get("kind", "")))
    return _kind_of(rt) if rt is not None else None


def _kind_of(rt: ResourceType) -> _Kind | None:
    label = f"{rt.group}/{rt.version}, Kind={rt.kind}"
    definitions = builtin_definitions()
    if rt.schema is not None:
        def resolve_custom(node: dict[str, Any]) -> dict[str, Any]:
            return definitions.resolve(node) or {}
        root = dict(rt.schema)
        properties = dict(root.get("properties") or {})
        properties.setdefault("apiVersion", {"type": "string"})
        properties.setdefault("kind", {"type": "string"})
        properties["metadata"] = {"$ref": f"#/definitions/{_OBJECT_META}"}
        return _Kind(label, dict(root, properties=properties), resolve_custom)
    schema = definitions.for_kind(rt.group, rt.version, rt.kind)
    if schema is None:
        return None
    return _Kind(label, schema, lambda node: definitions.resolve(node) or {})


# --- the checks ---------------------------------------------------------------------------------------------

def _aliases(variables: Any) -> dict[str, _Selection]:
    """Variables whose expression is a plain field chain (``object.spec.template``): ``variables.<name>`` has
    that chain's type. Their own fields are not reported again (offset -1)."""
    found: dict[str, _Selection] = {}
    for variable in variables or []:
        expression = str((variable or {}).get("expression", "")).strip() if isinstance(variable, dict) else ""
        chains = list(_selections(expression))
        if len(chains) == 1 and chains[0].end == len(expression) and expression.startswith(chains[0].variable):
            chain = chains[0]
            found[str(variable.get("name"))] = _Selection(chain.variable, tuple((name, -1) for name, _ in chain.fields),
                                                          0)
    return found


def _resolved(selection: _Selection, aliases: dict[str, _Selection]) -> _Selection | None:
    if selection.variable != "variables":
        return selection
    alias = aliases.get(selection.fields[0][0])
    if alias is None:
        return None
    return _Selection(alias.variable, alias.fields + selection.fields[1:], selection.end)


def _issues(expression: str, kind: _Kind, params: _Kind | None, aliases: dict[str, _Selection]) -> str:
    errors: list[str] = []
    for found in _selections(expression):
        selection = _resolved(found, aliases)
        if selection is None:
            continue
        target = kind if selection.variable in _TYPED_VARIABLES else params
        if target is None:
            continue
        problem = _walk(selection, target)
        if isinstance(problem, tuple) and problem[1] < 0:
            continue                                   # in the variable's own expression: not this one's error
        if isinstance(problem, tuple):
            errors.append(_display(expression, problem[1], problem[0]))
        elif problem is not None:
            mismatch = _comparison_mismatch(expression, selection.end, problem)
            if mismatch:
                errors.append(_display(expression, mismatch[1], mismatch[0]))
    return "\n".join(errors)


def _walk(selection: _Selection, kind: _Kind) -> tuple[str, int] | str | None:
    """The first error on the chain as (message, offset); else the CEL type name of a scalar it ends on."""
    node: dict[str, Any] | None = kind.resolve(kind.root)
    for name, offset in selection.fields:
        if node is None:
            return None
        node = kind.resolve(node)
        scalar = _scalar(node)
        if scalar is not None:
            return f"type '{scalar}' does not support field selection", offset
        properties = node.get("properties")
        if isinstance(properties, dict) and name in properties:
            node = properties[name]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        elif node.get("x-kubernetes-preserve-unknown-fields") or not isinstance(properties, dict) \
                or node.get("additionalProperties") is True:
            return None
        else:
            return f"undefined field '{name}'", offset
    return _scalar(kind.resolve(node)) if node is not None else None


def _scalar(node: dict[str, Any]) -> str | None:
    types = type_names(node)
    declared = types[0] if len(types) == 1 else None
    if declared not in _SCALARS or node.get("x-kubernetes-int-or-string"):
        return None
    if declared == "string" and node.get("format") in ("date-time", "duration", "byte"):
        return None
    return _SCALARS[str(declared)]


def _comparison_mismatch(expression: str, end: int, field_type: str) -> tuple[str, int] | None:
    position = _skip_spaces(expression, end)
    operator = next((op for op in sorted(_COMPARISONS, key=len, reverse=True)
                     if expression.startswith(op, position)), None)
    if operator is None:
        return None
    literal = _literal_type(expression, _skip_spaces(expression, position + len(operator)))
    if literal is None or literal == field_type or (literal in _NUMERIC and field_type in _NUMERIC):
        return None
    return (f"found no matching overload for '{_COMPARISONS[operator]}' applied to '({field_type}, {literal})'",
            position)


def _literal_type(expression: str, position: int) -> str | None:
    rest = expression[position:]
    if rest[:1] in ("'", '"'):
        return "string"
    for word, name in (("true", "bool"), ("false", "bool")):
        if rest.startswith(word) and not (rest[len(word):len(word) + 1].isalnum()):
            return name
    digits = len(rest) - len(rest.lstrip("0123456789"))
    if digits:
        following = rest[digits:digits + 1]
        return "double" if following in (".", "e", "E") else "uint" if following in ("u", "U") else "int"
    return None


def _display(expression: str, offset: int, message: str) -> str:
    """cel-go's ``ERROR: <input>:line:column: message`` with the line and a caret under the column."""
    line_start = expression.rfind("\n", 0, offset) + 1
    line_end = expression.find("\n", offset)
    line = expression[line_start:line_end if line_end >= 0 else len(expression)]
    column = offset - line_start
    number = expression.count("\n", 0, offset) + 1
    return f"ERROR: <input>:{number}:{column + 1}: {message}\n | {line}\n | {'.' * column}^"


# --- reading the expression ---------------------------------------------------------------------------------

def _skip_spaces(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _code_spans(text: str) -> Iterator[tuple[int, int]]:
    """The (start, end) spans of ``text`` outside string literals and comments."""
    position, start = 0, 0
    while position < len(text):
        char = text[position]
        if text.startswith("//", position):
            yield start, position
            newline = text.find("\n", position)
            position = start = len(text) if newline < 0 else newline
            continue
        if char in ("'", '"'):
            yield start, position
            position = start = _string_end(text, position)
            continue
        position += 1
    yield start, len(text)


def _string_end(text: str, position: int) -> int:
    quote = text[position] * 3 if text.startswith(text[position] * 3, position) else text[position]
    raw = position > 0 and text[position - 1] in "rR"
    cursor = position + len(quote)
    while cursor < len(text):
        if text[cursor] == "\\" and not raw:
            cursor += 2
            continue
        if text.startswith(quote, cursor):
            return cursor + len(quote)
        cursor += 1
    return len(text)


def _selections(expression: str) -> Iterator[_Selection]:
    for start, end in _code_spans(expression):
        position = start
        while position < end:
            if _is_identifier_start(expression, position, start):
                word_end = _identifier_end(expression, position, end)
                word = expression[position:word_end]
                if word in (*_TYPED_VARIABLES, "params", "variables"):
                    selection = _chain(expression, word, word_end, end)
                    if selection.fields:
                        yield selection
                position = word_end
            else:
                position += 1


def _is_identifier_start(text: str, position: int, span_start: int) -> bool:
    char = text[position]
    if not (char.isalpha() or char == "_"):
        return False
    before = position - 1
    while before >= span_start and text[before] in " \t\r\n":
        before -= 1
    previous = text[position - 1] if position > span_start else ""
    return not (previous.isalnum() or previous == "_") and not (before >= span_start and text[before] == ".")


def _identifier_end(text: str, position: int, end: int) -> int:
    while position < end and (text[position].isalnum() or text[position] == "_"):
        position += 1
    return position


def _chain(expression: str, variable: str, position: int, end: int) -> _Selection:
    fields: list[tuple[str, int]] = []
    while True:
        dot = _skip_spaces(expression, position)
        if dot >= end or expression[dot] != "." or expression[dot + 1:dot + 2] == "?":
            break
        name_start = _skip_spaces(expression, dot + 1)
        name_end = _identifier_end(expression, name_start, end)
        if name_end == name_start:
            break
        if _skip_spaces(expression, name_end) < end and expression[_skip_spaces(expression, name_end)] == "(":
            break                                            # a method call, not a field
        fields.append((expression[name_start:name_end], dot))
        position = name_end
    return _Selection(variable, tuple(fields), position)
