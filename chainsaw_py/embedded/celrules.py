"""``x-kubernetes-validations``: CEL rules of CRD schemas, evaluated with the ``cel`` package.

A rule sees the value at its schema node as ``self`` and, on updates of a value that existed before, the
previous value as ``oldSelf`` (rules that mention ``oldSelf`` are transition rules and are skipped when there is
no previous value, unless ``optionalOldSelf``). A failing rule is a field error like the apiserver's:
``spec: Invalid value: "object": <message>`` (``failed rule: <rule>`` without a message). Rules have the
Kubernetes CEL libraries (``celenv``: quantity, regex, lists, URLs, IP, CIDR, format, semver).
"""

from __future__ import annotations

import threading
from typing import Any

from chainsaw_py.embedded import celenv
from chainsaw_py.embedded.apierrors import FieldCause, FieldErrors
from chainsaw_py.golang.fmt import openapi_type_name

_programs: dict[str, Any] = {}
_lock = threading.Lock()
_REASONS = {"FieldValueInvalid": "Invalid value", "FieldValueForbidden": "Forbidden",
            "FieldValueRequired": "Required value", "FieldValueDuplicate": "Duplicate value"}


class RuleCompileError(ValueError):
    pass


def compile_rule(rule: str) -> Any:
    """Compile (and cache) a rule; raises RuleCompileError with CEL's first error line."""
    import cel

    with _lock:
        program = _programs.get(rule)
        if program is None:
            try:
                program = cel.compile(rule)
            except (ValueError, RuntimeError) as err:
                raise RuleCompileError(_first_error(str(err))) from None
            _programs[rule] = program
        return program


def _first_error(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    for line in lines:
        if "ERROR:" in line:
            return line[line.index("ERROR:"):].strip()
    return lines[0] if lines else text



def check_rules(value: Any, old: Any, has_old: bool, schema: dict[str, Any], errors: FieldErrors,
                path: str) -> None:
    for rule_spec in schema.get("x-kubernetes-validations") or []:
        rule = str(rule_spec.get("rule", ""))
        transition = "oldSelf" in rule
        if transition and not has_old and not rule_spec.get("optionalOldSelf"):
            continue
        variables: dict[str, Any] = {"self": value, "oldSelf": old if transition and has_old else None}
        field = path
        if rule_spec.get("fieldPath"):
            field = f"{path}{rule_spec['fieldPath']}" if path else str(rule_spec["fieldPath"]).lstrip(".")
        try:
            passed = celenv.execute(compile_rule(rule), "rules", variables)
        except RuleCompileError as err:
            errors.causes.append(FieldCause("FieldValueInvalid", field, f"Invalid value: \"{openapi_type_name(value)}\": "
                                            f"compilation failed: {err}"))
            continue
        except Exception as err:
            errors.causes.append(FieldCause("FieldValueInvalid", field, f"Invalid value: \"{openapi_type_name(value)}\": "
                                            f"rule evaluation error: {str(err).splitlines()[0]}"))
            continue
        if passed is True:
            continue
        errors.causes.append(_failure(rule_spec, rule, variables, value, field))


def _render_message(expression: str, variables: dict[str, Any]) -> str:
    """A messageExpression's text; a broken expression falls back to the static message, as upstream does."""
    try:
        rendered = celenv.to_plain(celenv.execute(compile_rule(expression), "rules", variables))
    except (RuleCompileError, RuntimeError):
        return ""
    return rendered if isinstance(rendered, str) and rendered.strip() else ""


def _failure(rule_spec: dict[str, Any], rule: str, variables: dict[str, Any], value: Any, field: str) -> FieldCause:
    message = str(rule_spec.get("message") or "")
    expression = rule_spec.get("messageExpression")
    if expression:
        message = _render_message(str(expression), variables) or message
    if not message:
        message = f"failed rule: {rule}"
    reason = str(rule_spec.get("reason") or "FieldValueInvalid")
    label = _REASONS.get(reason, "Invalid value")
    if reason in ("FieldValueInvalid", "FieldValueDuplicate"):
        return FieldCause(reason, field, f"{label}: \"{openapi_type_name(value)}\": {message}")
    return FieldCause(reason, field, f"{label}: {message}")
