"""``x509_decode``: a PEM certificate or certificate request as the JSON encoding of Go's
``x509.Certificate`` / ``x509.CertificateRequest`` (field names as Go spells them, byte slices in
base64, times in RFC 3339, the RSA public key as ``{"N": "<decimal>", "E": <int>}``)."""

from __future__ import annotations

import base64
import datetime as _dt
import warnings
from typing import Any

from chainsaw_py.grammar.errors import ExpressionError

# Go's x509.SignatureAlgorithm and PublicKeyAlgorithm enums, by OID
_SIGNATURE_ALGORITHMS = {
    "1.2.840.113549.1.1.2": 1, "1.2.840.113549.1.1.4": 2, "1.2.840.113549.1.1.5": 3,
    "1.2.840.113549.1.1.11": 4, "1.2.840.113549.1.1.12": 5, "1.2.840.113549.1.1.13": 6,
    "1.2.840.10040.4.3": 7, "2.16.840.1.101.3.4.3.2": 8, "1.2.840.10045.4.1": 9,
    "1.2.840.10045.4.3.2": 10, "1.2.840.10045.4.3.3": 11, "1.2.840.10045.4.3.4": 12,
    "1.2.840.113549.1.1.10": 13, "1.3.101.112": 16,
}
_RSA = 1
_EXT_KEY_USAGES = {
    "2.5.29.37.0": 0, "1.3.6.1.5.5.7.3.1": 1, "1.3.6.1.5.5.7.3.2": 2, "1.3.6.1.5.5.7.3.3": 3,
    "1.3.6.1.5.5.7.3.4": 4, "1.3.6.1.5.5.7.3.5": 5, "1.3.6.1.5.5.7.3.6": 6, "1.3.6.1.5.5.7.3.7": 7,
    "1.3.6.1.5.5.7.3.8": 8, "1.3.6.1.5.5.7.3.9": 9, "1.3.6.1.4.1.311.10.3.3": 10,
    "2.16.840.1.113730.4.1": 11, "1.3.6.1.4.1.311.2.1.22": 12, "1.3.6.1.4.1.311.61.1.1": 13,
}
_NAME_FIELDS = {
    "2.5.4.6": "Country", "2.5.4.10": "Organization", "2.5.4.11": "OrganizationalUnit",
    "2.5.4.7": "Locality", "2.5.4.8": "Province", "2.5.4.9": "StreetAddress", "2.5.4.17": "PostalCode",
}


def decode_pem(text: str) -> dict[str, Any]:
    with warnings.catch_warnings():
        # Go decodes what cryptography only warns about (a serial number of zero): nothing for the user to act on
        warnings.simplefilter("ignore")
        return _decode_pem(text)


def _decode_pem(text: str) -> dict[str, Any]:
    from cryptography import x509

    block_type, der = _pem_block(text)
    if block_type == "CERTIFICATE":
        try:
            certificate = x509.load_der_x509_certificate(der)
        except ValueError as error:
            raise ExpressionError(f"x509: malformed certificate: {error}") from None
        return _certificate(certificate)
    if block_type == "CERTIFICATE REQUEST":
        try:
            request = x509.load_der_x509_csr(der)
        except ValueError as error:
            raise ExpressionError(f"x509: malformed certificate request: {error}") from None
        return _request(request)
    raise ExpressionError("PEM block neither contains a CERTIFICATE or CERTIFICATE REQUEST")


def _pem_block(text: str) -> tuple[str, bytes]:
    lines = text.strip().splitlines()
    begin = next((i for i, line in enumerate(lines) if line.startswith("-----BEGIN ")), None)
    if begin is None:
        raise ExpressionError("failed to decode PEM block")
    block_type = lines[begin][len("-----BEGIN "):].rstrip("-").strip()
    end = next((i for i in range(begin + 1, len(lines)) if lines[i].startswith(f"-----END {block_type}")), None)
    if end is None:
        raise ExpressionError("failed to decode PEM block")
    body = "".join(line.strip() for line in lines[begin + 1:end] if ":" not in line)
    try:
        return block_type, base64.b64decode(body, validate=True)
    except ValueError:
        raise ExpressionError("failed to decode PEM block") from None


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _oid(dotted: str) -> list[int]:
    return [int(part) for part in dotted.split(".")]


