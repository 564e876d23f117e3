"""``x_k8s_*`` through the ``$client`` / ``$config`` protocols, and ``x509_decode``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from chainsaw_py.errors import ChainsawError
from chainsaw_py.expressions import Bindings, ExpressionError, evaluate


class FakeClient:
    def __init__(self) -> None:
        self.objects = {("v1", "ConfigMap", "ns", "cm"): {"apiVersion": "v1", "kind": "ConfigMap",
                                                          "metadata": {"name": "cm", "namespace": "ns"}}}
        self.calls: list[tuple[Any, ...]] = []

    def get(self, api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any]:
        self.calls.append(("get", api_version, kind, namespace, name))
        try:
            return self.objects[(api_version, kind, namespace, name)]
        except KeyError:
            raise ChainsawError(f'{kind.lower()}s "{name}" not found') from None

    def list(self, api_version: str, kind: str, namespace: str) -> dict[str, Any]:
        self.calls.append(("list", api_version, kind, namespace))
        items = [obj for (av, k, ns, _), obj in self.objects.items() if av == api_version and k == kind
                 and (not namespace or ns == namespace)]
        return {"apiVersion": api_version, "kind": f"{kind}List", "items": items}

    def exists(self, api_version: str, kind: str, namespace: str, name: str) -> bool:
        return (api_version, kind, namespace, name) in self.objects

    def resource_exists(self, api_version: str, kind: str) -> bool:
        return kind in ("ConfigMap", "Pod")


class FakeConfig:
    def server_version(self) -> dict[str, str]:
        return {"major": "1", "minor": "32", "gitVersion": "v1.32.0"}


BINDINGS = Bindings().register("client", FakeClient()).register("config", FakeConfig())


@pytest.mark.parametrize(("expression", "expected"), [
    ("x_k8s_get($client, 'v1', 'ConfigMap', 'ns', 'cm').metadata.name", "cm"),
    ("x_k8s_list($client, 'v1', 'ConfigMap').items[*].metadata.name", ["cm"]),
    ("x_k8s_list($client, 'v1', 'ConfigMap', 'other').items", []),
    ("x_k8s_exists($client, 'v1', 'ConfigMap', 'ns', 'cm')", True),
    ("x_k8s_exists($client, 'v1', 'ConfigMap', 'ns', 'nope')", False),
    ("x_k8s_resource_exists($client, 'v1', 'Pod')", True),
    ("x_k8s_resource_exists($client, 'v1', 'Widget')", False),
    ("x_k8s_server_version($config).minor", "32"),
])
def test_cluster_functions(expression: str, expected: Any) -> None:
    assert evaluate(expression, None, BINDINGS) == expected


def test_cluster_errors_are_expression_errors() -> None:
    with pytest.raises(ExpressionError, match='^configmaps "nope" not found$'):
        evaluate("x_k8s_get($client, 'v1', 'ConfigMap', 'ns', 'nope')", None, BINDINGS)
    with pytest.raises(ExpressionError, match="^invalid type$"):
        evaluate("x_k8s_server_version($client)", None, BINDINGS)
    with pytest.raises(ExpressionError, match="^cluster client not set$"):
        evaluate("x_k8s_list($nil, 'v1', 'Node')", None, Bindings().register("nil", None))


def _certificate(common_name: str, rsa_key: bool = True) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key: Any = rsa.generate_private_key(public_exponent=65537, key_size=1024) if rsa_key else \
        ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Chainsaw")])
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(4096).not_valid_before(start).not_valid_after(start + dt.timedelta(days=365))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName("example.com")]), critical=False)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                   .sign(key, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def test_x509_decode() -> None:
    bindings = Bindings().register("pem", _certificate("chainsaw.example"))
    decoded = evaluate("x509_decode($pem)", None, bindings)
    assert decoded["Subject"]["CommonName"] == "chainsaw.example"
    assert decoded["Subject"]["Organization"] == ["Chainsaw"]
    assert decoded["Issuer"]["Names"][0] == {"Type": [2, 5, 4, 3], "Value": "chainsaw.example"}
    assert decoded["NotBefore"] == "2024-01-01T00:00:00Z"
    assert decoded["NotAfter"] == "2024-12-31T00:00:00Z"
    assert decoded["SerialNumber"] == 4096
    assert decoded["Version"] == 3
    assert decoded["IsCA"] is True and decoded["BasicConstraintsValid"] is True
    assert decoded["MaxPathLen"] == -1
    assert decoded["DNSNames"] == ["example.com"]
    assert decoded["ExtKeyUsage"] == [1]
    assert decoded["SignatureAlgorithm"] == 4
    assert decoded["PublicKeyAlgorithm"] == 1
    assert decoded["PublicKey"]["E"] == 65537 and decoded["PublicKey"]["N"].isdigit()
    assert evaluate("x509_decode($pem).Subject.CommonName", None, bindings) == "chainsaw.example"


def test_x509_decode_errors() -> None:
    with pytest.raises(ExpressionError, match="^certificate should use rsa algorithm$"):
        evaluate("x509_decode($pem)", None, Bindings().register("pem", _certificate("x", rsa_key=False)))
    block = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
    with pytest.raises(ExpressionError, match="^PEM block neither contains a CERTIFICATE or CERTIFICATE REQUEST$"):
        evaluate("x509_decode($pem)", None, Bindings().register("pem", block))


def test_metrics_decode_errors() -> None:
    with pytest.raises(ExpressionError, match="^text format parsing error"):
        evaluate("x_metrics_decode('metric{label=\"x} 1')", None, Bindings())
