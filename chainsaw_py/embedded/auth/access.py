"""Access control at the HTTP edge: authenticate, impersonate, authorize (RBAC or always-allow), and the
answers of the access and token reviews (SelfSubjectAccessReview, SubjectAccessReview,
LocalSubjectAccessReview, SelfSubjectRulesReview, SelfSubjectReview, TokenReview)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Any

from chainsaw_py.embedded.apierrors import BadRequest, Forbidden, Unauthorized
from chainsaw_py.embedded.auth.attributes import RequestAttributes, request_attributes
from chainsaw_py.embedded.auth.authenticator import Authenticator, impersonation
from chainsaw_py.embedded.auth.identity import UserInfo, current_user
from chainsaw_py.embedded.auth.rbac import MASTERS, Decision, RbacAuthorizer
from chainsaw_py.embedded.httpserver import Request
from chainsaw_py.embedded.resources import ResourceType

PUBLIC_PATHS = ("/healthz", "/livez", "/readyz", "/version")
ANONYMOUS = UserInfo("system:anonymous", ("system:unauthenticated",))
_IMPERSONATE_PREFIX = "impersonate-"
_EXTRA_PREFIX = "impersonate-extra-"


class AccessControl:
    """``authorizer`` None means every authenticated request is allowed (``--authorization-mode AlwaysAllow``)."""

    def __init__(self, authenticator: Authenticator, authorizer: RbacAuthorizer | None,
                 is_resource: Callable[[str, str, str], bool]) -> None:
        self.authenticator = authenticator
        self.authorizer = authorizer
        self._is_resource = is_resource

    def identify(self, request: Request) -> UserInfo:
        """The user a request acts as; raises Unauthorized (401) or Forbidden (403)."""
        authorization = request.header("authorization")
        user, rejected = self.authenticator.authenticate_request(authorization, request.peer_certificate())
        if user is None:
            if request.path.startswith(PUBLIC_PATHS) and not rejected and not _bearer_token_presented(authorization):
                return ANONYMOUS
            raise Unauthorized()
        user = self._impersonate(user, request)
        if self.authorizer is not None and MASTERS not in user.groups:
            attrs = request_attributes(user, request.method, request.path, request.flag("watch"), self._is_resource)
            if not self.authorizer.authorize(attrs).allowed:
                raise _forbidden(attrs)
        return user

    def _impersonate(self, user: UserInfo, request: Request) -> UserInfo:
        for name in request.headers:
            if name.startswith(_IMPERSONATE_PREFIX):
                break
        else:
            return user
        extras = {urllib.parse.unquote(name[len(_EXTRA_PREFIX):]): value
                  for name, value in request.headers.items() if name.startswith(_EXTRA_PREFIX)}
        wanted = impersonation(request.header, extras)
        if wanted is None:
            if request.header("impersonate-group") or request.header("impersonate-uid") or extras:
                raise BadRequest("requested impersonation without a user: Impersonate-User must be set")
            return user
        for group, resource, namespace, name in wanted.checks:
            resource, _, subresource = resource.partition("/")
            attrs = RequestAttributes(user, "impersonate", True, group, "", resource, subresource, namespace, name)
            if not self.decide(attrs).allowed:
                raise _forbidden(attrs)
        return wanted.user

    def decide(self, attrs: RequestAttributes) -> Decision:
        if self.authorizer is None:
            return Decision(True)
        return self.authorizer.authorize(attrs)

    # --- reviews --------------------------------------------------------------------------------------------

    def review(self, rt: ResourceType, namespace: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """The answer to an access or token review; None for other kinds."""
        spec = body.get("spec") or {}
        if not isinstance(spec, dict):
            raise BadRequest(f"{rt.kind}.spec must be an object")
        if rt.group == "authentication.k8s.io":
            if rt.plural == "selfsubjectreviews":
                return _answer(rt, body, {"userInfo": current_user().to_dict()})
            if rt.plural == "tokenreviews":
                return _answer(rt, body, self._token_review(spec))
            return None
        if rt.group != "authorization.k8s.io":
            return None
        if rt.plural == "selfsubjectrulesreviews":
            return _answer(rt, body, self._rules(current_user(), str(spec.get("namespace") or "")))
        if rt.plural == "selfsubjectaccessreviews":
            user = current_user()
        else:
            user = UserInfo(str(spec.get("user") or ""), tuple(spec.get("groups") or ()), str(spec.get("uid") or ""))
        if rt.plural == "localsubjectaccessreviews":
            resource_ns = (spec.get("resourceAttributes") or {}).get("namespace", "")
            if resource_ns != namespace:
                raise BadRequest(f"spec.resourceAttributes.namespace must match namespace: {namespace}")
        attrs = _review_attributes(user, spec)
        decision = self.decide(attrs)
        status: dict[str, Any] = {"allowed": decision.allowed}
        if decision.reason:
            status["reason"] = decision.reason
        return _answer(rt, body, status)

    def _token_review(self, spec: dict[str, Any]) -> dict[str, Any]:
        user = self.authenticator.authenticate(f"Bearer {spec.get('token', '')}")
        if user is None:
            return {"user": {}, "error": "[invalid bearer token, token lookup failed]"}
        return {"authenticated": True, "user": user.to_dict(), "audiences": list(spec.get("audiences") or
                                                                                 ["https://kubernetes.default.svc.cluster.local"])}

    def _rules(self, user: UserInfo, namespace: str) -> dict[str, Any]:
        if self.authorizer is None:
            return {"resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                    "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}], "incomplete": False}
        resource_rules, non_resource_rules = [], []
        for rule in self.authorizer.rules_for(user, namespace):
            if rule.get("nonResourceURLs"):
                non_resource_rules.append({"verbs": rule.get("verbs") or [], "nonResourceURLs": rule["nonResourceURLs"]})
                continue
            entry = {key: rule[key] for key in ("verbs", "apiGroups", "resources", "resourceNames") if rule.get(key)}
            resource_rules.append(entry)
        return {"resourceRules": resource_rules, "nonResourceRules": non_resource_rules, "incomplete": False}


def _review_attributes(user: UserInfo, spec: dict[str, Any]) -> RequestAttributes:
    resource = spec.get("resourceAttributes")
    if isinstance(resource, dict):
        return RequestAttributes(user, str(resource.get("verb") or ""), True, str(resource.get("group") or ""),
                                 str(resource.get("version") or ""), str(resource.get("resource") or ""),
                                 str(resource.get("subresource") or ""), str(resource.get("namespace") or ""),
                                 str(resource.get("name") or ""))
    other = spec.get("nonResourceAttributes")
    if isinstance(other, dict):
        return RequestAttributes(user, str(other.get("verb") or ""), False, path=str(other.get("path") or ""))
    raise BadRequest("exactly one of nonResourceAttributes or resourceAttributes must be specified")


def _answer(rt: ResourceType, body: dict[str, Any], status: dict[str, Any]) -> dict[str, Any]:
    metadata = dict(body.get("metadata") or {})
    metadata.setdefault("creationTimestamp", None)
    return {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": metadata, "spec": body.get("spec") or {},
            "status": status}


def _bearer_token_presented(authorization: str) -> bool:
    """A bearer token that does not authenticate fails the request (kube-apiserver's token authenticator
    errs, and anonymous access is only tried when no authenticator failed), even on the public paths."""
    parts = authorization.strip().split(" ", 2)
    return len(parts) >= 2 and parts[0].lower() == "bearer"


def _forbidden(attrs: RequestAttributes) -> Forbidden:
    details: dict[str, Any] | None = None
    if attrs.resource_request:
        details = {"name": attrs.name} if attrs.name else {}
        if attrs.api_group:
            details["group"] = attrs.api_group
        details["kind"] = attrs.resource
    return Forbidden(attrs.forbidden_message(), details=details)
