"""The simulated controllers (scheduler+kubelet, workloads, services, namespaces, garbage collection)."""

from __future__ import annotations

from chainsaw_py.embedded.controllers.base import ControllerManager
from chainsaw_py.embedded.controllers.context import Runtime


def install_builtin_controllers(manager: ControllerManager, runtime: Runtime) -> None:
    return None
