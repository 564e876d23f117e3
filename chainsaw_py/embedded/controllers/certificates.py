"""The CSR signing controller (kube-controller-manager's csrsigning): an approved, not failed
CertificateSigningRequest of one of the kubernetes.io signers it serves, without a certificate yet, gets
``status.certificate`` issued by the cluster CA; a request the signer refuses (usages, kubelet subject) gets a
``Failed`` condition with reason ``SignerValidationFailure``. ``kubernetes.io/legacy-unknown`` and other signers'
requests are left alone."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from chainsaw_py.embedded.controllers.base import TypedController
from chainsaw_py.embedded.controllers.context import ReconcileContext
from chainsaw_py.embedded.tls import (
    ServerCertificates,
    SigningError,
    parse_certificate_request,
    sign_certificate_request,
)

API_SERVER_CLIENT = "kubernetes.io/kube-apiserver-client"
KUBELET_CLIENT = "kubernetes.io/kube-apiserver-client-kubelet"
KUBELET_SERVING = "kubernetes.io/kubelet-serving"
_SIGNING_SECONDS = 365 * 24 * 3600     # --cluster-signing-duration
_MINIMUM_SECONDS = 600


def _client_usages(usages: list[str]) -> None:
    for usage in usages:
        if usage not in ("digital signature", "key encipherment", "client auth"):
            raise SigningError(f"invalid usage for client certificate: {usage}")
    if "client auth" not in usages:
        raise SigningError("missing required usage for client certificate: client auth")


def _kubelet_usages(usages: list[str], purpose: str) -> None:
    """ValidateKubelet{Client,Serving}CSR: exactly the required usages, ``key encipherment`` optional (not RSA);
    the message prints the sorted set as Go's %v does."""
    required = {"digital signature", "key encipherment", purpose}
    if set(usages) not in (required, required - {"key encipherment"}):
        raise SigningError(f"usages did not match [{' '.join(sorted(required))}]")


def _kubelet_subject(request: Any, serving: bool) -> None:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    organizations = [str(a.value) for a in request.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    names = [str(a.value) for a in request.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if organizations != ["system:nodes"]:
        raise SigningError("subject organization is not system:nodes")
    if not names or not names[0].startswith("system:node:"):
        raise SigningError("subject common name does not begin with system:node:")
    try:
        alternatives = request.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        alternatives = x509.SubjectAlternativeName([])
    if alternatives.get_values_for_type(x509.RFC822Name):
        raise SigningError("email subjectAltNames are not allowed")
    if alternatives.get_values_for_type(x509.UniformResourceIdentifier):
        raise SigningError("URI subjectAltNames are not allowed")
    dns, addresses = alternatives.get_values_for_type(x509.DNSName), alternatives.get_values_for_type(x509.IPAddress)
    if not serving and (dns or addresses):
        raise SigningError("DNS or IP subjectAltNames are not allowed")
    if serving and not dns and not addresses:
        raise SigningError("DNS or IP subjectAltName is required")


def _validators() -> dict[str, Callable[[Any, list[str]], None]]:
    def kubelet_client(request: Any, usages: list[str]) -> None:
        _kubelet_subject(request, serving=False)
        _kubelet_usages(usages, "client auth")

    def kubelet_serving(request: Any, usages: list[str]) -> None:
        _kubelet_subject(request, serving=True)
        _kubelet_usages(usages, "server auth")

    return {API_SERVER_CLIENT: lambda _request, usages: _client_usages(usages), KUBELET_CLIENT: kubelet_client,
            KUBELET_SERVING: kubelet_serving}


def _condition(status: dict[str, Any], kind: str) -> bool:
    return any(isinstance(c, dict) and c.get("type") == kind and c.get("status") == "True"
               for c in status.get("conditions") or [])


def csr_signing_controller(authority: ServerCertificates) -> TypedController:
    validators = _validators()

    def reconcile(csr: dict[str, Any], ctx: ReconcileContext) -> None:
        spec, status = csr.get("spec") or {}, csr.get("status") or {}
        validate = validators.get(str(spec.get("signerName", "")))
        if validate is None or status.get("certificate") or not _condition(status, "Approved") \
                or _condition(status, "Failed"):
            return
        usages = [str(usage) for usage in spec.get("usages") or []]
        try:
            request_pem = base64.b64decode(str(spec.get("request", "")), validate=True)
            request = parse_certificate_request(request_pem)
        except (binascii.Error, SigningError):
            return      # kube-controller-manager logs "unable to parse csr" and retries
        seconds = _SIGNING_SECONDS
        if isinstance(spec.get("expirationSeconds"), int):
            seconds = min(seconds, max(_MINIMUM_SECONDS, spec["expirationSeconds"]))
        try:
            validate(request, usages)
        except SigningError as err:
            conditions = list(status.get("conditions") or [])
            now = ctx.now()
            conditions.append({"type": "Failed", "status": "True", "reason": "SignerValidationFailure",
                               "message": str(err), "lastUpdateTime": now, "lastTransitionTime": now})
            csr["status"] = {**status, "conditions": conditions}
            ctx.update_status(csr)
            return
        certificate = sign_certificate_request(authority, request_pem, usages, seconds)
        csr["status"] = {**status, "certificate": base64.b64encode(certificate).decode()}
        ctx.update_status(csr)

    return TypedController("csrsigning", "certificates.k8s.io", "certificatesigningrequests",
                           "CertificateSigningRequest", reconcile)
