"""The registry of named clusters (Chainsaw's ``pkg/engine/clusters``): the default cluster under the
name ``""``, plus clusters registered by config, test, step or operation (``clusters:``) or with
``--cluster``. Connections are made lazily and shared between registry copies."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from chainsaw_py.errors import ChainsawError
from chainsaw_py.operations.base import ClusterHandle, OperationError


class ClusterSource(Protocol):
    def connect(self) -> ClusterHandle: ...


@dataclass(frozen=True)
class ConnectedSource:
    """A cluster already connected (the run's default cluster)."""

    handle: ClusterHandle

    def connect(self) -> ClusterHandle:
        return self.handle


@dataclass
class KubeconfigSource:
    """A cluster reached through a kubeconfig file and optional context, connected on first use."""

    kubeconfig: Path
    context: str = ""
    _handle: ClusterHandle | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def connect(self) -> ClusterHandle:
        with self._lock:
            if self._handle is None:
                from chainsaw_py.client import connect  # the kubernetes client is heavy: import on use

                try:
                    self._handle = connect(self.kubeconfig, self.context or None)
                except ChainsawError as err:
                    raise OperationError(str(err)) from err
            return self._handle


@dataclass(frozen=True)
class ClusterRegistry:
    """The clusters that operations may name, by name (adding one gives a new registry)."""

    sources: dict[str, ClusterSource] = field(default_factory=dict)

    def register(self, name: str, source: ClusterSource) -> ClusterRegistry:
        return ClusterRegistry({**self.sources, name: source})

    def register_kubeconfig(self, name: str, kubeconfig: Path, context: str = "") -> ClusterRegistry:
        return self.register(name, KubeconfigSource(kubeconfig, context))

    def connect(self, name: str) -> ClusterHandle | None:
        source = self.sources.get(name)
        return source.connect() if source is not None else None
