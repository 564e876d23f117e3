"""The client layer: a facade over the ``kubernetes`` package (see ``client.py``), kubeconfig handling
and cluster connections (``clusters.py``).

The names below are imported on first use (PEP 562): importing ``chainsaw_py.client.errors`` (as every
operation does) must not load the client, its watches and the leftovers registry (issue 14's start-up)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chainsaw_py.client.clusters import ClusterConfig, ConnectedCluster, connect
    from chainsaw_py.client.errors import ApiError, NoKindMatchError, NotFoundError

_HOMES = {"ClusterConfig": "clusters", "ConnectedCluster": "clusters", "connect": "clusters",
          "ApiError": "errors", "NoKindMatchError": "errors", "NotFoundError": "errors"}

__all__ = ["ApiError", "ClusterConfig", "ConnectedCluster", "NoKindMatchError", "NotFoundError", "connect"]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
