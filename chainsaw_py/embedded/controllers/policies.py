"""The ValidatingAdmissionPolicy status controller: after each change of a policy's spec it writes
``status.observedGeneration`` and ``status.typeChecking`` (the expression warnings of admission/typechecking.py),
as kube-apiserver's policy controller does."""

from __future__ import annotations

from typing import Any

from chainsaw_py.embedded.admission.typechecking import check_policy
from chainsaw_py.embedded.controllers.base import TypedController
from chainsaw_py.embedded.controllers.context import ReconcileContext, Runtime

_GROUP = "admissionregistration.k8s.io"


def policy_status_controller(runtime: Runtime) -> TypedController:
    def reconcile(policy: dict[str, Any], ctx: ReconcileContext) -> None:
        generation = (policy.get("metadata") or {}).get("generation")
        status = policy.get("status") or {}
        if status.get("observedGeneration") == generation and "typeChecking" in status:
            return
        warnings = check_policy(policy, runtime.server.registry)
        policy["status"] = dict(status, observedGeneration=generation,
                                typeChecking={"expressionWarnings": warnings} if warnings else {})
        ctx.update_status(policy)

    return TypedController("validatingadmissionpolicy-status-controller", _GROUP, "validatingadmissionpolicies",
                           "ValidatingAdmissionPolicy", reconcile)
