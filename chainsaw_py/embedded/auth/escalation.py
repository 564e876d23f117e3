"""RBAC escalation prevention (pkg/registry/rbac/*/policybased): a user who is not in ``system:masters`` may
create or update a Role/ClusterRole only with rules they already hold (or with the ``escalate`` verb on it), and
a RoleBinding/ClusterRoleBinding only to a role whose rules they hold (or with the ``bind`` verb on it):

    roles.rbac.authorization.k8s.io "x" is forbidden: user "jane" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:
    {APIGroups:[""], Resources:["secrets"], Verbs:["get"]}
"""

from __future__ import annotations

from typing import Any

from chainsaw_py.embedded.admission.types import CREATE, UPDATE, AdmissionAttributes
from chainsaw_py.embedded.apierrors import Forbidden
from chainsaw_py.embedded.auth.attributes import RequestAttributes
from chainsaw_py.embedded.auth.identity import UserInfo, current_user
from chainsaw_py.embedded.auth.rbac import MASTERS, RBAC_GROUP, RbacAuthorizer, rule_allows

_ROLES = {"roles", "clusterroles"}
_BINDINGS = {"rolebindings", "clusterrolebindings"}


class RbacEscalationCheck:
    name = "RBACEscalation"

    def __init__(self, authorizer: RbacAuthorizer) -> None:
        self.authorizer = authorizer

    def active(self) -> bool:
        """Only for requests of users outside ``system:masters`` (the admin and in-process callers skip it)."""
        return MASTERS not in current_user().groups

    def mutate(self, attrs: AdmissionAttributes) -> None:
        return None

    def validate(self, attrs: AdmissionAttributes) -> None:
        rt = attrs.rt
        if rt.group != RBAC_GROUP or attrs.operation not in (CREATE, UPDATE) or attrs.subresource:
            return
        if attrs.obj is None or MASTERS in attrs.user.groups:
            return
        if rt.plural in _ROLES:
            if self._may(attrs.user, "escalate", rt.plural, attrs.namespace, attrs.name):
                return
            if rt.plural == "clusterroles" and attrs.obj.get("aggregationRule"):
                self._deny(attrs, "must have cluster-admin privileges to use the aggregationRule")
            rules = list(attrs.obj.get("rules") or [])
        elif rt.plural in _BINDINGS:
            ref = attrs.obj.get("roleRef") or {}
            plural = "clusterroles" if ref.get("kind") == "ClusterRole" else "roles"
            namespace = "" if plural == "clusterroles" else attrs.namespace
            if self._may(attrs.user, "bind", plural, attrs.namespace if plural == "roles" else namespace,
                         str(ref.get("name", ""))):
                return
            rules = self._role_rules(ref, attrs.namespace)
        else:
            return
        missing = self._missing(attrs.user, attrs.namespace, rules)
        if missing:
            groups = " ".join(f'"{group}"' for group in attrs.user.groups)
            self._deny(attrs, f'user "{attrs.user.username}" (groups=[{groups}]) is attempting to grant RBAC '
                              "permissions not currently held:\n" + "\n".join(missing))

    def _may(self, user: UserInfo, verb: str, plural: str, namespace: str, name: str) -> bool:
        attrs = RequestAttributes(user, verb, True, RBAC_GROUP, "v1", plural, "", namespace, name)
        return self.authorizer.authorize(attrs).allowed

    def _role_rules(self, ref: dict[str, Any], namespace: str) -> list[dict[str, Any]]:
        kind, name = ref.get("kind"), str(ref.get("name", ""))
        if kind == "ClusterRole":
            return self.authorizer.cluster_role_rules(name)
        stored = self.authorizer.store.get(RBAC_GROUP, "roles", namespace, name)
        return list((stored.obj.get("rules") or []) if stored else [])

    def _missing(self, user: UserInfo, namespace: str, rules: list[dict[str, Any]]) -> list[str]:
        """The requested rights the user does not hold, compacted per rule as the apiserver prints them."""
        owned = self.authorizer.rules_for(user, namespace)
        missing: list[str] = []
        for rule in rules:
            for atom in _breakdown(rule):
                probe = _probe(user, atom, namespace)
                if not any(rule_allows(probe, have) for have in owned):
                    line = _compact(atom)
                    if line not in missing:
                        missing.append(line)
        return sorted(missing)

    @staticmethod
    def _deny(attrs: AdmissionAttributes, reason: str) -> None:
        resource = f"{attrs.rt.plural}.{attrs.rt.group}"
        raise Forbidden(f'{resource} "{attrs.name}" is forbidden: {reason}',
                        details={"name": attrs.name, "group": attrs.rt.group, "kind": attrs.rt.plural})


def _breakdown(rule: dict[str, Any]) -> list[dict[str, Any]]:
    """One rule per (group, resource, name, verb) or (URL, verb), as validation.BreakdownRule."""
    atoms: list[dict[str, Any]] = []
    verbs = [str(verb) for verb in rule.get("verbs") or []]
    for group in rule.get("apiGroups") or []:
        for resource in rule.get("resources") or []:
            names = rule.get("resourceNames") or [None]
            for name in names:
                for verb in verbs:
                    atom: dict[str, Any] = {"apiGroups": [group], "resources": [resource], "verbs": [verb]}
                    if name is not None:
                        atom["resourceNames"] = [name]
                    atoms.append(atom)
    for url in rule.get("nonResourceURLs") or []:
        atoms += [{"nonResourceURLs": [url], "verbs": [verb]} for verb in verbs]
    return atoms


def _probe(user: UserInfo, atom: dict[str, Any], namespace: str) -> RequestAttributes:
    verb = atom["verbs"][0]
    if "nonResourceURLs" in atom:
        return RequestAttributes(user, verb, False, path=atom["nonResourceURLs"][0])
    resource, _, subresource = str(atom["resources"][0]).partition("/")
    name = (atom.get("resourceNames") or [""])[0]
    return RequestAttributes(user, verb, True, str(atom["apiGroups"][0]), "", resource, subresource, namespace, name)


def _compact(atom: dict[str, Any]) -> str:
    parts = []
    for key, label in (("apiGroups", "APIGroups"), ("resources", "Resources"), ("nonResourceURLs", "NonResourceURLs"),
                       ("resourceNames", "ResourceNames"), ("verbs", "Verbs")):
        if atom.get(key):
            parts.append(f"{label}:[" + " ".join(f'"{value}"' for value in atom[key]) + "]")
    return "{" + ", ".join(parts) + "}"
