"""Client-certificate authentication as kube-apiserver's x509 authenticator
(staging/src/k8s.io/apiserver/pkg/authentication/request/x509): a certificate that the client CA signed, within
its validity and usable for client authentication, authenticates as its subject's common name, with its
organizations as groups; a certificate without a common name authenticates nobody (the next authenticator is
asked); an invalid one is an error (401 unless a token authenticates)."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from chainsaw_py.embedded.auth.identity import UserInfo

_CACHE_LIMIT = 256


class CertificateError(Exception):
    """The presented certificate does not authenticate: the message is kube-apiserver's reason."""


class ClientCertificates:
    """Verifies DER client certificates against the client CA; parsed certificates are cached (bounded), the
    validity period is checked on every request."""

    def __init__(self, ca_pem: bytes) -> None:
        from cryptography import x509

        self._ca = x509.load_pem_x509_certificate(ca_pem)
        self._lock = threading.Lock()
        self._verified: dict[bytes, tuple[Any, UserInfo | None]] = {}

    def authenticate(self, der: bytes) -> UserInfo | None:
        """The user of a certificate, None when it has no common name; raises CertificateError."""
        with self._lock:
            cached = self._verified.get(der)
        if cached is None:
            cached = self._verify(der)
            with self._lock:
                if len(self._verified) >= _CACHE_LIMIT:
                    self._verified.pop(next(iter(self._verified)))
                self._verified[der] = cached
        certificate, user = cached
        now = dt.datetime.now(dt.UTC)
        if now < certificate.not_valid_before_utc:
            relation, bound = "before", certificate.not_valid_before_utc
        elif now > certificate.not_valid_after_utc:
            relation, bound = "after", certificate.not_valid_after_utc
        else:
            return user
        raise CertificateError("verifying certificate: x509: certificate has expired or is not yet valid: "
                               f"current time {now:%Y-%m-%dT%H:%M:%SZ} is {relation} {bound:%Y-%m-%dT%H:%M:%SZ}")

    def _verify(self, der: bytes) -> tuple[Any, UserInfo | None]:
        from cryptography import x509
        from cryptography.exceptions import InvalidSignature
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        try:
            certificate = x509.load_der_x509_certificate(der)
            certificate.verify_directly_issued_by(self._ca)
        except (ValueError, TypeError, InvalidSignature) as err:
            raise CertificateError(f"verifying certificate: x509: certificate signed by unknown authority ({err})") \
                from None
        try:
            usages = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            usages = None
        if usages is not None and ExtendedKeyUsageOID.CLIENT_AUTH not in usages \
                and ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE not in usages:
            raise CertificateError("verifying certificate: x509: certificate specifies an incompatible key usage")
        names = [str(a.value) for a in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
        if not names or not names[0]:
            return certificate, None
        groups = tuple(str(a.value) for a in certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME))
        return certificate, UserInfo(names[0], groups)
