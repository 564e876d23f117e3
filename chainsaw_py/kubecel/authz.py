"""The Authz library (``k8s.io/apiserver/pkg/cel/library/authz.go``): ``authorizer.group(g).resource(r)
[.subresource(s)][.namespace(n)][.name(x)].check(verb)``, ``authorizer.path(p).check(verb)``,
``authorizer.serviceAccount(ns, name)``, ``authorizer.requestResource`` and the decision's ``allowed()``,
``reason()``, ``errored()``, ``error()``.

The checks call the authorizer bound to the current thread with ``bound(authorize)``; the caller (the API
server) supplies it, so that this library stays free of any authorizer implementation.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from chainsaw_py.kubecel.errors import LibraryError

AUTHORIZER, GROUP_CHECK, RESOURCE_CHECK, PATH_CHECK, DECISION = (
    "__authorizer__", "__groupcheck__", "__resourcecheck__", "__pathcheck__", "__decision__")
_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_local = threading.local()


@dataclass(frozen=True)
class Subject:
    username: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: dict[str, list[str]] = field(default_factory=dict)

    def as_value(self) -> dict[str, Any]:
        return {"username": self.username, "groups": list(self.groups), "uid": self.uid, "extra": self.extra}


@dataclass(frozen=True)
class CheckAttributes:
    """What one check asks (``authorizer.AttributesRecord``): a resource request or a non-resource path."""

    subject: Subject
    verb: str
    resource_request: bool
    group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""
    field_selector: str = ""
    label_selector: str = ""


@dataclass(frozen=True)
class Decision:
    decision: str            # "allow", "deny" or "noOpinion"
    reason: str = ""
    error: str = ""


Authorize = Callable[[CheckAttributes], Decision]


@contextmanager
def bound(authorize: Authorize) -> Iterator[None]:
    previous = getattr(_local, "authorize", None)
    _local.authorize = authorize
    try:
        yield
    finally:
        _local.authorize = previous


def authorizer_value(subject: Subject, request_resource: dict[str, str] | None = None) -> dict[str, Any]:
    """The ``authorizer`` variable; ``request_resource`` (group, resource, subresource, namespace, name) adds
    ``authorizer.requestResource``."""
    value: dict[str, Any] = {AUTHORIZER: subject.as_value()}
    if request_resource is not None:
        value["requestResource"] = {RESOURCE_CHECK: dict(_EMPTY_RESOURCE, user=subject.as_value(), **request_resource)}
    return value


_EMPTY_RESOURCE = {"group": "", "resource": "", "subresource": "", "namespace": "", "name": "",
                   "fieldSelector": "", "labelSelector": ""}


def _payload(value: Any, tag: str) -> dict[str, Any]:
    if isinstance(value, dict) and isinstance(value.get(tag), dict):
        return dict(value[tag])
    raise LibraryError("no such overload")


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise LibraryError("no such overload")
    return value


def _path(authorizer: Any, path: Any) -> dict[str, Any]:
    if not _text(path).strip():
        raise LibraryError("path must not be empty")
    return {PATH_CHECK: {"user": _payload(authorizer, AUTHORIZER), "path": path}}


def _group(authorizer: Any, group: Any) -> dict[str, Any]:
    return {GROUP_CHECK: {"user": _payload(authorizer, AUTHORIZER), "group": _text(group)}}


def _service_account(authorizer: Any, namespace: Any, name: Any) -> dict[str, Any]:
    _payload(authorizer, AUTHORIZER)
    if not _is_subdomain(_text(name)):
        raise LibraryError("Invalid service account name")
    if not (len(_text(namespace)) <= 63 and _DNS1123_LABEL.fullmatch(namespace)):
        raise LibraryError("Invalid service account namespace")
    subject = Subject(f"system:serviceaccount:{namespace}:{name}",
                      ("system:serviceaccounts", f"system:serviceaccounts:{namespace}"))
    return {AUTHORIZER: subject.as_value()}


def _is_subdomain(text: str) -> bool:
    return 0 < len(text) <= 253 and all(_DNS1123_LABEL.fullmatch(part) for part in text.split("."))


def _resource(group_check: Any, resource: Any) -> dict[str, Any]:
    check = _payload(group_check, GROUP_CHECK)
    if not _text(resource).strip():
        raise LibraryError("resource must not be empty")
    return {RESOURCE_CHECK: dict(_EMPTY_RESOURCE, user=check["user"], group=check["group"], resource=resource)}


def _setter(key: str) -> Callable[[Any, Any], dict[str, Any]]:
    def set_field(resource_check: Any, value: Any) -> dict[str, Any]:
        check = _payload(resource_check, RESOURCE_CHECK)
        check[key] = _text(value)
        return {RESOURCE_CHECK: check}
    return set_field


def _subject(user: dict[str, Any]) -> Subject:
    return Subject(str(user.get("username", "")), tuple(user.get("groups") or ()), str(user.get("uid", "")),
                   dict(user.get("extra") or {}))


def _authorize(attributes: CheckAttributes) -> dict[str, Any]:
    authorize: Authorize | None = getattr(_local, "authorize", None)
    if authorize is None:
        raise LibraryError("no authorizer is available to this expression")
    decision = authorize(attributes)
    return {DECISION: {"decision": decision.decision, "reason": decision.reason, "error": decision.error}}


def _check(subject_check: Any, verb: Any) -> dict[str, Any]:
    if isinstance(subject_check, dict) and PATH_CHECK in subject_check:
        check = _payload(subject_check, PATH_CHECK)
        return _authorize(CheckAttributes(_subject(check["user"]), _text(verb), False, path=str(check["path"])))
    check = _payload(subject_check, RESOURCE_CHECK)
    return _authorize(CheckAttributes(
        _subject(check["user"]), _text(verb), True, group=check["group"], resource=check["resource"],
        subresource=check["subresource"], namespace=check["namespace"], name=check["name"],
        field_selector=check["fieldSelector"], label_selector=check["labelSelector"]))


def _decision(value: Any) -> dict[str, Any]:
    return _payload(value, DECISION)


def functions() -> dict[str, Callable[..., Any]]:
    return {
        "path": _path, "group": _group, "serviceAccount": _service_account, "resource": _resource,
        "subresource": _setter("subresource"), "namespace": _setter("namespace"), "name": _setter("name"),
        "fieldSelector": _setter("fieldSelector"), "labelSelector": _setter("labelSelector"),
        "check": _check,
        "allowed": lambda d: _decision(d)["decision"] == "allow",
        "reason": lambda d: str(_decision(d)["reason"]),
        "errored": lambda d: bool(_decision(d)["error"]),
        "error": lambda d: str(_decision(d)["error"]),
    }
