"""The Kubernetes API servers the bucket-step tests run against, behind one small harness interface.

The embedded cluster (``chainsaw_py.embedded.EmbeddedCluster``) is used as soon as it can be imported;
until then, and for the few cases it cannot produce (HTTP 403: it has no RBAC), the loopback fake in
``kube_fake.py`` stands in. Either way create_bucket.py talks to a real HTTP API server through the
official client.
"""

from __future__ import annotations

import base64
import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from tests.e2e.kube_fake import FakeKubeServer


class ClusterHarness(Protocol):
    kubeconfig_path: Path
    url: str

    @property
    def token(self) -> str: ...

    def add_namespace(self, name: str) -> None: ...

    def cluster_uid(self) -> str: ...

    def put_secret(self, namespace: str, name: str, values: dict[str, str], type_: str = "Opaque") -> None: ...

    def delete_secret(self, namespace: str, name: str) -> None: ...

    def secret_values(self, namespace: str, name: str) -> dict[str, str] | None: ...

    def secret_type(self, namespace: str, name: str) -> str | None: ...


def embedded_cluster_class() -> Any | None:
    try:
        module = importlib.import_module("chainsaw_py.embedded")
    except ImportError:
        return None
    return getattr(module, "EmbeddedCluster", None)


class EmbeddedHarness:
    """ClusterHarness over a running EmbeddedCluster, through the kubernetes client."""

    def __init__(self, cluster: Any) -> None:
        from kubernetes import client, config

        self.kubeconfig_path = Path(cluster.kubeconfig_path)
        self.url = str(cluster.server_url)
        self._token = str(cluster.token)
        self.core = client.CoreV1Api(config.new_client_from_config(config_file=str(self.kubeconfig_path)))
        self.add_namespace("kube-system")

    @property
    def token(self) -> str:
        return self._token

    def add_namespace(self, name: str) -> None:
        from kubernetes import client
        from kubernetes.client.exceptions import ApiException

        try:
            self.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
        except ApiException as err:
            if err.status != 409:
                raise

    def cluster_uid(self) -> str:
        return str(self.core.read_namespace("kube-system").metadata.uid)

    def put_secret(self, namespace: str, name: str, values: dict[str, str], type_: str = "Opaque") -> None:
        from kubernetes import client

        data = {key: base64.b64encode(value.encode()).decode() for key, value in values.items()}
        self.delete_secret(namespace, name)
        self.core.create_namespaced_secret(namespace, client.V1Secret(
            metadata=client.V1ObjectMeta(name=name, namespace=namespace), type=type_, data=data))

    def delete_secret(self, namespace: str, name: str) -> None:
        from kubernetes.client.exceptions import ApiException

        try:
            self.core.delete_namespaced_secret(name, namespace)
        except ApiException as err:
            if err.status != 404:
                raise

    def _secret(self, namespace: str, name: str) -> Any:
        from kubernetes.client.exceptions import ApiException

        try:
            return self.core.read_namespaced_secret(name, namespace)
        except ApiException as err:
            if err.status == 404:
                return None
            raise

    def secret_values(self, namespace: str, name: str) -> dict[str, str] | None:
        secret = self._secret(namespace, name)
        if secret is None:
            return None
        return {key: base64.b64decode(value).decode() for key, value in (secret.data or {}).items()}

    def secret_type(self, namespace: str, name: str) -> str | None:
        secret = self._secret(namespace, name)
        return None if secret is None else str(secret.type)


@contextmanager
def cluster_harness(directory: Path, prefer_embedded: bool = True) -> Iterator[ClusterHarness]:
    embedded = embedded_cluster_class() if prefer_embedded else None
    if embedded is None:
        with FakeKubeServer(directory) as fake:
            yield fake
        return
    with embedded(kubeconfig=directory / "kubeconfig") as cluster:
        yield EmbeddedHarness(cluster)
