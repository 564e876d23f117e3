"""ServiceAccount tokens: JWTs like the apiserver's bound tokens (``sub: system:serviceaccount:<ns>:<name>``,
``kubernetes.io`` claims, ``exp``), signed with a key made at start (HS256) so that they can be verified
without keeping them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

ISSUER = "https://kubernetes.default.svc.cluster.local"
_MAX_VERIFIED = 1024


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class ServiceAccountClaims:
    namespace: str
    name: str
    uid: str
    expires: int
    secret: str = ""          # legacy Secret-based tokens: the Secret that must still exist


class ServiceAccountTokens:
    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._verified: dict[str, ServiceAccountClaims] = {}     # tokens whose signature was checked; bounded

    def issue(self, namespace: str, name: str, uid: str, seconds: int, audiences: list[str],
              bound: dict[str, Any] | None = None) -> tuple[str, int]:
        """A signed token and its expiry (Unix seconds)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "aud": audiences, "exp": now + seconds, "iat": now, "iss": ISSUER, "nbf": now,
            "jti": secrets.token_hex(16),
            "kubernetes.io": {"namespace": namespace, "serviceaccount": {"name": name, "uid": uid}},
            "sub": f"system:serviceaccount:{namespace}:{name}"}
        if bound:
            claims["kubernetes.io"][str(bound.get("kind", "")).lower() or "object"] = {
                "name": bound.get("name", ""), "uid": bound.get("uid", "")}
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signature = _b64(hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        return f"{header}.{payload}.{signature}", now + seconds

    def verify(self, token: str) -> ServiceAccountClaims | None:
        """The claims of a token this cluster signed and that has not expired; None otherwise."""
        claims = self._verified.get(token)
        if claims is None:
            claims = self._signed_claims(token)
            if claims is None:
                return None
            if len(self._verified) >= _MAX_VERIFIED:
                self._verified.clear()
            self._verified[token] = claims
        return claims if claims.expires > time.time() else None

    def _signed_claims(self, token: str) -> ServiceAccountClaims | None:
        parts = token.split(".")
        if len(parts) != 3:
            return None
        expected = _b64(hmac.new(self._key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, parts[2]):
            return None
        try:
            claims = json.loads(_unb64(parts[1]))
            account = claims["kubernetes.io"]
            result = ServiceAccountClaims(str(account["namespace"]), str(account["serviceaccount"]["name"]),
                                          str(account["serviceaccount"].get("uid", "")), int(claims["exp"]),
                                          str((account.get("secret") or {}).get("name", "")))
        except (ValueError, KeyError, TypeError):
            return None
        return result
