"""Running operations against one embedded cluster: a connected ``ConnectedCluster`` handle, a fresh namespace per
test, and contexts whose log lines are captured (the time column dropped)."""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from chainsaw_py.client import ConnectedCluster, connect
from chainsaw_py.client.errors import NotFoundError
from chainsaw_py.embedded import EmbeddedCluster
from chainsaw_py.expressions import Bindings
from chainsaw_py.operations.base import OperationContext, TimeoutSeconds
from chainsaw_py.report.console import Console, ConsoleStepLogger

_names = itertools.count(1)
_LINE = re.compile(r"^    \| \d\d:\d\d:\d\d \| (.*)$")


@dataclass
class RecordingCleaner:
    """Stands in for the runner's cleaner: remembers what was registered, in order."""

    added: list[dict[str, Any]] = field(default_factory=list)

    def add(self, cluster: Any, obj: dict[str, Any]) -> None:
        self.added.append(obj)

    def names(self) -> list[str]:
        return [f"{o['kind']}/{o['metadata']['name']}" for o in self.added]


@dataclass
class Harness:
    cluster: ConnectedCluster
    namespace: str
    base_path: Path
    output: io.StringIO = field(default_factory=io.StringIO)
    cleaner: RecordingCleaner = field(default_factory=RecordingCleaner)

    def ctx(self, **overrides: Any) -> OperationContext:
        logger = ConsoleStepLogger(Console(self.output), "test", "", "step")
        bindings = Bindings().register("namespace", self.namespace).register("client", self.cluster.client) \
            .register("config", self.cluster.config)
        ctx = OperationContext(bindings=bindings, logger=logger, base_path=self.base_path,
                               timeouts=TimeoutSeconds(), timeout=5.0, namespace=self.namespace, cluster=self.cluster,
                               cleaner=self.cleaner)
        return replace(ctx, **overrides)

    def lines(self) -> list[str]:
        """Logged lines without the time column: ``test | step | OP | STATUS | obj`` plus sections."""
        out = []
        for line in self.output.getvalue().splitlines():
            match = _LINE.match(line)
            out.append(re.sub(r"\s+\|", " |", match.group(1)).rstrip(" |") if match else line.strip())
        return out

    def log(self) -> str:
        return "\n".join(self.lines())

    @property
    def client(self) -> Any:
        return self.cluster.client

    def apply(self, obj: dict[str, Any]) -> dict[str, Any]:
        obj = {**obj, "metadata": {"namespace": self.namespace, **obj.get("metadata", {})}}
        return self.client.create(obj)

    def exists(self, api_version: str, kind: str, name: str) -> bool:
        try:
            self.client.get(api_version, kind, self.namespace, name)
        except NotFoundError:
            return False
        return True


@pytest.fixture(scope="session")
def embedded() -> Iterator[EmbeddedCluster]:
    with EmbeddedCluster() as running:
        yield running


@pytest.fixture(scope="session")
def cluster_handle(embedded: EmbeddedCluster) -> Iterator[ConnectedCluster]:
    handle = connect(Path(embedded.kubeconfig_path))
    yield handle
    handle.close()


@pytest.fixture
def harness(cluster_handle: ConnectedCluster, tmp_path: Path) -> Iterator[Harness]:
    name = f"ops-{next(_names)}"
    cluster_handle.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    yield Harness(cluster_handle, name, tmp_path)
    cluster_handle.client.delete("v1", "Namespace", "", name)


def configmap(name: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": dict(data)}
