"""ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1): CEL validations bound to requests by
ValidatingAdmissionPolicyBindings, after k8s.io/apiserver/pkg/admission/plugin/policy/validating.

A policy applies when its ``matchConstraints`` and the binding's ``matchResources`` match the request and every
``matchConditions`` expression is true. ``variables`` are evaluated in order and visible as ``variables.<name>``;
``params`` come from ``paramRef`` (by name or selector, ``parameterNotFoundAction``). A false validation is
acted on by the binding's ``validationActions``: Deny (``<resource> "<name>" is forbidden: ValidatingAdmissionPolicy
'<policy>' with binding '<binding>' denied request: <message>``, code from ``reason``), Warn (a warning) and
Audit (an audit annotation). An expression error is a failure unless ``failurePolicy: Ignore``.

Expressions see ``object``, ``oldObject``, ``request``, ``params``, ``namespaceObject`` (the request's Namespace,
metadata trimmed as upstream; null for cluster-scoped objects), ``variables`` and ``authorizer`` (the Authz
library backed by the cluster's authorizer, for the requesting user; ``authorizer.requestResource`` is the
request's own resource). ``auditAnnotations`` are evaluated (a string is published as
``<policy>/<key>`` on the request's audit annotations, null or blank is left out, anything else is an error
handled per ``failurePolicy``); the embedded cluster keeps no audit log, so they are only recorded on the
admission attributes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chainsaw_py.embedded.admission import matching
from chainsaw_py.embedded.admission.celeval import (
    Authorizer,
    CelError,
    authorizer_variable,
    authorizing,
    evaluate,
    request_variable,
)
from chainsaw_py.embedded.admission.storeview import StoreView
from chainsaw_py.embedded.admission.types import AdmissionAttributes
from chainsaw_py.embedded.admission.webhooks import GROUP, review_request
from chainsaw_py.embedded.apierrors import ApiError, qualified_resource
from chainsaw_py.embedded.resources import ResourceRegistry
from chainsaw_py.embedded.store import Store

_REASON_CODES = {"Unauthorized": 401, "Forbidden": 403, "Invalid": 422, "RequestEntityTooLarge": 413}
_MAX_AUDIT_VALUE = 10 * 1024
_NAMESPACE_METADATA = ("name", "generateName", "namespace", "uid", "resourceVersion", "generation",
                       "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
                       "annotations", "finalizers")


class PolicyDenied(ApiError):
    def __init__(self, attrs: AdmissionAttributes, message: str, reason: str) -> None:
        resource = qualified_resource(attrs.rt.group, attrs.rt.plural)
        text = f'{resource} "{attrs.name}" is forbidden: {message}' if attrs.name else \
            f"{resource} is forbidden: {message}"
        details: dict[str, Any] = {"name": attrs.name} if attrs.name else {}
        if attrs.rt.group:
            details["group"] = attrs.rt.group
        details["kind"] = attrs.rt.plural
        details["causes"] = [{"message": message}]
        super().__init__(text, details=details, code=_REASON_CODES.get(reason, 422), reason=reason)


@dataclass(frozen=True)
class _Bound:
    policy: dict[str, Any]
    binding: dict[str, Any]

    @property
    def policy_name(self) -> str:
        return str(self.policy["metadata"]["name"])

    @property
    def binding_name(self) -> str:
        return str(self.binding["metadata"]["name"])


@dataclass
class _Decision:
    failed: bool
    message: str = ""
    reason: str = "Invalid"
    always_denies: bool = False     # audit annotation errors deny whatever the binding's validationActions


def _bound_policies(store: Store) -> list[_Bound]:
    policies = {item.obj["metadata"]["name"]: item.obj for item in store.list(GROUP, "validatingadmissionpolicies")[0]}
    bindings = sorted(store.list(GROUP, "validatingadmissionpolicybindings")[0],
                      key=lambda item: item.obj["metadata"]["name"])
    return [_Bound(policies[name], item.obj) for item in bindings
            if (name := (item.obj.get("spec") or {}).get("policyName")) in policies]


class ValidatingAdmissionPolicies:
    name = "ValidatingAdmissionPolicy"

    def __init__(self, store: Store, registry: ResourceRegistry, authorizer: Authorizer | None = None) -> None:
        self.store = store
        self.registry = registry
        self.authorizer = authorizer
        self._bound = StoreView(store, GROUP, ("validatingadmissionpolicies", "validatingadmissionpolicybindings"),
                                _bound_policies)

    def _pairs(self) -> list[_Bound]:
        return self._bound.get()

    def active(self) -> bool:
        return bool(self._pairs())

    def mutate(self, attrs: AdmissionAttributes) -> None:
        return None

    def validate(self, attrs: AdmissionAttributes) -> None:
        if matching.is_exempt(attrs.rt):
            return
        for bound in self._pairs():
            try:
                self._check(bound, attrs)
            except (ValueError, TypeError, KeyError, AttributeError) as err:
                # a policy the apiserver's validation would have refused: fail per failurePolicy, no traceback
                if (bound.policy.get("spec") or {}).get("failurePolicy") != "Ignore":
                    self._act(bound, attrs, _Decision(True, f"invalid policy: {err}"))

    # --- one policy binding ---------------------------------------------------------------------------------

    def _check(self, bound: _Bound, attrs: AdmissionAttributes) -> None:
        spec = bound.policy.get("spec") or {}
        binding_spec = bound.binding.get("spec") or {}
        if not self._matches(spec.get("matchConstraints"), attrs):
            return
        if binding_spec.get("matchResources") and not self._matches(binding_spec["matchResources"], attrs):
            return
        ignore = spec.get("failurePolicy") == "Ignore"
        try:
            params_list = self._params(spec, binding_spec, attrs)
        except _ConfigError as err:
            if not ignore:
                self._act(bound, attrs, _Decision(True, str(err)))
            return
        request = review_request(attrs, matching.MatchedResource(attrs.rt, False))
        with authorizing(self.authorizer):
            for params in params_list:
                for decision in self._evaluate(bound, request, params, attrs):
                    if decision.failed:
                        self._act(bound, attrs, decision)

    def _matches(self, constraints: dict[str, Any] | None, attrs: AdmissionAttributes) -> bool:
        if not constraints:
            return False
        rules = [rule for rule in constraints.get("resourceRules") or [] if _names_match(rule, attrs)]
        excluded = [rule for rule in constraints.get("excludeResourceRules") or [] if _names_match(rule, attrs)]
        policy = str(constraints.get("matchPolicy") or "Equivalent")
        if not constraints.get("resourceRules"):
            rules = [{"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*", "*/*"]}]
        if matching.match_rules(rules, policy, attrs, self.registry, excluded) is None:
            return False
        try:
            return (matching.namespace_selector_matches(constraints.get("namespaceSelector"), attrs,
                                                        self._namespace_labels)
                    and matching.object_selector_matches(constraints.get("objectSelector"), attrs))
        except matching.SelectorInvalid:
            return False

    def _namespace_labels(self, namespace: str) -> dict[str, str] | None:
        stored = self.store.get("", "namespaces", "", namespace)
        return None if stored is None else dict(stored.obj["metadata"].get("labels") or {})

    def _params(self, spec: dict[str, Any], binding_spec: dict[str, Any],
                attrs: AdmissionAttributes) -> list[Any]:
        kind = spec.get("paramKind")
        if not kind:
            return [None]
        ref = binding_spec.get("paramRef")
        if not ref:
            raise _ConfigError(f"failed to configure binding: policy requires a paramRef for {kind.get('kind')}")
        rt = self.registry.by_api_version_kind(str(kind.get("apiVersion", "")), str(kind.get("kind", "")))
        if rt is None:
            raise _ConfigError(f"failed to configure binding: failed to find resource referenced by paramKind: "
                               f"'{kind.get('apiVersion')}, Kind={kind.get('kind')}'")
        namespace = ""
        if rt.namespaced:
            namespace = str(ref.get("namespace") or attrs.namespace)
        if ref.get("name"):
            stored = self.store.get(*rt.group_resource, namespace, str(ref["name"]))
            found = [stored.obj] if stored else []
        else:
            items = self.store.list(*rt.group_resource, namespace or None)[0]
            found = [item.obj for item in items
                     if matching.labels_match(ref.get("selector") or {}, item.obj["metadata"].get("labels"))]
        if found:
            return found
        if ref.get("parameterNotFoundAction") == "Allow":
            return []
        raise _ConfigError("failed to configure binding: no params found for policy binding with `Deny` "
                           "parameterNotFoundAction")

    def _scope(self, request: dict[str, Any], params: Any, attrs: AdmissionAttributes) -> dict[str, Any]:
        namespace = self.store.get("", "namespaces", "", attrs.namespace) if attrs.namespace else None
        return {"object": request["object"], "oldObject": request["oldObject"], "request": request_variable(request),
                "params": params, "namespaceObject": _namespace_object(namespace.obj) if namespace else None,
                "variables": {}, "authorizer": authorizer_variable(attrs)}

    def _evaluate(self, bound: _Bound, request: dict[str, Any], params: Any,
                  attrs: AdmissionAttributes) -> list[_Decision]:
        spec = bound.policy.get("spec") or {}
        ignore = spec.get("failurePolicy") == "Ignore"
        scope = self._scope(request, params, attrs)
        for variable in spec.get("variables") or []:
            try:
                scope["variables"][str(variable.get("name"))] = evaluate(str(variable.get("expression", "")), scope)
            except CelError:
                continue     # an unusable variable fails the expressions that use it
        errors: list[str] = []
        for condition in spec.get("matchConditions") or []:
            expression = str(condition.get("expression", ""))
            try:
                if evaluate(expression, scope) is not True:
                    return []
            except CelError as err:
                errors.append(f"expression '{expression}' resulted in error: {err}")
        if errors:
            return [] if ignore else [_Decision(True, "failed to evaluate match conditions: " + "; ".join(errors))]
        decisions = [decision for validation in spec.get("validations") or []
                     if (decision := _validate(validation, scope, ignore)).failed]
        return decisions + _audit_annotations(bound, scope, ignore, attrs)

    def _act(self, bound: _Bound, attrs: AdmissionAttributes, decision: _Decision) -> None:
        actions = (bound.binding.get("spec") or {}).get("validationActions") or ["Deny"]
        message = f"ValidatingAdmissionPolicy '{bound.policy_name}' with binding '{bound.binding_name}' denied " \
                  f"request: {decision.message}"
        if "Warn" in actions and not decision.always_denies:
            attrs.warnings.append(f"Validation failed for ValidatingAdmissionPolicy '{bound.policy_name}' with "
                                  f"binding '{bound.binding_name}': {decision.message}")
        if "Audit" in actions:
            key = "validation.policy.admission.k8s.io/validation_failure"
            entry = {"message": decision.message, "policy": bound.policy_name, "binding": bound.binding_name,
                     "expressionIndex": 0, "validationActions": actions}
            attrs.audit_annotations[key] = json.dumps([entry])
        if "Deny" in actions or decision.always_denies:
            raise PolicyDenied(attrs, message, decision.reason)


class _ConfigError(Exception):
    pass


def _namespace_object(namespace: dict[str, Any]) -> dict[str, Any]:
    """The Namespace as policies see it: its spec, status and the identifying part of its metadata."""
    metadata = namespace.get("metadata") or {}
    trimmed: dict[str, Any] = {"apiVersion": "v1", "kind": "Namespace",
                               "metadata": {key: metadata[key] for key in _NAMESPACE_METADATA if key in metadata}}
    for key in ("spec", "status"):
        if key in namespace:
            trimmed[key] = namespace[key]
    return trimmed


def _audit_annotations(bound: _Bound, scope: dict[str, Any], ignore: bool,
                       attrs: AdmissionAttributes) -> list[_Decision]:
    """Publish each ``auditAnnotations`` value as ``<policy>/<key>``; an error fails the request unless Ignore."""
    failures: list[_Decision] = []
    for annotation in (bound.policy.get("spec") or {}).get("auditAnnotations") or []:
        expression = str(annotation.get("valueExpression", ""))
        try:
            value = evaluate(expression, scope)
        except CelError as err:
            failures.append(_Decision(not ignore, f"expression '{expression}' resulted in error: {err}",
                                      always_denies=True))
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if not isinstance(value, str):
            failures.append(_Decision(not ignore, f"valueExpression '{expression}' resulted in unsupported return "
                                                  f"type: {_cel_type(value)}. Return type must be either string or "
                                                  f"null.", always_denies=True))
            continue
        key = f"{bound.policy_name}/{annotation.get('key', '')}"
        attrs.audit_annotations[key] = value.strip()[:_MAX_AUDIT_VALUE]
    return [failure for failure in failures if failure.failed]


def _cel_type(value: Any) -> str:
    names = {bool: "bool", int: "int", float: "double", list: "list", dict: "map", bytes: "bytes"}
    return names.get(type(value), type(value).__name__)


def _names_match(rule: dict[str, Any], attrs: AdmissionAttributes) -> bool:
    names = rule.get("resourceNames") or []
    return not names or attrs.name in names


def _validate(validation: dict[str, Any], scope: dict[str, Any], ignore: bool) -> _Decision:
    expression = str(validation.get("expression", ""))
    reason = str(validation.get("reason") or "Invalid")
    try:
        result = evaluate(expression, scope)
    except CelError as err:
        return _Decision(not ignore, f"expression '{expression}' resulted in error: {err}", reason)
    if not isinstance(result, bool):
        return _Decision(not ignore, f"expression '{expression}' resulted in error: expected bool, got "
                                     f"{type(result).__name__}", reason)
    if result:
        return _Decision(False)
    message = str(validation.get("message") or "")
    if validation.get("messageExpression"):
        try:
            rendered = evaluate(str(validation["messageExpression"]), scope)
        except CelError:
            rendered = None
        if isinstance(rendered, str) and rendered.strip() and "\n" not in rendered:
            message = rendered
    return _Decision(True, message or f"failed expression: {expression}", reason)
