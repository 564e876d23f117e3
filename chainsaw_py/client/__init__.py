"""The client layer: a facade over the ``kubernetes`` package (see ``client.py``), kubeconfig handling
and cluster connections (``clusters.py``)."""

from __future__ import annotations

from chainsaw_py.client.clusters import ClusterConfig, ConnectedCluster, connect
from chainsaw_py.client.errors import ApiError, NoKindMatchError, NotFoundError

__all__ = ["ApiError", "ClusterConfig", "ConnectedCluster", "NoKindMatchError", "NotFoundError", "connect"]
