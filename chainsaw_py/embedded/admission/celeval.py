"""CEL evaluation for admission (webhook matchConditions, ValidatingAdmissionPolicy): programs cached by
``celrules``, evaluated in ``celenv``'s admission environment (the standard library, the ``cel`` package's
extensions and the Kubernetes CEL libraries, Authz included: bind an authorizer with ``kubecel.authz.bound``)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from chainsaw_py.embedded import celenv
from chainsaw_py.embedded.admission.types import AdmissionAttributes
from chainsaw_py.embedded.auth.attributes import RequestAttributes
from chainsaw_py.embedded.auth.identity import UserInfo
from chainsaw_py.embedded.auth.rbac import Decision
from chainsaw_py.embedded.celrules import RuleCompileError, compile_rule
from chainsaw_py.kubecel import authz

ADMISSION_VARIABLES = ("object", "oldObject", "request", "params", "namespaceObject", "variables", "authorizer")


Authorizer = Callable[[RequestAttributes], Decision]


class CelError(Exception):
    pass


def request_variable(review: dict[str, Any]) -> dict[str, Any]:
    """``request`` as CEL sees it: the AdmissionRequest without ``object`` and ``oldObject`` (which are
    variables of their own)."""
    return {key: value for key, value in review.items() if key not in ("object", "oldObject")}


def authorizer_variable(attrs: AdmissionAttributes) -> dict[str, Any]:
    """``authorizer`` for the requesting user, with ``authorizer.requestResource`` = the request's resource."""
    user = attrs.user
    subject = authz.Subject(user.username, user.groups, user.uid,
                            {key: list(values) for key, values in user.extra.items()})
    resource = {"group": attrs.rt.group, "resource": attrs.rt.plural, "subresource": attrs.subresource,
                "namespace": attrs.namespace, "name": attrs.name}
    return authz.authorizer_value(subject, resource)


@contextlib.contextmanager
def authorizing(authorizer: Authorizer | None) -> Iterator[None]:
    """Answer the Authz library's checks made in this block with ``authorizer`` (None: everything allowed)."""
    def decide(check: authz.CheckAttributes) -> authz.Decision:
        if authorizer is None:
            return authz.Decision("allow")
        subject = check.subject
        user = UserInfo(subject.username, subject.groups, subject.uid,
                        {key: tuple(values) for key, values in subject.extra.items()})
        attributes = RequestAttributes(user, check.verb, check.resource_request, check.group, "*", check.resource,
                                       check.subresource, check.namespace, check.name, check.path)
        decision = authorizer(attributes)
        return authz.Decision("allow" if decision.allowed else "noOpinion", decision.reason)

    with authz.bound(decide):
        yield


def evaluate(expression: str, variables: dict[str, Any]) -> Any:
    try:
        program = compile_rule(expression)
    except RuleCompileError as err:
        raise CelError(f"compilation failed: {err}") from None
    try:
        return celenv.execute(program, "admission", {name: variables.get(name) for name in ADMISSION_VARIABLES})
    except RuntimeError as err:
        raise CelError(str(err)) from None


def evaluate_condition(expression: str, variables: dict[str, Any]) -> bool:
    result = evaluate(expression, variables)
    if not isinstance(result, bool):
        raise CelError(f"expected bool, got {type(result).__name__}")
    return result
