"""The caches of the access checks: RBAC decisions follow every change of a Role, ClusterRole or binding at
once; a cached ServiceAccount token signature does not outlive the token's expiry; the impersonation fast path
(no Impersonate-* header) still refuses groups without a user."""

from __future__ import annotations

from typing import Any

import pytest

from chainsaw_py.embedded.apierrors import BadRequest
from chainsaw_py.embedded.auth import tokens as tokens_module
from chainsaw_py.embedded.auth.access import AccessControl
from chainsaw_py.embedded.auth.attributes import RequestAttributes
from chainsaw_py.embedded.auth.authenticator import Authenticator, StaticUser
from chainsaw_py.embedded.auth.identity import UserInfo
from chainsaw_py.embedded.auth.rbac import RBAC_GROUP, RbacAuthorizer
from chainsaw_py.embedded.auth.tokens import ServiceAccountTokens
from chainsaw_py.embedded.httpserver import parse_head
from chainsaw_py.embedded.store import Store

BOB = UserInfo("bob", ("devs", "system:authenticated"))


def _get_pods(namespace: str = "team", user: UserInfo = BOB) -> RequestAttributes:
    return RequestAttributes(user, "get", True, "", "v1", "pods", "", namespace, "web")


def _role(name: str, resources: list[str], labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": f"{RBAC_GROUP}/v1", "kind": "ClusterRole",
            "metadata": {"name": name, "labels": labels or {}},
            "rules": [{"verbs": ["get"], "apiGroups": [""], "resources": resources}]}


def _binding(name: str, role: str, kind: str = "ClusterRole", namespace: str = "team") -> dict[str, Any]:
    return {"apiVersion": f"{RBAC_GROUP}/v1", "kind": "RoleBinding", "metadata": {"name": name, "namespace": namespace},
            "roleRef": {"apiGroup": RBAC_GROUP, "kind": kind, "name": role},
            "subjects": [{"kind": "User", "name": "bob"}]}


def test_rbac_decisions_follow_bindings_and_roles_at_once() -> None:
    store = Store()
    authorizer = RbacAuthorizer(store)
    assert not authorizer.authorize(_get_pods()).allowed
    assert not authorizer.authorize(_get_pods()).allowed            # (now from the cache)
    store.create(RBAC_GROUP, "clusterroles", _role("reader", ["configmaps"]))
    store.create(RBAC_GROUP, "rolebindings", _binding("bob-reads", "reader"))
    assert not authorizer.authorize(_get_pods()).allowed            # the role grants configmaps only
    role = store.get(RBAC_GROUP, "clusterroles", "", "reader")
    assert role is not None
    store.update(RBAC_GROUP, "clusterroles", {**role.obj, "rules": _role("reader", ["pods"])["rules"]})
    decision = authorizer.authorize(_get_pods())
    assert decision.allowed
    assert decision.reason == 'RBAC: allowed by RoleBinding "bob-reads/team" of ClusterRole "reader" to User "bob"'
    assert not authorizer.authorize(_get_pods("elsewhere")).allowed
    assert not authorizer.authorize(_get_pods(user=UserInfo("carol", BOB.groups))).allowed
    store.delete(RBAC_GROUP, "rolebindings", "team", "bob-reads")
    assert not authorizer.authorize(_get_pods()).allowed


def test_rbac_decisions_follow_aggregated_roles() -> None:
    store = Store()
    authorizer = RbacAuthorizer(store)
    aggregate = _role("aggregate", [])
    aggregate["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": {"to-aggregate": "true"}}]}
    store.create(RBAC_GROUP, "clusterroles", aggregate)
    store.create(RBAC_GROUP, "rolebindings", _binding("bob-aggregate", "aggregate"))
    store.create(RBAC_GROUP, "clusterroles", _role("pods", ["pods"]))
    assert not authorizer.authorize(_get_pods()).allowed
    store.update(RBAC_GROUP, "clusterroles", _role("pods", ["pods"], {"to-aggregate": "true"}))
    assert authorizer.authorize(_get_pods()).allowed


def test_rbac_decision_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from chainsaw_py.embedded.auth import rbac

    monkeypatch.setattr(rbac, "_MAX_DECISIONS", 8)
    authorizer = RbacAuthorizer(Store())
    for index in range(50):
        authorizer.authorize(_get_pods(f"ns-{index}"))
    assert len(authorizer._decisions) <= 8


def test_cached_token_signature_does_not_outlive_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = ServiceAccountTokens()
    token, expires = tokens.issue("team", "robot", "uid-1", 600, ["api"])
    claims = tokens.verify(token)
    assert claims is not None and claims.name == "robot"
    assert tokens.verify(token) == claims
    assert tokens.verify(token[:-2] + "xx") is None
    monkeypatch.setattr(tokens_module.time, "time", lambda: expires + 1)
    assert tokens.verify(token) is None


def _request(*headers: str) -> Any:
    head = "GET /api/v1/namespaces/team/pods HTTP/1.1\r\n" + "".join(f"{line}\r\n" for line in headers) + "\r\n"
    request, _keep_alive = parse_head(head.encode())
    return request


def test_impersonation_headers_without_a_user_are_refused() -> None:
    authenticator = Authenticator("admin-token", Store(), ServiceAccountTokens(),
                                  [StaticUser("bob-token", BOB)])
    control = AccessControl(authenticator, None, lambda group, version, plural: True)
    assert control.identify(_request("Authorization: Bearer bob-token")).username == "bob"
    for header in ("Impersonate-Group: admins", "Impersonate-Uid: 1", "Impersonate-Extra-Scopes: x"):
        with pytest.raises(BadRequest):
            control.identify(_request("Authorization: Bearer bob-token", header))
    impersonated = control.identify(_request("Authorization: Bearer admin-token", "Impersonate-User: carol"))
    assert impersonated.username == "carol"
