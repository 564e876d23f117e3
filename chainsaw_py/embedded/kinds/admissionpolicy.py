"""ValidatingAdmissionPolicy and its bindings: the apiserver's validation of their specs
(pkg/apis/admissionregistration/validation). Every CEL expression must compile
(``spec.validations[0].expression: Invalid value: "object.spec >": compilation failed: ERROR: ...``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chainsaw_py.embedded.apierrors import FieldErrors
from chainsaw_py.embedded.celrules import RuleCompileError, compile_rule
from chainsaw_py.embedded.kinds.base import Strategy, StrategyContext

_FAILURE_POLICIES = ["Fail", "Ignore"]
_REASONS = ["Forbidden", "Invalid", "RequestEntityTooLarge", "Unauthorized"]
_ACTIONS = ["Audit", "Deny", "Warn"]
_PARAMETER_NOT_FOUND = ["Allow", "Deny"]


def _expression(value: Any, path: str, errors: FieldErrors, required: str = "expression is not specified") -> None:
    text = value if isinstance(value, str) else ""
    if not text.strip():
        errors.required(path, required)
        return
    try:
        compile_rule(text)
    except RuleCompileError as err:
        errors.invalid(path, text, f"compilation failed: {err}")


def _named_expressions(items: Any, path: str, errors: FieldErrors) -> None:
    """``variables`` and ``matchConditions``: a unique name and an expression each."""
    seen: set[str] = set()
    for index, item in enumerate(items or []):
        entry = item if isinstance(item, dict) else {}
        name = str(entry.get("name") or "")
        if not name:
            errors.required(f"{path}[{index}].name", "")
        elif name in seen:
            errors.duplicate(f"{path}[{index}].name", name)
        seen.add(name)
        _expression(entry.get("expression"), f"{path}[{index}].expression", errors)


def _validation(item: Any, path: str, errors: FieldErrors) -> None:
    entry = item if isinstance(item, dict) else {}
    _expression(entry.get("expression"), f"{path}.expression", errors)
    message_expression = entry.get("messageExpression")
    if isinstance(message_expression, str) and message_expression:
        if not message_expression.strip():
            errors.invalid(f"{path}.messageExpression", message_expression, "must be non-empty if specified")
        else:
            _expression(message_expression, f"{path}.messageExpression", errors)
    message = entry.get("message")
    if isinstance(message, str) and message:
        if not message.strip():
            errors.invalid(f"{path}.message", message, "message must be non-empty if specified")
        elif "\n" in message.strip():
            errors.invalid(f"{path}.message", message, "message must not contain line breaks")
    reason = entry.get("reason")
    if reason is not None and reason not in _REASONS:
        errors.not_supported(f"{path}.reason", reason, _REASONS)


def _audit_annotation(item: Any, path: str, errors: FieldErrors) -> None:
    entry = item if isinstance(item, dict) else {}
    if not str(entry.get("key") or ""):
        errors.required(f"{path}.key", "")
    _expression(entry.get("valueExpression"), f"{path}.valueExpression", errors, "valueExpression is not specified")


def _spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


@dataclass
class ValidatingAdmissionPolicyStrategy(Strategy):
    tracks_generation: bool = True

    def validate(self, obj: dict[str, Any], errors: FieldErrors, ctx: StrategyContext) -> None:
        spec = _spec(obj)
        if not spec.get("matchConstraints"):
            errors.required("spec.matchConstraints", "")
        policy = spec.get("failurePolicy")
        if policy is not None and policy not in _FAILURE_POLICIES:
            errors.not_supported("spec.failurePolicy", policy, _FAILURE_POLICIES)
        if not spec.get("validations") and not spec.get("auditAnnotations"):
            errors.required("spec.validations", "validations or auditAnnotations must contain at least one item")
        _named_expressions(spec.get("variables"), "spec.variables", errors)
        _named_expressions(spec.get("matchConditions"), "spec.matchConditions", errors)
        for index, item in enumerate(spec.get("validations") or []):
            _validation(item, f"spec.validations[{index}]", errors)
        for index, item in enumerate(spec.get("auditAnnotations") or []):
            _audit_annotation(item, f"spec.auditAnnotations[{index}]", errors)


@dataclass
class ValidatingAdmissionPolicyBindingStrategy(Strategy):
    tracks_generation: bool = True

    def validate(self, obj: dict[str, Any], errors: FieldErrors, ctx: StrategyContext) -> None:
        spec = _spec(obj)
        if not spec.get("policyName"):
            errors.required("spec.policyName", "")
        actions = spec.get("validationActions") or []
        if not actions:
            errors.required("spec.validationActions", "at least one validation action is required")
        seen: set[str] = set()
        for index, action in enumerate(actions):
            if action not in _ACTIONS:
                errors.not_supported(f"spec.validationActions[{index}]", action, _ACTIONS)
            elif action in seen:
                errors.duplicate(f"spec.validationActions[{index}]", action)
            seen.add(str(action))
        if {"Deny", "Warn"} <= seen:
            errors.invalid("spec.validationActions", actions,
                           'validationActions must not contain both "Deny" and "Warn"')
        ref = spec.get("paramRef")
        action = ref.get("parameterNotFoundAction") if isinstance(ref, dict) else None
        if isinstance(ref, dict) and action is not None and action not in _PARAMETER_NOT_FOUND:
            errors.not_supported("spec.paramRef.parameterNotFoundAction", action, _PARAMETER_NOT_FOUND)


@dataclass
class WebhookConfigurationStrategy(Strategy):
    """Validating and mutating webhook configurations: each webhook's ``matchConditions`` must have unique
    names and compiling expressions (the rest of their validation is not made)."""

    tracks_generation: bool = True

    def validate(self, obj: dict[str, Any], errors: FieldErrors, ctx: StrategyContext) -> None:
        for index, hook in enumerate(obj.get("webhooks") or []):
            if isinstance(hook, dict):
                _named_expressions(hook.get("matchConditions"), f"webhooks[{index}].matchConditions", errors)