def _name(name: Any) -> dict[str, Any]:
    from cryptography.x509.oid import NameOID

    result: dict[str, Any] = dict.fromkeys(_NAME_FIELDS.values())
    result.update({"SerialNumber": "", "CommonName": "", "Names": [], "ExtraNames": None})
    for attribute in name:
        dotted = attribute.oid.dotted_string
        value = attribute.value if isinstance(attribute.value, str) else _b64(attribute.value)
        result["Names"].append({"Type": _oid(dotted), "Value": value})
        if dotted in _NAME_FIELDS:
            field = _NAME_FIELDS[dotted]
            result[field] = [*(result[field] or []), value]
        elif attribute.oid == NameOID.COMMON_NAME:
            result["CommonName"] = value
        elif attribute.oid == NameOID.SERIAL_NUMBER:
            result["SerialNumber"] = value
    return result


def _public_key(key: Any) -> dict[str, Any]:
    from cryptography.hazmat.primitives.asymmetric import rsa

    if not isinstance(key, rsa.RSAPublicKey):
        raise ExpressionError("certificate should use rsa algorithm")
    numbers = key.public_numbers()
    return {"N": str(numbers.n), "E": numbers.e}


def _time(moment: _dt.datetime) -> str:
    return moment.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _extensions(extensions: Any) -> list[dict[str, Any]] | None:
    """Go's ``[]pkix.Extension``: id, criticality and the raw ``extnValue`` (nil when there is none)."""
    encoded = [{"Id": _oid(ext.oid.dotted_string), "Critical": ext.critical, "Value": _b64(_extension_der(ext))}
               for ext in extensions]
    return encoded or None


def _extension_der(extension: Any) -> bytes | None:
    try:
        return bytes(extension.value.public_bytes())
    except (AttributeError, NotImplementedError, ValueError):
        return None


def _certificate(certificate: Any) -> dict[str, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = certificate.public_key()
    public = _public_key(key)
    extensions = certificate.extensions
    found = _ExtensionLookup(extensions)
    basic = found.get(x509.BasicConstraints)
    ext_usage = found.get(x509.ExtendedKeyUsage)
    alternative = found.get(x509.SubjectAlternativeName)
    subject_key = found.get(x509.SubjectKeyIdentifier)
    authority_key = found.get(x509.AuthorityKeyIdentifier)
    access = found.get(x509.AuthorityInformationAccess)
    constraints = found.get(x509.NameConstraints)
    usages = [_EXT_KEY_USAGES[u.dotted_string] for u in ext_usage or [] if u.dotted_string in _EXT_KEY_USAGES]
    unknown_usages = [_oid(u.dotted_string) for u in ext_usage or [] if u.dotted_string not in _EXT_KEY_USAGES]
    return {
        "Raw": _b64(certificate.public_bytes(Encoding.DER)),
        "RawTBSCertificate": _b64(certificate.tbs_certificate_bytes),
        "RawSubjectPublicKeyInfo": _b64(key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)),
        "RawSubject": _b64(certificate.subject.public_bytes()),
        "RawIssuer": _b64(certificate.issuer.public_bytes()),
        "Signature": _b64(certificate.signature),
        "SignatureAlgorithm": _SIGNATURE_ALGORITHMS.get(certificate.signature_algorithm_oid.dotted_string, 0),
        "PublicKeyAlgorithm": _RSA,
        "PublicKey": public,
        "Version": certificate.version.value + 1,
        "SerialNumber": certificate.serial_number,
        "Issuer": _name(certificate.issuer),
        "Subject": _name(certificate.subject),
        "NotBefore": _time(certificate.not_valid_before_utc),
        "NotAfter": _time(certificate.not_valid_after_utc),
        "KeyUsage": _key_usage_bits(found.get(x509.KeyUsage)),
        "Extensions": _extensions(extensions),
        "ExtraExtensions": None,
        "UnhandledCriticalExtensions": None,
        "ExtKeyUsage": usages or None,
        "UnknownExtKeyUsage": unknown_usages or None,
        "BasicConstraintsValid": basic is not None,
        "IsCA": bool(basic and basic.ca),
        "MaxPathLen": _max_path_len(basic),
        "MaxPathLenZero": bool(basic and basic.path_length == 0),
        "SubjectKeyId": _b64(subject_key.digest) if subject_key else None,
        "AuthorityKeyId": _b64(authority_key.key_identifier) if authority_key else None,
        "OCSPServer": _access_urls(access, x509.oid.AuthorityInformationAccessOID.OCSP),
        "IssuingCertificateURL": _access_urls(access, x509.oid.AuthorityInformationAccessOID.CA_ISSUERS),
        **_alternative_names(alternative),
        "PermittedDNSDomainsCritical": bool(constraints is not None and found.critical(x509.NameConstraints)),
        **_name_constraints(constraints),
        "CRLDistributionPoints": _crl_points(found.get(x509.CRLDistributionPoints)),
        "PolicyIdentifiers": _policies(found.get(x509.CertificatePolicies)),
    }


