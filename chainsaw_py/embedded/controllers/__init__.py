"""The simulated controllers (scheduler+kubelet, workloads, services, namespaces, garbage collection)."""

from __future__ import annotations

from chainsaw_py.embedded.controllers.base import ControllerManager
from chainsaw_py.embedded.controllers.context import Runtime


def install_builtin_controllers(manager: ControllerManager, runtime: Runtime, ca_pem: bytes | None) -> None:
    from chainsaw_py.embedded.controllers.apiservices import (
        OnStartRegistration,
        apiservice_controller,
        crd_registration_controller,
    )
    from chainsaw_py.embedded.controllers.cronjobs import cronjob_controller
    from chainsaw_py.embedded.controllers.deployments import deployment_controller
    from chainsaw_py.embedded.controllers.disruption import disruption_controller
    from chainsaw_py.embedded.controllers.gc import GarbageCollector
    from chainsaw_py.embedded.controllers.jobs import job_controller
    from chainsaw_py.embedded.controllers.namespaces import namespace_controller
    from chainsaw_py.embedded.controllers.nodes import node_heartbeat
    from chainsaw_py.embedded.controllers.pods import Kubelet
    from chainsaw_py.embedded.controllers.policies import policy_status_controller
    from chainsaw_py.embedded.controllers.quotas import quota_controller
    from chainsaw_py.embedded.controllers.rbac import aggregation_controller
    from chainsaw_py.embedded.controllers.replicasets import replicaset_controller, replication_controller
    from chainsaw_py.embedded.controllers.services import crd_controller, endpoints_controller
    from chainsaw_py.embedded.controllers.statefulsets import daemonset_controller, statefulset_controller
    from chainsaw_py.embedded.controllers.volumes import volume_binder, volume_controller

    for controller in (
        namespace_controller(runtime, ca_pem), GarbageCollector(runtime), Kubelet(runtime).controller(),
        replicaset_controller(), replication_controller(), deployment_controller(), statefulset_controller(), daemonset_controller(),
        job_controller(), cronjob_controller(), endpoints_controller(runtime), crd_controller(), volume_binder(runtime), volume_controller(),
        node_heartbeat(), quota_controller(runtime), aggregation_controller(runtime), apiservice_controller(runtime),
        crd_registration_controller(), OnStartRegistration(runtime),
        disruption_controller(runtime), policy_status_controller(runtime),
    ):
        manager.add(controller)
