"""The objects every fresh cluster has: system namespaces, the single Ready node, the ``kubernetes``
service and its endpoints, CoreDNS (Deployment, ConfigMap, ``kube-dns`` Service; its pods are simulated like
any other), a default StorageClass, and the AWS credentials secret when S3 is enabled. The local APIServices
kube-apiserver registers for its own group versions are written right after the start
(``controllers.apiservices``)."""

from __future__ import annotations

import base64
from typing import Any

from chainsaw_py.embedded.apiserver import ApiServer
from chainsaw_py.embedded.auth.defaults import default_cluster_role_bindings, default_cluster_roles
from chainsaw_py.embedded.s3 import S3Endpoint
from chainsaw_py.embedded.schemas import SERVER_MINOR
from chainsaw_py.embedded.writes import WriteOptions

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
NODE_IP = "10.89.0.2"
_OPTIONS = WriteOptions(field_validation="Strict")


def _create(server: ApiServer, api_version: str, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    rt = server.registry.by_api_version_kind(api_version, kind)
    assert rt is not None, kind
    obj = {"apiVersion": api_version, "kind": kind, **obj}
    return server.create(rt, obj["metadata"].get("namespace", ""), obj, _OPTIONS).obj


def bootstrap(server: ApiServer, node_name: str, api_port: int) -> None:
    for namespace in SYSTEM_NAMESPACES:
        _create(server, "v1", "Namespace", {"metadata": {"name": namespace}})
    node = _create(server, "v1", "Node", node_object(node_name))
    _write_node_status(server, node, node_name)
    _create(server, "v1", "Service", {
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"clusterIP": "10.96.0.1", "ports": [{"name": "https", "port": 443, "protocol": "TCP",
                                                       "targetPort": api_port}]}})
    _create(server, "v1", "Endpoints", {
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
        "subsets": [{"addresses": [{"ip": "127.0.0.1"}],
                     "ports": [{"name": "https", "port": api_port, "protocol": "TCP"}]}]})
    _create(server, "discovery.k8s.io/v1", "EndpointSlice", {
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"kubernetes.io/service-name": "kubernetes"}},
        "addressType": "IPv4", "endpoints": [{"addresses": ["127.0.0.1"], "conditions": {"ready": True}}],
        "ports": [{"name": "https", "port": api_port, "protocol": "TCP"}]})
    _create(server, "storage.k8s.io/v1", "StorageClass", {
        "metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "embedded.chainsaw-py.io/hostpath", "reclaimPolicy": "Delete",
        "volumeBindingMode": "Immediate"})
    for name, value in (("system-cluster-critical", 2000000000), ("system-node-critical", 2000001000)):
        _create(server, "scheduling.k8s.io/v1", "PriorityClass", {
            "metadata": {"name": name}, "value": value,
            "description": "Used for system critical pods that must run in the cluster, but can be moved to "
                           "another node if necessary." if name == "system-cluster-critical" else
                           "Used for system critical pods that must not be moved from their current node."})
    _coredns(server)   # its pods need the priority classes


COREFILE = """.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
"""


def _coredns(server: ApiServer) -> None:
    """CoreDNS as kubeadm-based clusters deploy it (tests look for ``k8s-app: kube-dns`` in kube-system)."""
    labels = {"k8s-app": "kube-dns"}
    _create(server, "v1", "ServiceAccount", {"metadata": {"name": "coredns", "namespace": "kube-system"}})
    _create(server, "v1", "ConfigMap", {"metadata": {"name": "coredns", "namespace": "kube-system"},
                                        "data": {"Corefile": COREFILE}})
    container = {
        "name": "coredns", "image": "registry.k8s.io/coredns/coredns:v1.11.3", "imagePullPolicy": "IfNotPresent",
        "args": ["-conf", "/etc/coredns/Corefile"],
        "ports": [{"name": "dns", "containerPort": 53, "protocol": "UDP"},
                  {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
                  {"name": "metrics", "containerPort": 9153, "protocol": "TCP"}],
        "resources": {"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}},
        "volumeMounts": [{"name": "config-volume", "mountPath": "/etc/coredns", "readOnly": True}],
    }
    _create(server, "apps/v1", "Deployment", {
        "metadata": {"name": "coredns", "namespace": "kube-system", "labels": labels},
        "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
                 "template": {"metadata": {"labels": labels}, "spec": {
                     "priorityClassName": "system-cluster-critical", "serviceAccountName": "coredns",
                     "dnsPolicy": "Default", "nodeSelector": {"kubernetes.io/os": "linux"},
                     "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"},
                                     {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}],
                     "containers": [container],
                     "volumes": [{"name": "config-volume", "configMap": {
                         "name": "coredns", "items": [{"key": "Corefile", "path": "Corefile"}]}}]}}}})
    _create(server, "v1", "Service", {
        "metadata": {"name": "kube-dns", "namespace": "kube-system",
                     "labels": {**labels, "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"}},
        "spec": {"clusterIP": "10.96.0.10", "selector": labels,
                 "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                           {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                           {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}]}})


def node_object(node_name: str) -> dict[str, Any]:
    return {"metadata": {"name": node_name, "labels": {
        "kubernetes.io/hostname": node_name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64",
        "node-role.kubernetes.io/control-plane": ""},
        "annotations": {"node.alpha.kubernetes.io/ttl": "0"}},
        "spec": {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"]}}


def _write_node_status(server: ApiServer, node: dict[str, Any], node_name: str) -> None:
    now = server.now()
    resources = {"cpu": "8", "memory": "32Gi", "pods": "110", "ephemeral-storage": "100Gi"}

    def condition(kind: str, status: str, reason: str, message: str) -> dict[str, Any]:
        return {"type": kind, "status": status, "lastHeartbeatTime": now, "lastTransitionTime": now,
                "reason": reason, "message": message}

    node["status"] = {
        "capacity": resources, "allocatable": resources,
        "conditions": [
            condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        ],
        "addresses": [{"type": "InternalIP", "address": NODE_IP}, {"type": "Hostname", "address": node_name}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": {"machineID": "embedded", "systemUUID": "embedded", "bootID": "embedded",
                     "kernelVersion": "simulated", "osImage": "chainsaw-py embedded cluster (no containers run)",
                     "containerRuntimeVersion": "simulated://1.0", "kubeletVersion": f"v1.{SERVER_MINOR}.0",
                     "kubeProxyVersion": f"v1.{SERVER_MINOR}.0", "operatingSystem": "linux",
                     "architecture": "amd64"},
    }
    rt = server.registry.by_api_version_kind("v1", "Node")
    assert rt is not None
    server.update(rt, "", node_name, node, _OPTIONS, subresource="status")


def seed_aws_credentials(server: ApiServer, s3: S3Endpoint) -> None:
    """Secret kube-system/aws-creds, as a cloud cluster with AWS integration has it."""
    def b64(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    _create(server, "v1", "Secret", {
        "metadata": {"name": "aws-creds", "namespace": "kube-system"}, "type": "Opaque",
        "data": {"aws_access_key_id": b64(s3.access_key_id), "aws_secret_access_key": b64(s3.secret_access_key)}})


def seed_default_rbac(server: ApiServer) -> None:
    """kubeadm's default ClusterRoles and ClusterRoleBindings (cluster-admin, admin, edit, view, system:*)."""
    for role in default_cluster_roles():
        _create(server, "rbac.authorization.k8s.io/v1", "ClusterRole", role)
    for binding in default_cluster_role_bindings():
        _create(server, "rbac.authorization.k8s.io/v1", "ClusterRoleBinding", binding)
