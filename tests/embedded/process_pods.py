"""Helpers shared by the tests of pods that run as processes: a cluster with mapped images, writing objects
straight through the API, waiting for a condition, reading a pod, its phase and its logs."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster
from chainsaw_py.embedded.runtime.images import ImageProgram


@contextlib.contextmanager
def process_cluster(programs: Sequence[ImageProgram], needs: Callable[[EmbeddedCluster], bool] = lambda _c: True,
                    **options: Any) -> Iterator[EmbeddedCluster]:
    """A running cluster mapping ``programs``; ``needs`` (e.g. that mount namespaces are available) must hold."""
    with EmbeddedCluster(images=list(programs), **options) as running:
        assert running.processes is not None and needs(running)
        yield running


def cluster_fixture(programs: Sequence[ImageProgram], needs: Callable[[EmbeddedCluster], bool] = lambda _c: True,
                    **options: Any) -> Any:
    """A module-scoped ``cluster`` fixture of :func:`process_cluster` (assign it to ``cluster`` in the module)."""
    @pytest.fixture(scope="module", name="cluster")
    def fixture() -> Iterator[EmbeddedCluster]:
        with process_cluster(programs, needs, **options) as running:
            yield running
    return fixture


def until(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    """``check()``'s first true value, polled every 50 ms; AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
    return value


def create(cluster: EmbeddedCluster, obj: dict[str, Any]) -> dict[str, Any]:
    """Create ``obj`` through the API server's handlers (admission included); the stored object."""
    from chainsaw_py.embedded.apiserver import WriteOptions

    rt = cluster.registry.by_api_version_kind(obj["apiVersion"], obj["kind"])
    assert rt is not None
    return cluster.api.create(rt, obj["metadata"].get("namespace", ""), obj, WriteOptions()).obj


def delete_pod(cluster: EmbeddedCluster, name: str, namespace: str = "default") -> None:
    from chainsaw_py.embedded.writes import DeleteOptions

    rt = cluster.registry.by_api_version_kind("v1", "Pod")
    assert rt is not None
    cluster.api.delete(rt, namespace, name, DeleteOptions())


def get_pod(cluster: EmbeddedCluster, name: str, namespace: str = "default") -> dict[str, Any] | None:
    stored = cluster.store.get("", "pods", namespace, name)
    return stored.obj if stored is not None else None


def phase(cluster: EmbeddedCluster, name: str, namespace: str = "default") -> str:
    return str(((get_pod(cluster, name, namespace) or {}).get("status") or {}).get("phase", ""))


def finished(cluster: EmbeddedCluster, name: str, namespace: str = "default", timeout: float = 20.0) -> str:
    """The pod's phase once it is ``Succeeded`` or ``Failed``."""
    return str(until(lambda: phase(cluster, name, namespace) in ("Succeeded", "Failed")
                     and phase(cluster, name, namespace), timeout))


def logs(cluster: EmbeddedCluster, name: str, namespace: str = "default", container: str = "main") -> str:
    return "\n".join(line.text for line in cluster.logs.read((namespace, name, container)))
