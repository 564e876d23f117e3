"""A throwaway certificate authority and a server certificate for 127.0.0.1, made at start-up.

kubectl (client-go) only sends a kubeconfig's bearer token over TLS, so the embedded API server speaks
HTTPS; the CA goes into the kubeconfig (``certificate-authority-data``) and the ``kube-root-ca.crt``
ConfigMaps. EC P-256 keys keep generation to a few milliseconds.

The same CA is the cluster's client CA (kube-apiserver's ``--client-ca-file``) and the key of the CSR signers
(kube-controller-manager's ``--cluster-signing-cert-file``): the server asks for a client certificate without
requiring one, and OpenSSL refuses a presented certificate that does not chain to this CA during the handshake
(kube-apiserver answers 401 instead: Python's ssl module cannot request a certificate without verifying it).
"""

from __future__ import annotations

import datetime as dt
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ServerCertificates:
    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes
    ca_key_pem: bytes = b""

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.set_alpn_protocols(["http/1.1"])
        context.verify_mode = ssl.CERT_OPTIONAL
        context.load_verify_locations(cadata=self.ca_pem.decode())
        with tempfile.TemporaryDirectory(prefix="chainsaw-embedded-tls-") as directory:
            cert_file, key_file = Path(directory) / "tls.crt", Path(directory) / "tls.key"
            cert_file.write_bytes(self.cert_pem + self.ca_pem)
            key_file.write_bytes(self.key_pem)
            key_file.chmod(0o600)
            context.load_cert_chain(cert_file, key_file)
        return context


def generate_certificates(common_name: str = "chainsaw-embedded") -> ServerCertificates:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{common_name}-ca")])
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=365))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                            crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
               .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.DNSName("kubernetes"), x509.DNSName("kubernetes.default"),
             x509.DNSName("kubernetes.default.svc"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
             x509.IPAddress(ipaddress.ip_address("10.96.0.1"))]
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    pkcs8, clear = serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    return ServerCertificates(
        ca_pem=ca_cert.public_bytes(pem), cert_pem=cert.public_bytes(pem), key_pem=key.private_bytes(pem, pkcs8, clear),
        ca_key_pem=ca_key.private_bytes(pem, pkcs8, clear))


class SigningError(ValueError):
    """A certificate request that cannot be signed (unparseable, bad signature)."""


_KEY_USAGES = ("digital signature", "content commitment", "key encipherment", "data encipherment", "key agreement",
               "cert sign", "crl sign", "encipher only", "decipher only")
_EXTENDED_USAGES = {"server auth": "SERVER_AUTH", "client auth": "CLIENT_AUTH", "code signing": "CODE_SIGNING",
                    "email protection": "EMAIL_PROTECTION", "timestamping": "TIME_STAMPING",
                    "ocsp signing": "OCSP_SIGNING"}


def parse_certificate_request(request_pem: bytes) -> Any:
    """The x509 CertificateRequest of PEM bytes with a valid self-signature; raises SigningError."""
    from cryptography import x509

    try:
        request = x509.load_pem_x509_csr(request_pem)
    except ValueError as err:
        raise SigningError(f"PEM block type must be CERTIFICATE REQUEST: {err}") from None
    if not request.is_signature_valid:
        raise SigningError("x509: ECDSA/RSA verification failure")
    return request


def sign_certificate_request(authority: ServerCertificates, request_pem: bytes, usages: list[str],
                             seconds: int) -> bytes:
    """The PEM certificate the CA issues for a CSR, as kube-controller-manager's local signer does: subject and
    subject alternative names of the request, the requested key and extended key usages, valid from five
    minutes ago (clock skew) for ``seconds``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID

    request = parse_certificate_request(request_pem)
    ca_cert = x509.load_pem_x509_certificate(authority.ca_pem)
    ca_key = serialization.load_pem_private_key(authority.ca_key_pem, None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    flags = {name.replace(" ", "_"): name in usages for name in _KEY_USAGES}
    key_usage = x509.KeyUsage(
        digital_signature=flags["digital_signature"], content_commitment=flags["content_commitment"],
        key_encipherment=flags["key_encipherment"], data_encipherment=flags["data_encipherment"],
        key_agreement=flags["key_agreement"], key_cert_sign=flags["cert_sign"], crl_sign=flags["crl_sign"],
        encipher_only=flags["encipher_only"], decipher_only=flags["decipher_only"])
    extended = [getattr(ExtendedKeyUsageOID, _EXTENDED_USAGES[usage]) for usage in usages if usage in _EXTENDED_USAGES]
    builder = (x509.CertificateBuilder().subject_name(request.subject).issuer_name(ca_cert.subject)
               .public_key(request.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(seconds=seconds))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                              critical=False))
    if any(flags.values()):
        builder = builder.add_extension(key_usage, critical=True)
    if extended:
        builder = builder.add_extension(x509.ExtendedKeyUsage(extended), critical=False)
    try:
        names = request.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        builder = builder.add_extension(names, critical=False)
    except x509.ExtensionNotFound:
        pass
    return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
