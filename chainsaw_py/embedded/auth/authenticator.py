"""Client-certificate and bearer-token authentication, and impersonation (``Impersonate-User``, ``-Group``, ``-Uid``, ``-Extra-*``).

Tokens: the generated kubeconfig's admin token, static users declared at start (kube-apiserver's
``--token-auth-file`` CSV: ``token,user,uid,"group1,group2"``) and ServiceAccount tokens from TokenRequest
(the ServiceAccount must still exist with the same uid). A client certificate is asked first, as
kube-apiserver's union of authenticators does (x509 before tokens); one that fails falls through to the token.
"""

from __future__ import annotations

import csv
import hmac
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from chainsaw_py.embedded.auth.identity import ADMIN, UserInfo
from chainsaw_py.embedded.auth.tokens import ServiceAccountTokens
from chainsaw_py.embedded.auth.x509 import CertificateError, ClientCertificates
from chainsaw_py.embedded.store import Store

AUTHENTICATED = "system:authenticated"


@dataclass(frozen=True)
class StaticUser:
    token: str
    user: UserInfo


class TokenFileError(ValueError):
    pass


def read_token_file(path: Path) -> list[StaticUser]:
    """Users from a kube-apiserver token file; raises TokenFileError naming the file and line."""
    try:
        text = path.read_text()
    except OSError as err:
        raise TokenFileError(f"{path}: {err.strerror}") from None
    return parse_token_csv(text, str(path))


def parse_token_csv(text: str, source: str) -> list[StaticUser]:
    users: list[StaticUser] = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or row[0].startswith("#"):
            continue
        if len(row) < 3 or not row[0] or not row[1]:
            raise TokenFileError(f"{source}:{number}: expected token,user,uid[,\"group1,group2\"], got {len(row)} "
                                 "fields")
        groups = tuple(group.strip() for group in row[3].split(",") if group.strip()) if len(row) > 3 else ()
        users.append(StaticUser(row[0], UserInfo(row[1], groups, row[2])))
    return users


def service_account_user(namespace: str, name: str, uid: str = "") -> UserInfo:
    return UserInfo(f"system:serviceaccount:{namespace}:{name}",
                    ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", AUTHENTICATED), uid)


class Authenticator:
    def __init__(self, admin_token: str, store: Store, tokens: ServiceAccountTokens,
                 static_users: Iterable[StaticUser] = (), client_certificates: ClientCertificates | None = None
                 ) -> None:
        self._admin_token = admin_token
        self.client_certificates = client_certificates
        self._store = store
        self.tokens = tokens
        self._static = {user.token: user.user for user in static_users}

    def authenticate_request(self, authorization: str, certificate: bytes | None) -> tuple[UserInfo | None, bool]:
        """(the user, or None; whether a presented client certificate was rejected)."""
        failed = False
        if certificate and self.client_certificates is not None:
            try:
                user = self.client_certificates.authenticate(certificate)
            except CertificateError:
                user, failed = None, True
            if user is not None:
                return _authenticated(user), False
        return self.authenticate(authorization), failed

    def authenticate(self, authorization: str) -> UserInfo | None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        token = token.strip()
        if hmac.compare_digest(token, self._admin_token):
            return ADMIN
        static = self._static.get(token)
        if static is not None:
            return _authenticated(static)
        return self._service_account(token)

    def _service_account(self, token: str) -> UserInfo | None:
        claims = self.tokens.verify(token)
        if claims is None:
            return None
        account = self._store.get("", "serviceaccounts", claims.namespace, claims.name)
        if account is None or (claims.uid and account.obj["metadata"].get("uid") != claims.uid):
            return None
        if claims.secret and self._store.get("", "secrets", claims.namespace, claims.secret) is None:
            return None
        return service_account_user(claims.namespace, claims.name, claims.uid)


def _authenticated(user: UserInfo) -> UserInfo:
    """The user with ``system:authenticated`` (kube-apiserver's group adder after a successful authenticator)."""
    if AUTHENTICATED in user.groups:
        return user
    return UserInfo(user.username, (*user.groups, AUTHENTICATED), user.uid, user.extra)


@dataclass(frozen=True)
class ImpersonationRequest:
    """What a request asks to be treated as, and the (verb "impersonate") checks that must pass first."""

    user: UserInfo
    checks: tuple[tuple[str, str, str, str], ...]     # (api group, resource, namespace, name)


def impersonation(header: Callable[[str], str], extra_headers: dict[str, str]) -> ImpersonationRequest | None:
    username = header("impersonate-user")
    groups = [group.strip() for group in header("impersonate-group").split(",") if group.strip()]
    uid = header("impersonate-uid")
    if not username:
        return None
    checks: list[tuple[str, str, str, str]] = []
    if username.startswith("system:serviceaccount:") and username.count(":") == 3:
        _prefix, _kind, namespace, name = username.split(":")
        checks.append(("", "serviceaccounts", namespace, name))
        if not groups:
            groups = ["system:serviceaccounts", f"system:serviceaccounts:{namespace}"]
    else:
        checks.append(("", "users", "", username))
    checks += [("", "groups", "", group) for group in groups]
    if uid:
        checks.append(("authentication.k8s.io", "uids", "", uid))
    extra: dict[str, tuple[str, ...]] = {}
    for key, value in extra_headers.items():
        values = tuple(part.strip() for part in value.split(",") if part.strip())
        extra[key] = values
        checks += [("authentication.k8s.io", f"userextras/{key}", "", part) for part in values]
    if username != "system:anonymous" and AUTHENTICATED not in groups:
        groups.append(AUTHENTICATED)
    return ImpersonationRequest(UserInfo(username, tuple(groups), uid, extra), tuple(checks))
