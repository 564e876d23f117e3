"""The RBAC authorizer (plugin/pkg/auth/authorizer/rbac): Roles, ClusterRoles (with aggregation), RoleBindings
and ClusterRoleBindings read from the store; ``system:masters`` is always allowed, as by the apiserver's
privileged-group authorizer. Also lists a user's rules for SelfSubjectRulesReview."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chainsaw_py.embedded.auth.attributes import RequestAttributes
from chainsaw_py.embedded.auth.identity import UserInfo
from chainsaw_py.embedded.store import Store, StoreEvent
from chainsaw_py.util.labels import SelectorError, selector_from_label_selector

RBAC_GROUP = "rbac.authorization.k8s.io"
MASTERS = "system:masters"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


_ALLOWED = Decision(True)
_MAX_DECISIONS = 4096


@dataclass(frozen=True)
class _Grant:
    """One binding that applies to a user, with the rules of the role it refers to."""

    source: str
    rules: tuple[dict[str, Any], ...]


class RbacAuthorizer:
    """Decisions are cached per request attributes (user, verb, resource, namespace, name ...) for as long as
    no RBAC object changes: every write of a Role, ClusterRole or binding starts a new generation."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._generation = 0
        self._decisions: dict[RequestAttributes, tuple[int, Decision]] = {}
        store.add_listener(self._on_event)

    def _on_event(self, event: StoreEvent) -> None:
        if event.group == RBAC_GROUP:
            self._generation += 1       # (under the store's lock: one writer at a time)

    def authorize(self, attrs: RequestAttributes) -> Decision:
        if MASTERS in attrs.user.groups:
            return _ALLOWED
        generation = self._generation     # read before the objects: a change meanwhile makes the entry stale
        cached = self._decisions.get(attrs)
        if cached is not None and cached[0] == generation:
            return cached[1]
        decision = self._decide(attrs)
        if len(self._decisions) >= _MAX_DECISIONS:
            self._decisions.clear()
        self._decisions[attrs] = (generation, decision)
        return decision

    def _decide(self, attrs: RequestAttributes) -> Decision:
        for grant in self._grants(attrs.user, attrs.namespace):
            if any(rule_allows(attrs, rule) for rule in grant.rules):
                return Decision(True, f"RBAC: allowed by {grant.source}")
        return Decision(False)

    def rules_for(self, user: UserInfo, namespace: str) -> list[dict[str, Any]]:
        rules: list[dict[str, Any]] = []
        for grant in self._grants(user, namespace):
            rules.extend(grant.rules)
        return rules

    # --- bindings -------------------------------------------------------------------------------------------

    def _grants(self, user: UserInfo, namespace: str) -> Iterator[_Grant]:
        bindings, _rv = self.store.list(RBAC_GROUP, "clusterrolebindings")
        for item in bindings:
            binding = item.obj
            subject = _applying_subject(binding, user, "")
            if subject is None:
                continue
            rules = self._role_rules(binding.get("roleRef") or {}, "")
            yield _Grant(_describe("ClusterRoleBinding", binding["metadata"]["name"], binding, subject, ""), rules)
        if not namespace:
            return
        bindings, _rv = self.store.list(RBAC_GROUP, "rolebindings", namespace)
        for item in bindings:
            binding = item.obj
            subject = _applying_subject(binding, user, namespace)
            if subject is None:
                continue
            rules = self._role_rules(binding.get("roleRef") or {}, namespace)
            name = f"{binding['metadata']['name']}/{namespace}"
            yield _Grant(_describe("RoleBinding", name, binding, subject, namespace), rules)

    def cluster_role_rules(self, name: str) -> list[dict[str, Any]]:
        """A ClusterRole's rules, with those of the ClusterRoles it aggregates."""
        return self._cluster_role_rules(name, set())

    def _role_rules(self, ref: dict[str, Any], namespace: str) -> tuple[dict[str, Any], ...]:
        kind, name = ref.get("kind"), str(ref.get("name", ""))
        if kind == "Role":
            stored = self.store.get(RBAC_GROUP, "roles", namespace, name)
            return tuple((stored.obj.get("rules") or []) if stored else [])
        if kind == "ClusterRole":
            return tuple(self._cluster_role_rules(name, set()))
        return ()

    def _cluster_role_rules(self, name: str, visited: set[str]) -> list[dict[str, Any]]:
        if name in visited:
            return []
        visited.add(name)
        stored = self.store.get(RBAC_GROUP, "clusterroles", "", name)
        if stored is None:
            return []
        rules = list(stored.obj.get("rules") or [])
        selectors = (stored.obj.get("aggregationRule") or {}).get("clusterRoleSelectors") or []
        if selectors:
            roles, _rv = self.store.list(RBAC_GROUP, "clusterroles")
            for role in roles:
                role_name = role.obj["metadata"]["name"]
                labels = role.obj["metadata"].get("labels") or {}
                if role_name not in visited and any(_selects(selector, labels) for selector in selectors):
                    rules += [rule for rule in self._cluster_role_rules(role_name, visited) if rule not in rules]
        return rules


