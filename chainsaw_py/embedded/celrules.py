"""``x-kubernetes-validations``: CEL rules of CRD schemas, evaluated with the ``cel`` package.

A rule sees the value at its schema node as ``self`` and, on updates of a value that existed before, the
previous value as ``oldSelf`` (rules that mention ``oldSelf`` are transition rules and are skipped when there is
no previous value, unless ``optionalOldSelf``). A failing rule is a field error like the apiserver's:
``spec: Invalid value: "object": <message>`` (``failed rule: <rule>`` without a message). Rules have the
Kubernetes CEL libraries (``celenv``: quantity, regex, lists, URLs, IP, CIDR, format, semver).

Costs as in apiextensions-apiserver: one rule stops at ``celenv.PER_CALL_LIMIT`` (``'operation cancelled: actual
cost limit exceeded': no further validation rules will be run due to call cost exceeds limit for rule: <rule>``),
and the rules of one object share ``RUNTIME_COST_BUDGET`` (``validation failed due to running out of cost
budget, no further validation rules will be run``); either error ends the object's rule checks.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from chainsaw_py.embedded import celenv
from chainsaw_py.embedded.apierrors import FieldCause, FieldErrors
from chainsaw_py.golang.fmt import openapi_type_name

RUNTIME_COST_BUDGET = 10_000_000
"""k8s.io/apiserver/pkg/apis/cel ``RuntimeCELCostBudget``: the cost all rules of one object may spend."""
OUT_OF_BUDGET = "validation failed due to running out of cost budget, no further validation rules will be run"

_programs: dict[str, celenv.CompiledRule] = {}
_remaining: ContextVar[list[int] | None] = ContextVar("chainsaw_py_cel_rule_budget", default=None)
_lock = threading.Lock()
_REASONS = {"FieldValueInvalid": "Invalid value", "FieldValueForbidden": "Forbidden",
            "FieldValueRequired": "Required value", "FieldValueDuplicate": "Duplicate value"}


class RuleCompileError(ValueError):
    pass


def compile_rule(rule: str) -> celenv.CompiledRule:
    """Compile (and cache) a rule; raises RuleCompileError with CEL's first error line."""
    with _lock:
        program = _programs.get(rule)
        if program is None:
            try:
                program = celenv.compile_program(rule)
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



@contextlib.contextmanager
def cost_budget() -> Iterator[None]:
    """The rules checked inside (one object's validation) share ``RUNTIME_COST_BUDGET``."""
    token = _remaining.set([RUNTIME_COST_BUDGET])
    try:
        yield
    finally:
        _remaining.reset(token)


def check_rules(value: Any, old: Any, has_old: bool, schema: dict[str, Any], errors: FieldErrors,
                path: str) -> None:
    remaining = _remaining.get() or [RUNTIME_COST_BUDGET]
    if remaining[0] < 0:
        return
    for rule_spec in schema.get("x-kubernetes-validations") or []:
        rule = str(rule_spec.get("rule", ""))
        transition = "oldSelf" in rule
        if transition and not has_old and not rule_spec.get("optionalOldSelf"):
            continue
        variables: dict[str, Any] = {"self": value, "oldSelf": old if transition and has_old else None}
        field = path
        if rule_spec.get("fieldPath"):
            field = f"{path}{rule_spec['fieldPath']}" if path else str(rule_spec["fieldPath"]).lstrip(".")
        invalid = f"Invalid value: \"{openapi_type_name(value)}\": "
        try:
            passed, cost = celenv.execute_with_cost(compile_rule(rule), "rules", variables)
        except RuleCompileError as err:
            errors.causes.append(FieldCause("FieldValueInvalid", field, f"{invalid}compilation failed: {err}"))
            continue
        except Exception as err:
            text = str(err).splitlines()[0]
            if text in (celenv.COST_LIMIT_EXCEEDED, celenv.INTERRUPTED):  # time stands for cost not counted
                remaining[0] = -1
                errors.causes.append(FieldCause("FieldValueInvalid", path, f"{invalid}'{celenv.COST_LIMIT_EXCEEDED}': "
                                                f"no further validation "
                                                f"rules will be run due to call cost exceeds limit for rule: "
                                                f"{_rule_error_string(rule_spec, rule)}"))
                return
            errors.causes.append(FieldCause("FieldValueInvalid", field, f"{invalid}rule evaluation error: {text}"))
            continue
        if cost > remaining[0]:
            remaining[0] = -1
            errors.causes.append(FieldCause("FieldValueInvalid", path, f"{invalid}{OUT_OF_BUDGET}"))
            return
        remaining[0] -= cost
        if passed is True:
            continue
        errors.causes.append(_failure(rule_spec, rule, variables, value, field))


def _rule_error_string(rule_spec: dict[str, Any], rule: str) -> str:
    return str(rule_spec.get("message") or "").strip() or rule.strip()


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
