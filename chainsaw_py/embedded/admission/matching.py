"""Which requests an admission webhook or policy applies to: rules, matchPolicy and label selectors.

Follows k8s.io/apiserver/pkg/admission/plugin/webhook/predicates: a rule matches on operation, group, version,
resource (``pods``, ``pods/status``, ``*/status``, ``pods/*``, ``*``, ``*/*``) and scope; ``matchPolicy:
Equivalent`` (the default) also matches the same group resource at another served version; a namespace
selector looks at the labels of the request's namespace (or of the Namespace itself); an object selector
at the labels of the new or the old object.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chainsaw_py.embedded.admission.types import AdmissionAttributes
from chainsaw_py.embedded.resources import ResourceRegistry, ResourceType
from chainsaw_py.util.labels import Selector, SelectorError, selector_from_label_selector

ADMISSION_CONFIGURATION_RESOURCES = frozenset({
    "validatingwebhookconfigurations", "mutatingwebhookconfigurations", "validatingadmissionpolicies",
    "validatingadmissionpolicybindings", "mutatingadmissionpolicies", "mutatingadmissionpolicybindings"})


def is_exempt(rt: ResourceType) -> bool:
    """Admission never applies to the objects that configure admission (so a bad webhook can be removed)."""
    return rt.group == "admissionregistration.k8s.io" and rt.plural in ADMISSION_CONFIGURATION_RESOURCES


def _listed(values: Any, wanted: str) -> bool:
    return any(value == "*" or value == wanted for value in values or [])


def rule_matches(rule: dict[str, Any], operation: str, group: str, version: str, plural: str, subresource: str,
                 attrs: AdmissionAttributes) -> bool:
    if not _listed(rule.get("operations"), operation):
        return False
    if not _listed(rule.get("apiGroups"), group) or not _listed(rule.get("apiVersions"), version):
        return False
    if not _resource_matches(rule.get("resources") or [], plural, subresource):
        return False
    return _scope_matches(str(rule.get("scope") or "*"), attrs)


def _resource_matches(resources: list[str], plural: str, subresource: str) -> bool:
    for entry in resources:
        resource, _, sub = str(entry).partition("/")
        if (resource in ("*", plural)) and (sub in ("*", subresource)):
            return True
    return False


def _scope_matches(scope: str, attrs: AdmissionAttributes) -> bool:
    is_namespace = attrs.rt.group == "" and attrs.rt.plural == "namespaces"
    if scope == "Namespaced":
        return not is_namespace and bool(attrs.namespace)
    if scope == "Cluster":
        return is_namespace or not attrs.namespace
    return True


@dataclass(frozen=True)
class MatchedResource:
    """The resource a webhook is called for: the request's own, or an equivalent version (matchPolicy)."""

    rt: ResourceType
    equivalent: bool


def match_rules(rules: list[dict[str, Any]], match_policy: str, attrs: AdmissionAttributes,
                registry: ResourceRegistry, exclude: list[dict[str, Any]] | None = None) -> MatchedResource | None:
    operation, rt, sub = attrs.operation, attrs.rt, attrs.subresource
    if any(rule_matches(rule, operation, rt.group, rt.version, rt.plural, sub, attrs) for rule in exclude or []):
        return None
    if any(rule_matches(rule, operation, rt.group, rt.version, rt.plural, sub, attrs) for rule in rules):
        return MatchedResource(rt, False)
    if match_policy == "Exact":
        return None
    for version in registry.versions(rt.group):
        other = registry.lookup(rt.group, version, rt.plural)
        if other is None or other.version == rt.version:
            continue
        if any(rule_matches(rule, operation, other.group, other.version, other.plural, sub, attrs)
               for rule in rules):
            return MatchedResource(other, True)
    return None


class SelectorInvalid(ValueError):
    pass


@functools.lru_cache(maxsize=512)
def _compiled(key: str) -> Selector | None:
    return selector_from_label_selector(json.loads(key))


def labels_match(selector: dict[str, Any] | None, labels: dict[str, str] | None) -> bool:
    """A nil or empty LabelSelector matches everything."""
    if not selector:
        return True
    try:
        parsed = _compiled(json.dumps(selector, sort_keys=True))
    except SelectorError as err:
        raise SelectorInvalid(str(err)) from None
    return parsed is None or parsed.matches(labels or {})


def _labels(obj: dict[str, Any] | None) -> dict[str, str]:
    if not obj:
        return {}
    return dict((obj.get("metadata") or {}).get("labels") or {})


def object_selector_matches(selector: dict[str, Any] | None, attrs: AdmissionAttributes) -> bool:
    if not selector:
        return True
    return labels_match(selector, _labels(attrs.obj)) or labels_match(selector, _labels(attrs.old))


def namespace_selector_matches(selector: dict[str, Any] | None, attrs: AdmissionAttributes,
                               namespace_labels: Callable[[str], dict[str, str] | None]) -> bool:
    """Cluster-scoped objects other than Namespaces always match; a missing namespace is an error."""
    if not selector:
        return True
    if attrs.rt.group == "" and attrs.rt.plural == "namespaces":
        return labels_match(selector, _labels(attrs.obj or attrs.old))
    if not attrs.namespace:
        return True
    labels = namespace_labels(attrs.namespace)
    if labels is None:
        raise SelectorInvalid(f'namespace "{attrs.namespace}" not found')
    return labels_match(selector, labels)