class _ExtensionLookup:
    def __init__(self, extensions: Any) -> None:
        self.extensions = extensions

    def get(self, kind: Any) -> Any:
        extension = self._find(kind)
        return None if extension is None else extension.value

    def critical(self, kind: Any) -> bool:
        extension = self._find(kind)
        return bool(extension is not None and extension.critical)

    def _find(self, kind: Any) -> Any:
        from cryptography import x509

        try:
            return self.extensions.get_extension_for_class(kind)
        except x509.ExtensionNotFound:
            return None


def _max_path_len(basic: Any) -> int:
    """Go leaves 0 without basic constraints, and -1 when they set no path length."""
    if basic is None:
        return 0
    return -1 if basic.path_length is None else int(basic.path_length)


def _alternative_names(alternative: Any) -> dict[str, Any]:
    from cryptography import x509

    return {
        "DNSNames": _san(alternative, x509.DNSName),
        "EmailAddresses": _san(alternative, x509.RFC822Name),
        "IPAddresses": [str(ip) for ip in _san(alternative, x509.IPAddress) or []] or None,
        "URIs": [go_url(uri) for uri in _san(alternative, x509.UniformResourceIdentifier) or []] or None,
    }


def _access_urls(access: Any, method: Any) -> list[str] | None:
    from cryptography import x509

    urls = [description.access_location.value for description in access or []
            if description.access_method == method
            and isinstance(description.access_location, x509.UniformResourceIdentifier)]
    return urls or None


def _name_constraints(constraints: Any) -> dict[str, Any]:
    from cryptography import x509

    def subtrees(which: str, kind: Any) -> list[Any] | None:
        names = [name.value for name in getattr(constraints, which, None) or [] if isinstance(name, kind)]
        return names or None

    def ranges(which: str) -> list[dict[str, str]] | None:
        networks = subtrees(which, x509.IPAddress)
        return [_ip_net(network) for network in networks] if networks else None

    return {
        "PermittedDNSDomains": subtrees("permitted_subtrees", x509.DNSName),
        "ExcludedDNSDomains": subtrees("excluded_subtrees", x509.DNSName),
        "PermittedIPRanges": ranges("permitted_subtrees"),
        "ExcludedIPRanges": ranges("excluded_subtrees"),
        "PermittedEmailAddresses": subtrees("permitted_subtrees", x509.RFC822Name),
        "ExcludedEmailAddresses": subtrees("excluded_subtrees", x509.RFC822Name),
        "PermittedURIDomains": subtrees("permitted_subtrees", x509.UniformResourceIdentifier),
        "ExcludedURIDomains": subtrees("excluded_subtrees", x509.UniformResourceIdentifier),
    }


