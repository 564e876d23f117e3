"""Client-certificate authentication and the CSR signer: a CertificateSigningRequest of signer
kubernetes.io/kube-apiserver-client, once approved, is signed by the cluster CA; the certificate authenticates as
its subject's CN with its O as groups (RBAC applies); a certificate of another CA is refused; a certificate
without a CN leaves the request to the bearer token; kubectl works with such a kubeconfig user."""

from __future__ import annotations

import base64
import datetime as dt
import json
import ssl
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from chainsaw_py.embedded import EmbeddedCluster
from tests.embedded.conftest import Kubectl, wait_for

_names = iter(range(1, 1000))


def _key_and_csr(common_name: str, organizations: tuple[str, ...] = ()) -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)] if common_name else []
    attributes += [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org) for org in organizations]
    request = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attributes)).sign(key, hashes.SHA256())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key_pem, request.public_bytes(serialization.Encoding.PEM)


def _self_signed(common_name: str, organization: str) -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(hours=1)).sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


def _csr(kubectl: Kubectl, request_pem: bytes, usages: list[str],
         signer: str = "kubernetes.io/kube-apiserver-client", approve: bool = True) -> str:
    name = f"csr-{next(_names)}"
    manifest = {"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
                "metadata": {"name": name},
                "spec": {"request": base64.b64encode(request_pem).decode(), "signerName": signer,
                         "usages": usages, "expirationSeconds": 3600}}
    kubectl("create", "-f", "-", stdin=json.dumps(manifest))
    if approve:
        kubectl("certificate", "approve", name)
    return name


def _status(kubectl: Kubectl, name: str) -> dict[str, Any]:
    return dict(json.loads(kubectl("get", "csr", name, "-o", "json")).get("status") or {})


def _issued(kubectl: Kubectl, name: str) -> bytes:
    status = wait_for(lambda: (s := _status(kubectl, name)).get("certificate") and s)
    return base64.b64decode(status["certificate"])


def _call(cluster: EmbeddedCluster, method: str, path: str, cert_pem: bytes, key_pem: bytes,
          token: str = "", body: Any = None) -> tuple[int, Any]:
    import urllib3

    assert cluster.ca_pem is not None
    with tempfile.TemporaryDirectory() as directory:
        cert_file, key_file = Path(directory) / "tls.crt", Path(directory) / "tls.key"
        cert_file.write_bytes(cert_pem)
        key_file.write_bytes(key_pem)
        pool = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_cert_data=cluster.ca_pem.decode(),
                                   cert_file=str(cert_file), key_file=str(key_file), retries=False)
        headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
        response = pool.request(method, cluster.server_url + path, headers=headers,
                                body=None if body is None else json.dumps(body))
    return response.status, json.loads(response.data or b"null")


def _whoami(cluster: EmbeddedCluster, cert_pem: bytes, key_pem: bytes, token: str = "") -> tuple[int, Any]:
    review = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    status, body = _call(cluster, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", cert_pem, key_pem,
                         token, review)
    return status, (body.get("status") or {}).get("userInfo") if status == 201 else body


def test_an_approved_request_is_signed_with_its_subject_usages_and_duration(kubectl: Kubectl) -> None:
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    _key, request = _key_and_csr("jane", ("devs", "qa"))
    name = _csr(kubectl, request, ["digital signature", "client auth"])
    certificate = x509.load_pem_x509_certificate(_issued(kubectl, name))
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "jane"
    assert [a.value for a in certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)] == ["devs", "qa"]
    usages = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usages) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert certificate.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert dt.timedelta(minutes=60) <= lifetime <= dt.timedelta(minutes=66)   # backdated 5 minutes for skew
    assert "Approved,Issued" in kubectl("get", "csr", name)


def test_the_signer_fails_bad_usages_and_ignores_unapproved_and_unknown_signers(kubectl: Kubectl) -> None:
    _key, request = _key_and_csr("bob")
    failed = _csr(kubectl, request, ["server auth"])
    conditions = wait_for(lambda: [c for c in _status(kubectl, failed).get("conditions", []) if c["type"] == "Failed"])
    assert conditions[0]["reason"] == "SignerValidationFailure"
    assert conditions[0]["message"] == "invalid usage for client certificate: server auth"
    assert "certificate" not in _status(kubectl, failed)
    pending = _csr(kubectl, request, ["client auth"], approve=False)
    legacy = _csr(kubectl, request, ["client auth"], signer="kubernetes.io/legacy-unknown")
    other = _csr(kubectl, request, ["client auth"], signer="example.com/signer")
    signed = _csr(kubectl, request, ["client auth"])
    _issued(kubectl, signed)            # the controller has run past the others
    for name in (pending, legacy, other):
        assert "certificate" not in _status(kubectl, name)


