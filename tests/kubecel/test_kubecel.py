"""The Kubernetes CEL libraries in the bottom layer: semver, authz and the overloads they share with quantity."""

from __future__ import annotations

from typing import Any

import pytest

from chainsaw_py import kubecel
from chainsaw_py.kubecel import authz, semver


def evaluate(expression: str, variables: dict[str, Any] | None = None, with_authz: bool = False) -> Any:
    import cel

    context = cel.Context()
    table = kubecel.functions()
    if with_authz:
        table.update(kubecel.authz_functions())
    for name, function in table.items():
        context.add_function(name, function)
    for name, value in (variables or {}).items():
        context.add_variable(name, value)
    return cel.compile(expression).execute(context)


@pytest.mark.parametrize(("expression", "expected"), [
    ("isSemver('1.2.3-rc.1+build.5')", True),
    ("isSemver('1.2')", False),
    ("isSemver('01.2.3')", False),
    ("isSemver('v1.2', true)", True),
    ("semver('1.2.3').major() + semver('1.2.3').minor() + semver('1.2.3').patch()", 6),
    ("semver('1.2.3-alpha').isLessThan(semver('1.2.3'))", True),
    ("semver('1.2.3-alpha.2').isLessThan(semver('1.2.3-alpha.10'))", True),
    ("semver('1.2.3-alpha.beta').isGreaterThan(semver('1.2.3-alpha.1'))", True),
    ("semver('1.10.0').compareTo(semver('1.9.9'))", 1),
    ("semver('v01.002', true).minor()", 2),
    ("quantity('1Gi').compareTo(quantity('1024Mi'))", 0),
])
def test_semver_and_shared_overloads(expression: str, expected: Any) -> None:
    assert evaluate(expression) == expected


def test_semver_errors_are_blang_semver_words() -> None:
    with pytest.raises(kubecel.LibraryError, match="Major number must not contain leading zeroes"):
        semver.parse("01.2.3")
    with pytest.raises(kubecel.LibraryError, match="No Major.Minor.Patch elements found"):
        semver.parse("1.2")
    with pytest.raises(kubecel.LibraryError, match="short version cannot contain PreRelease"):
        semver.semver("1.2-rc", True)


def test_authz_checks_ask_the_bound_authorizer() -> None:
    asked: list[authz.CheckAttributes] = []

    def authorize(check: authz.CheckAttributes) -> authz.Decision:
        asked.append(check)
        allowed = check.verb == "get" or check.subject.username.endswith(":robot")
        return authz.Decision("allow" if allowed else "noOpinion", "because" if allowed else "")

    user = authz.authorizer_value(authz.Subject("alice", ("devs",)),
                                  {"group": "apps", "resource": "deployments", "namespace": "ns", "name": "web"})
    with authz.bound(authorize):
        assert evaluate("authorizer.group('apps').resource('deployments').subresource('scale').namespace('ns')"
                        ".name('web').check('update').allowed()", {"authorizer": user}, True) is False
        assert evaluate("authorizer.requestResource.check('get').reason()", {"authorizer": user}, True) == "because"
        assert evaluate("authorizer.serviceAccount('ns', 'robot').path('/healthz').check('post').allowed()",
                        {"authorizer": user}, True) is True
        assert evaluate("authorizer.group('').resource('pods').check('list').errored()", {"authorizer": user},
                        True) is False
    first, second, third, _ = asked
    assert (first.group, first.resource, first.subresource, first.namespace, first.name, first.verb) == \
        ("apps", "deployments", "scale", "ns", "web", "update")
    assert first.subject.groups == ("devs",) and first.resource_request
    assert (second.resource, second.name, second.verb) == ("deployments", "web", "get")
    assert third.subject.username == "system:serviceaccount:ns:robot" and third.path == "/healthz"
    assert third.subject.groups == ("system:serviceaccounts", "system:serviceaccounts:ns")
    assert not third.resource_request


@pytest.mark.parametrize(("call", "message"), [
    (lambda a: authz.functions()["path"](a, "  "), "path must not be empty"),
    (lambda a: authz.functions()["resource"](authz.functions()["group"](a, "apps"), ""), "resource must not be empty"),
    (lambda a: authz.functions()["serviceAccount"](a, "ns", "Bad_Name"), "Invalid service account name"),
    (lambda a: authz.functions()["serviceAccount"](a, "a.b", "ok"), "Invalid service account namespace"),
    (lambda a: authz.functions()["check"](authz.functions()["path"](a, "/x"), "get"), "no authorizer"),
])
def test_authz_refusals(call: Any, message: str) -> None:
    with pytest.raises(kubecel.LibraryError, match=message):
        call(authz.authorizer_value(authz.Subject("alice")))
