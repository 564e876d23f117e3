"""An embedded Kubernetes cluster: API server on 127.0.0.1, simulated controllers, optional local S3.

    from chainsaw_py.embedded import EmbeddedCluster
    with EmbeddedCluster() as cluster:
        print(cluster.kubeconfig_path, cluster.server_url)

Nothing here imports the runner; everyone talks to the cluster over HTTP through the kubeconfig. Heavy parts
load when the cluster starts, so importing this package is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chainsaw_py.embedded.cluster import EmbeddedCluster
    from chainsaw_py.embedded.plugins import PLUGIN_FILE_NAME, PluginRegistry
    from chainsaw_py.embedded.s3 import S3Endpoint
    from chainsaw_py.embedded.timing import Timing

__all__ = ["PLUGIN_FILE_NAME", "EmbeddedCluster", "PluginRegistry", "S3Endpoint", "Timing"]

def __getattr__(name: str) -> Any:
    if name == "EmbeddedCluster":
        from chainsaw_py.embedded.cluster import EmbeddedCluster

        return EmbeddedCluster
    if name == "S3Endpoint":
        from chainsaw_py.embedded.s3 import S3Endpoint

        return S3Endpoint
    if name == "Timing":
        from chainsaw_py.embedded.timing import Timing

        return Timing
    if name in ("PluginRegistry", "PLUGIN_FILE_NAME"):
        from chainsaw_py.embedded import plugins

        return getattr(plugins, name)
    raise AttributeError(f"module 'chainsaw_py.embedded' has no attribute {name!r}")
