"""``x509_decode`` as Go's ``encoding/json`` writes ``x509.Certificate`` and ``x509.CertificateRequest``.

The vectors in ``data/x509`` are kyverno-json's reference table (``pkg/jp/kyverno/functions_test.go``,
Apache-2.0): two certificates and a certificate request with the exact objects Go produces for them. The
other tests build certificates carrying the extensions those vectors lack.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest

from chainsaw_py.expressions import Bindings, evaluate

DATA = Path(__file__).parent / "data" / "x509"
CERTIFICATE_FIELDS = [
    "Raw", "RawTBSCertificate", "RawSubjectPublicKeyInfo", "RawSubject", "RawIssuer", "Signature",
    "SignatureAlgorithm", "PublicKeyAlgorithm", "PublicKey", "Version", "SerialNumber", "Issuer", "Subject",
    "NotBefore", "NotAfter", "KeyUsage", "Extensions", "ExtraExtensions", "UnhandledCriticalExtensions",
    "ExtKeyUsage", "UnknownExtKeyUsage", "BasicConstraintsValid", "IsCA", "MaxPathLen", "MaxPathLenZero",
    "SubjectKeyId", "AuthorityKeyId", "OCSPServer", "IssuingCertificateURL", "DNSNames", "EmailAddresses",
    "IPAddresses", "URIs", "PermittedDNSDomainsCritical", "PermittedDNSDomains", "ExcludedDNSDomains",
    "PermittedIPRanges", "ExcludedIPRanges", "PermittedEmailAddresses", "ExcludedEmailAddresses",
    "PermittedURIDomains", "ExcludedURIDomains", "CRLDistributionPoints", "PolicyIdentifiers",
]


def _decode(pem: str) -> Any:
    return evaluate("x509_decode($pem)", None, Bindings().register("pem", pem))


@pytest.mark.parametrize("name", ["kyverno-svc", "xx-ca", "digicert-request"])
def test_reference_vectors(name: str) -> None:
    expected = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    decoded = _decode((DATA / f"{name}.pem").read_text(encoding="utf-8"))
    assert decoded == expected
    if "RawTBSCertificate" in expected:
        assert list(decoded) == CERTIFICATE_FIELDS  # Go's field order


def test_reference_vector_through_base64_decode() -> None:
    pem = (DATA / "kyverno-svc.pem").read_text(encoding="utf-8")
    encoded = base64.b64encode(pem.encode()).decode()
    decoded = evaluate("x509_decode(base64_decode($b64))", None, Bindings().register("b64", encoded))
    assert decoded == json.loads((DATA / "kyverno-svc.json").read_text(encoding="utf-8"))


def _key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


def _pem(built: Any) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding

    return str(built.public_bytes(Encoding.PEM).decode())


def test_certificate_extensions_go_always_writes() -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

    key = _key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "full")])
    uri = x509.UniformResourceIdentifier
    now = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(7).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.AuthorityInformationAccess([
            x509.AccessDescription(AuthorityInformationAccessOID.OCSP, uri("http://ocsp.example")),
            x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS, uri("http://ca.example/ca.crt"))]),
            critical=False)
        .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            [uri("http://crl.example/a.crl")], None, None, None)]), critical=False)
        .add_extension(x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier("2.23.140.1.2.1"),
                                                                        None)]), critical=False)
        .add_extension(x509.NameConstraints(
            permitted_subtrees=[x509.DNSName("example.com"), x509.IPAddress(ipaddress.ip_network("10.0.0.0/8")),
                                x509.RFC822Name("example.com"), uri(".example.com")],
            excluded_subtrees=[x509.DNSName("bad.example.com")]), critical=True)
        .add_extension(x509.SubjectAlternativeName([uri("https://user@svc.example:8443/p?q=1#f")]), critical=False)
        .sign(key, hashes.SHA256()))
    decoded = _decode(_pem(certificate))
    assert list(decoded) == CERTIFICATE_FIELDS
    assert decoded["OCSPServer"] == ["http://ocsp.example"]
    assert decoded["IssuingCertificateURL"] == ["http://ca.example/ca.crt"]
    assert decoded["CRLDistributionPoints"] == ["http://crl.example/a.crl"]
    assert decoded["PolicyIdentifiers"] == [[2, 23, 140, 1, 2, 1]]
    assert decoded["PermittedDNSDomainsCritical"] is True
    assert decoded["PermittedDNSDomains"] == ["example.com"]
    assert decoded["ExcludedDNSDomains"] == ["bad.example.com"]
    assert decoded["PermittedIPRanges"] == [{"IP": "10.0.0.0", "Mask": "/wAAAA=="}]
    assert decoded["ExcludedIPRanges"] is None
    assert decoded["PermittedEmailAddresses"] == ["example.com"]
    assert decoded["PermittedURIDomains"] == [".example.com"]
    assert decoded["URIs"] == [{"Scheme": "https", "Opaque": "", "User": {}, "Host": "svc.example:8443",
                                "Path": "/p", "RawPath": "", "OmitHost": False, "ForceQuery": False,
                                "RawQuery": "q=1", "Fragment": "f", "RawFragment": ""}]
    assert decoded["BasicConstraintsValid"] is False and decoded["MaxPathLen"] == 0  # Go's zero values


def test_request_alternative_names_and_no_extensions() -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    key = _key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "req")])
    plain = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    decoded = _decode(_pem(plain))
    assert decoded["Extensions"] is None and decoded["Attributes"] is None
    with_names = (x509.CertificateSigningRequestBuilder().subject_name(subject)
                  .add_extension(x509.SubjectAlternativeName([x509.DNSName("a.example"),
                                                              x509.IPAddress(ipaddress.ip_address("10.1.2.3"))]),
                                 critical=False)
                  .sign(key, hashes.SHA256()))
    decoded = _decode(_pem(with_names))
    assert decoded["DNSNames"] == ["a.example"] and decoded["IPAddresses"] == ["10.1.2.3"]
    assert decoded["Extensions"][0]["Id"] == [2, 5, 29, 17]
    assert decoded["Attributes"][0]["Type"] == [1, 2, 840, 113549, 1, 9, 14]
    assert decoded["Attributes"][0]["Value"][0][0]["Value"] == decoded["Extensions"][0]["Value"]
