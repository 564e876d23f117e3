"""Fixtures for the embedded cluster tests: one shared cluster, kubectl and Python-client helpers."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chainsaw_py.embedded import EmbeddedCluster

_names = itertools.count(1)


@pytest.fixture(scope="session")
def cluster() -> Iterator[EmbeddedCluster]:
    with EmbeddedCluster() as running:
        yield running


@dataclass
class Kubectl:
    kubeconfig: Path
    cache_dir: Path

    def run(self, *args: str, stdin: str | None = None, check: bool = True,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "KUBECONFIG": str(self.kubeconfig)}
        result = subprocess.run(["kubectl", "--cache-dir", str(self.cache_dir), *args], input=stdin, env=env,
                                capture_output=True, text=True, timeout=timeout, check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result

    def __call__(self, *args: str, stdin: str | None = None) -> str:
        return self.run(*args, stdin=stdin).stdout


@pytest.fixture(scope="session")
def kubectl(cluster: EmbeddedCluster, tmp_path_factory: pytest.TempPathFactory) -> Kubectl:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    return Kubectl(cluster.kubeconfig_path, tmp_path_factory.mktemp("kubectl-cache"))


@pytest.fixture(scope="session")
def api_client(cluster: EmbeddedCluster) -> Any:
    from kubernetes import config

    return config.new_client_from_config(str(cluster.kubeconfig_path))


@pytest.fixture
def namespace(cluster: EmbeddedCluster) -> Iterator[str]:
    """A fresh namespace per test (created in-process, deleted afterwards)."""
    name = f"test-{next(_names)}"
    rt = cluster.registry.lookup("", "v1", "namespaces")
    assert rt is not None
    cluster.api.create(rt, "", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    yield name
    from chainsaw_py.embedded.apierrors import NotFound

    try:
        cluster.api.delete(rt, "", name)
    except NotFound:
        pass


def wait_for(predicate: Any, timeout: float = 10.0, interval: float = 0.02) -> Any:
    """Poll until ``predicate()`` returns something truthy; return it (or fail after ``timeout``)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)