def test_the_certificate_authenticates_as_cn_with_o_groups_under_rbac(cluster: EmbeddedCluster,
                                                                       kubectl: Kubectl, namespace: str) -> None:
    key, request = _key_and_csr("carol", ("auditors",))
    cert = _issued(kubectl, _csr(kubectl, request, ["client auth"]))
    status, user = _whoami(cluster, cert, key)
    assert (status, user) == (201, {"username": "carol", "groups": ["auditors", "system:authenticated"]})
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    status, body = _call(cluster, "GET", path, cert, key)
    assert status == 403
    assert body["message"] == (f'configmaps is forbidden: User "carol" cannot list resource "configmaps" in API '
                               f'group "" in the namespace "{namespace}"')
    kubectl("create", "rolebinding", "auditors-view", "--clusterrole=view", "--group=auditors", "-n", namespace)
    assert wait_for(lambda: _call(cluster, "GET", path, cert, key)[0] == 200)


def test_a_certificate_wins_over_a_token_and_one_without_cn_leaves_it_to_the_token(cluster: EmbeddedCluster,
                                                                                     kubectl: Kubectl) -> None:
    key, request = _key_and_csr("dave", ("ops",))
    cert = _issued(kubectl, _csr(kubectl, request, ["client auth"]))
    assert _whoami(cluster, cert, key, cluster.token)[1]["username"] == "dave"     # x509 is asked first
    anonymous_key, anonymous_request = _key_and_csr("", ("ops",))
    anonymous = _issued(kubectl, _csr(kubectl, anonymous_request, ["client auth"]))
    assert _whoami(cluster, anonymous, anonymous_key, cluster.token)[1]["username"] == "kubernetes-admin"
    status, body = _whoami(cluster, anonymous, anonymous_key)
    assert (status, body["reason"]) == (401, "Unauthorized")


def test_a_certificate_of_another_ca_is_refused(cluster: EmbeddedCluster) -> None:
    import urllib3

    key, cert = _self_signed("mallory", "system:masters")
    with pytest.raises((urllib3.exceptions.SSLError, urllib3.exceptions.ProtocolError, ssl.SSLError)):
        _whoami(cluster, cert, key)


def test_kubectl_uses_a_kubeconfig_user_with_client_certificate_data(cluster: EmbeddedCluster, kubectl: Kubectl,
                                                                     tmp_path: Path) -> None:
    key, request = _key_and_csr("erin", ("erin-team",))
    cert = _issued(kubectl, _csr(kubectl, request, ["digital signature", "key encipherment", "client auth"]))
    config = yaml.safe_load(cluster.kubeconfig_path.read_text())
    config["users"] = [{"name": "erin", "user": {"client-certificate-data": base64.b64encode(cert).decode(),
                                                 "client-key-data": base64.b64encode(key).decode()}}]
    for context in config["contexts"]:
        context["context"]["user"] = "erin"
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(config))
    erin = Kubectl(kubeconfig, tmp_path / "cache")
    assert json.loads(erin("auth", "whoami", "-o", "json"))["status"]["userInfo"] == {
        "username": "erin", "groups": ["erin-team", "system:authenticated"]}
    assert erin.run("auth", "can-i", "list", "pods", "-A", check=False).stdout.strip() == "no"
    kubectl("create", "clusterrolebinding", "erin-view", "--clusterrole=view", "--user=erin")
    assert wait_for(lambda: erin.run("auth", "can-i", "list", "pods", "-A", check=False).stdout.strip() == "yes")


def test_kubelet_signers_want_exactly_their_usages_in_go_words(kubectl: Kubectl) -> None:
    _key, request = _key_and_csr("system:node:node-1", ("system:nodes",))
    failed = _csr(kubectl, request, ["client auth"], signer="kubernetes.io/kube-apiserver-client-kubelet")
    conditions = wait_for(lambda: [c for c in _status(kubectl, failed).get("conditions", []) if c["type"] == "Failed"])
    assert conditions[0]["message"] == "usages did not match [client auth digital signature key encipherment]"
    signed = _csr(kubectl, request, ["digital signature", "client auth"],
                  signer="kubernetes.io/kube-apiserver-client-kubelet")
    assert _issued(kubectl, signed)


@pytest.mark.parametrize(("starts", "ends", "relation"), [(1, 2, "before"), (-2, -1, "after")])
def test_a_certificate_outside_its_validity_is_refused_in_go_words(starts: int, ends: int, relation: str) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from chainsaw_py.embedded.auth.x509 import CertificateError, ClientCertificates

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ca")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(1).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
          .sign(ca_key, hashes.SHA256()))
    bound = now + dt.timedelta(hours=starts if relation == "before" else ends)
    client = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jane")]))
              .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
              .not_valid_before(now + dt.timedelta(hours=starts)).not_valid_after(now + dt.timedelta(hours=ends))
              .sign(ca_key, hashes.SHA256()))
    certificates = ClientCertificates(ca.public_bytes(serialization.Encoding.PEM))
    with pytest.raises(CertificateError) as raised:
        certificates.authenticate(client.public_bytes(serialization.Encoding.DER))
    assert str(raised.value).startswith("verifying certificate: x509: certificate has expired or is not yet valid: "
                                        "current time ")
    assert str(raised.value).endswith(f" is {relation} {bound:%Y-%m-%dT%H:%M:%SZ}")