def _ip_net(network: Any) -> dict[str, str]:
    """Go's ``net.IPNet``: the address as text, the mask as bytes (base64)."""
    return {"IP": str(network.network_address), "Mask": base64.b64encode(network.netmask.packed).decode("ascii")}


def _crl_points(points: Any) -> list[str] | None:
    from cryptography import x509

    urls = [name.value for point in points or [] for name in point.full_name or []
            if isinstance(name, x509.UniformResourceIdentifier)]
    return urls or None


def _policies(policies: Any) -> list[list[int]] | None:
    identifiers = [_oid(policy.policy_identifier.dotted_string) for policy in policies or []]
    return identifiers or None


def go_url(text: str) -> dict[str, Any]:
    """Go's ``url.URL`` as ``encoding/json`` writes it (the struct's fields; user info has none exported)."""
    from urllib.parse import urlsplit

    parts = urlsplit(text)
    opaque = "" if not parts.scheme or parts.path.startswith("/") or parts.netloc else parts.path
    return {
        "Scheme": parts.scheme.lower(), "Opaque": opaque, "User": {} if "@" in parts.netloc else None,
        "Host": parts.netloc.rpartition("@")[2], "Path": "" if opaque else parts.path, "RawPath": "",
        "OmitHost": False, "ForceQuery": text.endswith("?") and not parts.query, "RawQuery": parts.query,
        "Fragment": parts.fragment, "RawFragment": "",
    }


def _san(alternative: Any, kind: Any) -> list[Any] | None:
    if alternative is None:
        return None
    values = alternative.get_values_for_type(kind)
    return list(values) or None


def _key_usage_bits(usage: Any) -> int:
    if usage is None:
        return 0
    flags = [usage.digital_signature, usage.content_commitment, usage.key_encipherment,
             usage.data_encipherment, usage.key_agreement, usage.key_cert_sign, usage.crl_sign]
    if usage.key_agreement:
        flags += [usage.encipher_only, usage.decipher_only]
    return sum(1 << index for index, flag in enumerate(flags) if flag)


def _request(request: Any) -> dict[str, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = request.public_key()
    return {
        "Raw": _b64(request.public_bytes(Encoding.DER)),
        "RawTBSCertificateRequest": _b64(request.tbs_certrequest_bytes),
        "RawSubjectPublicKeyInfo": _b64(key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)),
        "RawSubject": _b64(request.subject.public_bytes()),
        "Version": 0,
        "Signature": _b64(request.signature),
        "SignatureAlgorithm": _SIGNATURE_ALGORITHMS.get(request.signature_algorithm_oid.dotted_string, 0),
        "PublicKeyAlgorithm": _RSA,
        "PublicKey": _public_key(key),
        "Subject": _name(request.subject),
        "Attributes": _request_attributes(request),
        "Extensions": _extensions(request.extensions),
        "ExtraExtensions": None,
        **_alternative_names(_ExtensionLookup(request.extensions).get(x509.SubjectAlternativeName)),
    }


def _request_attributes(request: Any) -> list[dict[str, Any]] | None:
    """Go's deprecated ``Attributes``: each attribute of the request with its values as type/value pairs;
    only the extension request is represented, as Go reads it: each extension's id with its second element (the
    criticality when present, else the value's bytes)."""
    extensions = list(request.extensions)
    if not extensions:
        return None
    pairs = [{"Type": _oid(ext.oid.dotted_string), "Value": True if ext.critical else _b64(_extension_der(ext))}
             for ext in extensions]
    return [{"Type": [1, 2, 840, 113549, 1, 9, 14], "Value": [pairs]}]
