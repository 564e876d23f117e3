"""The token controller: a Secret of type ``kubernetes.io/service-account-token`` annotated with
``kubernetes.io/service-account.name`` gets ``data.token`` (a long-lived token of that ServiceAccount, valid
while the Secret and the ServiceAccount exist), ``data.ca.crt`` and ``data.namespace``, and the
``kubernetes.io/service-account.uid`` annotation."""

from __future__ import annotations

import base64
from typing import Any

from chainsaw_py.embedded.auth.tokens import ServiceAccountTokens
from chainsaw_py.embedded.controllers.base import TypedController
from chainsaw_py.embedded.controllers.context import ReconcileContext, Runtime

TOKEN_TYPE = "kubernetes.io/service-account-token"
ACCOUNT_ANNOTATION = "kubernetes.io/service-account.name"
UID_ANNOTATION = "kubernetes.io/service-account.uid"
_TEN_YEARS = 10 * 365 * 24 * 3600


def token_controller(runtime: Runtime, tokens: ServiceAccountTokens, ca_pem: bytes | None) -> TypedController:
    def reconcile(secret: dict[str, Any], ctx: ReconcileContext) -> None:
        meta = secret["metadata"]
        account_name = (meta.get("annotations") or {}).get(ACCOUNT_ANNOTATION)
        if secret.get("type") != TOKEN_TYPE or not account_name or (secret.get("data") or {}).get("token"):
            return
        account = ctx.get("v1", "ServiceAccount", str(account_name), meta["namespace"])
        if account is None:
            return
        uid = str(account["metadata"].get("uid", ""))
        token, _expires = tokens.issue(meta["namespace"], str(account_name), uid, _TEN_YEARS, [],
                                       {"kind": "Secret", "name": meta["name"], "uid": meta.get("uid", "")})
        data = dict(secret.get("data") or {})
        data["token"] = _b64(token.encode())
        data["namespace"] = _b64(meta["namespace"].encode())
        if ca_pem:
            data["ca.crt"] = _b64(ca_pem)
        secret["data"] = data
        meta.setdefault("annotations", {})[UID_ANNOTATION] = uid
        ctx.update(secret)

    return TypedController("token-controller", "", "secrets", "Secret", reconcile,
                           watches=(("", "serviceaccounts", lambda event: _token_secrets(runtime, event)),))


def _token_secrets(runtime: Runtime, event: Any) -> list[tuple[str, str]]:
    items, _rv = runtime.server.store.list("", "secrets", event.namespace)
    name = event.obj["metadata"]["name"]
    return [(event.namespace, item.obj["metadata"]["name"]) for item in items
            if item.obj.get("type") == TOKEN_TYPE
            and (item.obj["metadata"].get("annotations") or {}).get(ACCOUNT_ANNOTATION) == name]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