def aggregated_rules(store: Store, role: dict[str, Any]) -> list[dict[str, Any]]:
    """The rules of the ClusterRoles an aggregated ClusterRole selects (the role's own rules are replaced),
    in name order without repeats."""
    selectors = (role.get("aggregationRule") or {}).get("clusterRoleSelectors") or []
    rules: list[dict[str, Any]] = []
    items, _rv = store.list(RBAC_GROUP, "clusterroles")
    for item in sorted(items, key=lambda entry: entry.obj["metadata"]["name"]):
        if item.obj["metadata"]["name"] == role["metadata"]["name"]:
            continue
        labels = item.obj["metadata"].get("labels") or {}
        if any(_selects(selector, labels) for selector in selectors):
            rules += [rule for rule in item.obj.get("rules") or [] if rule not in rules]
    return rules


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    try:
        parsed = selector_from_label_selector(selector)
    except SelectorError:
        return False
    return parsed is not None and parsed.matches(labels)


def _applying_subject(binding: dict[str, Any], user: UserInfo, namespace: str) -> dict[str, Any] | None:
    for subject in binding.get("subjects") or []:
        if subject_applies(subject, user, namespace):
            return dict(subject)
    return None


def subject_applies(subject: dict[str, Any], user: UserInfo, binding_namespace: str) -> bool:
    kind, name = subject.get("kind"), str(subject.get("name", ""))
    if kind == "User":
        return user.username == name
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        account_namespace = subject.get("namespace") or binding_namespace
        return bool(account_namespace) and user.username == f"system:serviceaccount:{account_namespace}:{name}"
    return False


def _describe(kind: str, name: str, binding: dict[str, Any], subject: dict[str, Any], namespace: str) -> str:
    ref = binding.get("roleRef") or {}
    if subject.get("kind") == "ServiceAccount":
        who = f'ServiceAccount "{subject.get("name")}/{subject.get("namespace") or namespace}"'
    else:
        who = f'{subject.get("kind")} "{subject.get("name")}"'
    return f'{kind} "{name}" of {ref.get("kind")} "{ref.get("name")}" to {who}'


def rule_allows(attrs: RequestAttributes, rule: dict[str, Any]) -> bool:
    if not _has(rule.get("verbs"), attrs.verb):
        return False
    if not attrs.resource_request:
        return _non_resource_url_matches(rule.get("nonResourceURLs") or [], attrs.path)
    if not _has(rule.get("apiGroups"), attrs.api_group):
        return False
    combined = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    if not _resource_matches(rule.get("resources") or [], combined, attrs.subresource):
        return False
    names = rule.get("resourceNames") or []
    return not names or attrs.name in names


def _has(values: Any, wanted: str) -> bool:
    return any(value == "*" or value == wanted for value in values or [])


def _resource_matches(resources: list[str], combined: str, subresource: str) -> bool:
    for resource in resources:
        if resource in ("*", combined):
            return True
        if subresource and resource == f"*/{subresource}":
            return True
    return False


def _non_resource_url_matches(urls: list[str], path: str) -> bool:
    for url in urls:
        if url in ("*", path):
            return True
        if url.endswith("*") and path.startswith(url[:-1]):
            return True
    return False
