"""An operator written with Kopf that serves its own admission webhooks and manages its own webhook
configurations (``settings.admission.managed``), running against the embedded cluster."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster
from tests.embedded.test_admission_webhooks import Http
from tests.embedded.webhook_server import make_certificates

kopf = pytest.importorskip("kopf")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def cluster() -> Iterator[EmbeddedCluster]:
    with EmbeddedCluster() as running:
        yield running


@pytest.fixture(scope="module")
def operator(cluster: EmbeddedCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    directory = tmp_path_factory.mktemp("kopf")
    ca_pem, cert_pem, key_pem = make_certificates(["localhost"])
    (directory / "ca.pem").write_bytes(ca_pem)
    (directory / "tls.crt").write_bytes(cert_pem)
    (directory / "tls.key").write_bytes(key_pem)
    assert cluster.ca_pem is not None
    (directory / "cluster-ca.pem").write_bytes(cluster.ca_pem)
    registry = kopf.OperatorRegistry()
    port = _free_port()

    @kopf.on.login(registry=registry)
    def login(**_: Any) -> Any:
        return kopf.ConnectionInfo(server=cluster.server_url, token=cluster.token,
                                   ca_path=str(directory / "cluster-ca.pem"))

    @kopf.on.startup(registry=registry)
    def configure(settings: Any, **_: Any) -> None:
        settings.admission.server = kopf.WebhookServer(
            addr="127.0.0.1", port=port, host="127.0.0.1", certfile=str(directory / "tls.crt"),
            pkeyfile=str(directory / "tls.key"), cafile=str(directory / "ca.pem"))
        settings.admission.managed = "auto.kopf.dev"
        settings.posting.enabled = False

    @kopf.on.validate("v1", "configmaps", id="no-secrets-in-configmaps", registry=registry)
    def no_passwords(body: Any, **_: Any) -> None:
        if "password" in (body.get("data") or {}):
            raise kopf.AdmissionError("passwords belong in Secrets", code=422)

    @kopf.on.mutate("v1", "configmaps", id="stamp", registry=registry)
    def stamp(patch: Any, **_: Any) -> None:
        patch.setdefault("metadata", {}).setdefault("labels", {})["stamped-by"] = "kopf"

    stop, ready = threading.Event(), threading.Event()
    thread = threading.Thread(target=lambda: asyncio.run(kopf.operator(
        registry=registry, clusterwide=True, standalone=True, stop_flag=stop, ready_flag=ready)), daemon=True)
    thread.start()
    assert ready.wait(30), "the Kopf operator did not start"
    yield None
    stop.set()
    thread.join(30)


def _wait_for_configurations(http: Http) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status, body, _ = http("GET", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/"
                                      "auto.kopf.dev")
        mutating = http("GET", "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/auto.kopf.dev")
        if status == 200 and body.get("webhooks") and mutating[0] == 200 and mutating[1].get("webhooks"):
            return
        time.sleep(0.1)
    raise AssertionError("Kopf did not register its webhook configurations")


def test_kopf_operator_webhooks(cluster: EmbeddedCluster, operator: None) -> None:
    http = Http(cluster)
    _wait_for_configurations(http)
    status, body, _ = http("POST", "/api/v1/namespaces/default/configmaps",
                           {"metadata": {"name": "kopf-bad"}, "data": {"password": "x"}})
    assert status == 422, json.dumps(body)
    assert body["message"].startswith('admission webhook "') and "passwords belong in Secrets" in body["message"]
    status, body, _ = http("POST", "/api/v1/namespaces/default/configmaps",
                           {"metadata": {"name": "kopf-good"}, "data": {"a": "b"}})
    assert status == 201, body
    assert body["metadata"]["labels"]["stamped-by"] == "kopf"
