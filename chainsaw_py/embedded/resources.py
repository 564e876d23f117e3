"""Resource types served by the embedded API server: the built-in table and CRD-registered ones.

A :class:`ResourceType` is one (group, version, plural) as discovery lists it. Objects are stored per
*group resource* (group + plural), so several versions of a CRD share storage. The :class:`ResourceRegistry`
is thread-safe and versioned (``generation`` bumps on every change) so discovery/OpenAPI caches can
invalidate themselves.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
STATUS_VERBS = ("get", "patch", "update")


@dataclass(frozen=True)
class Subresource:
    name: str
    kind: str                     # response kind
    group: str = ""               # response group ("" = same as parent unless ``foreign``)
    version: str = ""
    verbs: tuple[str, ...] = STATUS_VERBS
    foreign: bool = False         # response kind lives in another group/version (e.g. autoscaling/v1 Scale)


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    singular: str = ""
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    subresources: tuple[Subresource, ...] = ()
    list_kind: str = ""
    builtin: bool = True
    storage_version: str = ""     # the version objects are stored at (CRDs); "" = this version
    crd_name: str = ""            # owning CRD (custom resources only)
    schema: dict[str, Any] | None = field(default=None, compare=False, hash=False)   # CRD openAPIV3Schema
    printer_columns: tuple[dict[str, Any], ...] = field(default=(), compare=False, hash=False)
    preserve_unknown: bool = False
    selectable_fields: tuple[str, ...] = ()
    scale_paths: tuple[str, str, str] = ("", "", "")   # CRD scale: spec replicas, status replicas, selector
    storage_group: str | None = None   # built-ins served in another group too (events.k8s.io): the stored group

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> tuple[str, str]:
        """The storage key: several versions (and groups) of one resource share it."""
        return (self.group if self.storage_group is None else self.storage_group, self.plural)

    @property
    def storage_api_version(self) -> str:
        group = self.group_resource[0]
        version = self.storage_version or self.version
        return f"{group}/{version}" if group else version

    @property
    def is_view(self) -> bool:
        """A built-in served at a version (or group) other than the one it is stored at."""
        return self.builtin and self.storage_api_version != self.api_version

    @property
    def singular_name(self) -> str:
        return self.singular or self.kind.lower()

    @property
    def list_kind_name(self) -> str:
        return self.list_kind or f"{self.kind}List"

    def subresource(self, name: str) -> Subresource | None:
        for sub in self.subresources:
            if sub.name == name:
                return sub
        return None

    def has_status(self) -> bool:
        return self.subresource("status") is not None


def _status(kind: str) -> Subresource:
    return Subresource("status", kind)


_CONNECT_VERBS = ("create", "get")


def _proxy(kind: str) -> Subresource:
    return Subresource("proxy", kind, verbs=("create", "delete", "get", "patch", "update"))


_SCALE = Subresource("scale", "Scale", group="autoscaling", version="v1", foreign=True)


def _r(api_version: str, plural: str, kind: str, namespaced: bool, short: str = "", categories: str = "",
       subresources: Iterable[Subresource] = (), verbs: tuple[str, ...] = ALL_VERBS,
       singular: str = "") -> ResourceType:
    group, _, version = api_version.rpartition("/")
    return ResourceType(group=group, version=version, plural=plural, kind=kind, namespaced=namespaced,
                        singular=singular, short_names=tuple(filter(None, short.split(","))),
                        categories=tuple(filter(None, categories.split(","))), verbs=verbs,
                        subresources=tuple(subresources))


_CREATE_ONLY = ("create",)
_READ_ONLY = ("get", "list")

BUILTIN_RESOURCES: tuple[ResourceType, ...] = (
    _r("v1", "bindings", "Binding", True, verbs=_CREATE_ONLY),
    _r("v1", "componentstatuses", "ComponentStatus", False, "cs", verbs=_READ_ONLY),
    _r("v1", "configmaps", "ConfigMap", True, "cm"),
    _r("v1", "endpoints", "Endpoints", True, "ep", singular="endpoints"),
    _r("v1", "events", "Event", True, "ev"),
    _r("v1", "limitranges", "LimitRange", True, "limits"),
    _r("v1", "namespaces", "Namespace", False, "ns", subresources=(
        Subresource("finalize", "Namespace", verbs=("update",)), _status("Namespace")),
        verbs=("create", "delete", "get", "list", "patch", "update", "watch")),
    _r("v1", "nodes", "Node", False, "no", subresources=(_proxy("NodeProxyOptions"), _status("Node"))),
    _r("v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, "pvc",
       subresources=(_status("PersistentVolumeClaim"),)),
    _r("v1", "persistentvolumes", "PersistentVolume", False, "pv", subresources=(_status("PersistentVolume"),)),
    _r("v1", "pods", "Pod", True, "po", "all", subresources=(
        Subresource("attach", "PodAttachOptions", verbs=_CONNECT_VERBS),
        Subresource("binding", "Binding", verbs=("create",)),
        Subresource("ephemeralcontainers", "Pod"),
        Subresource("eviction", "Eviction", group="policy", version="v1", verbs=("create",), foreign=True),
        Subresource("exec", "PodExecOptions", verbs=_CONNECT_VERBS),
        Subresource("log", "Pod", verbs=("get",)),
        Subresource("portforward", "PodPortForwardOptions", verbs=_CONNECT_VERBS),
        _proxy("PodProxyOptions"),
        _status("Pod"))),
    _r("v1", "podtemplates", "PodTemplate", True),
    _r("v1", "replicationcontrollers", "ReplicationController", True, "rc", "all",
       subresources=(_SCALE, _status("ReplicationController"))),
    _r("v1", "resourcequotas", "ResourceQuota", True, "quota", subresources=(_status("ResourceQuota"),)),
    _r("v1", "secrets", "Secret", True),
    _r("v1", "serviceaccounts", "ServiceAccount", True, "sa", subresources=(
        Subresource("token", "TokenRequest", group="authentication.k8s.io", version="v1", verbs=("create",),
                    foreign=True),)),
    _r("v1", "services", "Service", True, "svc", "all",
       subresources=(_proxy("ServiceProxyOptions"), _status("Service"))),
    _r("admissionregistration.k8s.io/v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration",
       False, categories="api-extensions"),
    _r("admissionregistration.k8s.io/v1", "validatingadmissionpolicies", "ValidatingAdmissionPolicy", False,
       categories="api-extensions", subresources=(_status("ValidatingAdmissionPolicy"),)),
    _r("admissionregistration.k8s.io/v1", "validatingadmissionpolicybindings",
       "ValidatingAdmissionPolicyBinding", False, categories="api-extensions"),
    _r("admissionregistration.k8s.io/v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration",
       False, categories="api-extensions"),
    _r("apiextensions.k8s.io/v1", "customresourcedefinitions", "CustomResourceDefinition", False, "crd,crds",
       "api-extensions", subresources=(_status("CustomResourceDefinition"),)),
    _r("apps/v1", "controllerrevisions", "ControllerRevision", True),
    _r("apps/v1", "daemonsets", "DaemonSet", True, "ds", "all", subresources=(_status("DaemonSet"),)),
    _r("apps/v1", "deployments", "Deployment", True, "deploy", "all",
       subresources=(_SCALE, _status("Deployment"))),
    _r("apps/v1", "replicasets", "ReplicaSet", True, "rs", "all", subresources=(_SCALE, _status("ReplicaSet"))),
    _r("apps/v1", "statefulsets", "StatefulSet", True, "sts", "all",
       subresources=(_SCALE, _status("StatefulSet"))),
    _r("apiregistration.k8s.io/v1", "apiservices", "APIService", False, categories="api-extensions",
       subresources=(_status("APIService"),)),
    _r("authentication.k8s.io/v1", "selfsubjectreviews", "SelfSubjectReview", False, verbs=_CREATE_ONLY),
    _r("authentication.k8s.io/v1", "tokenreviews", "TokenReview", False, verbs=_CREATE_ONLY),
    _r("authorization.k8s.io/v1", "localsubjectaccessreviews", "LocalSubjectAccessReview", True,
       verbs=_CREATE_ONLY),
    _r("authorization.k8s.io/v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", False,
       verbs=_CREATE_ONLY),
    _r("authorization.k8s.io/v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview", False, verbs=_CREATE_ONLY),
    _r("authorization.k8s.io/v1", "subjectaccessreviews", "SubjectAccessReview", False, verbs=_CREATE_ONLY),
    replace(_r("autoscaling/v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True, "hpa", "all",
               subresources=(_status("HorizontalPodAutoscaler"),)), storage_version="v2"),
    _r("autoscaling/v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True, "hpa", "all",
       subresources=(_status("HorizontalPodAutoscaler"),)),
    _r("batch/v1", "cronjobs", "CronJob", True, "cj", "all", subresources=(_status("CronJob"),)),
    _r("batch/v1", "jobs", "Job", True, categories="all", subresources=(_status("Job"),)),
    _r("certificates.k8s.io/v1", "certificatesigningrequests", "CertificateSigningRequest", False, "csr",
       subresources=(Subresource("approval", "CertificateSigningRequest", verbs=("get", "patch", "update")),
                     _status("CertificateSigningRequest"))),
    _r("coordination.k8s.io/v1", "leases", "Lease", True),
    _r("discovery.k8s.io/v1", "endpointslices", "EndpointSlice", True),
    replace(_r("events.k8s.io/v1", "events", "Event", True, "ev"), storage_group="", storage_version="v1"),
    _r("flowcontrol.apiserver.k8s.io/v1", "flowschemas", "FlowSchema", False,
       subresources=(_status("FlowSchema"),)),
    _r("flowcontrol.apiserver.k8s.io/v1", "prioritylevelconfigurations", "PriorityLevelConfiguration", False,
       subresources=(_status("PriorityLevelConfiguration"),)),
    _r("metrics.k8s.io/v1beta1", "nodes", "NodeMetrics", False, verbs=_READ_ONLY),
    _r("metrics.k8s.io/v1beta1", "pods", "PodMetrics", True, verbs=_READ_ONLY),
    _r("networking.k8s.io/v1", "ingressclasses", "IngressClass", False),
    _r("networking.k8s.io/v1", "ingresses", "Ingress", True, "ing", subresources=(_status("Ingress"),)),
    _r("networking.k8s.io/v1", "networkpolicies", "NetworkPolicy", True, "netpol"),
    _r("node.k8s.io/v1", "runtimeclasses", "RuntimeClass", False),
    _r("policy/v1", "poddisruptionbudgets", "PodDisruptionBudget", True, "pdb",
       subresources=(_status("PodDisruptionBudget"),)),
    _r("rbac.authorization.k8s.io/v1", "clusterrolebindings", "ClusterRoleBinding", False),
    _r("rbac.authorization.k8s.io/v1", "clusterroles", "ClusterRole", False),
    _r("rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding", True),
    _r("rbac.authorization.k8s.io/v1", "roles", "Role", True),
    _r("scheduling.k8s.io/v1", "priorityclasses", "PriorityClass", False, "pc"),
    _r("storage.k8s.io/v1", "csidrivers", "CSIDriver", False),
    _r("storage.k8s.io/v1", "csinodes", "CSINode", False),
    _r("storage.k8s.io/v1", "csistoragecapacities", "CSIStorageCapacity", True),
    _r("storage.k8s.io/v1", "storageclasses", "StorageClass", False, "sc"),
    _r("storage.k8s.io/v1", "volumeattachments", "VolumeAttachment", False,
       subresources=(_status("VolumeAttachment"),)),
)

# Versions listed first in discovery are the preferred ones.
PREFERRED_VERSIONS: dict[str, str] = {"autoscaling": "v2"}


class ResourceRegistry:
    """All served resource types; lookups by (group, version, plural) and by (group, version, kind)."""

    def __init__(self, resources: Iterable[ResourceType] = BUILTIN_RESOURCES) -> None:
        self._lock = threading.Lock()
        self._types: dict[tuple[str, str, str], ResourceType] = {}
        self._by_kind: dict[tuple[str, str, str], ResourceType] = {}
        self._group_order: list[str] = []
        self._preferred: dict[tuple[str, str], ResourceType | None] = {}
        """``any_version`` answers (namespace deletion asks for every group resource); emptied on changes."""
        self.generation = 0
        for resource in resources:
            self._add(resource)

    def _add(self, resource: ResourceType) -> None:
        self._preferred = {}
        self._types[(resource.group, resource.version, resource.plural)] = resource
        self._by_kind[(resource.group, resource.version, resource.kind)] = resource
        if resource.group not in self._group_order:
            self._group_order.append(resource.group)

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._types.get((group, version, plural))

    def by_kind(self, group: str, version: str, kind: str) -> ResourceType | None:
        return self._by_kind.get((group, version, kind))

    def by_api_version_kind(self, api_version: str, kind: str) -> ResourceType | None:
        group, _, version = api_version.rpartition("/")
        return self.by_kind(group, version, kind)

    def any_version(self, group: str, plural: str) -> ResourceType | None:
        """The preferred served version of a group resource (for controllers that don't care)."""
        preferred = self._preferred
        key = (group, plural)
        if key not in preferred:
            candidates = [rt for (g, _v, p), rt in self._types.items() if g == group and p == plural]
            preferred[key] = (min(candidates, key=lambda rt: self.version_rank(rt.group, rt.version))
                              if candidates else None)
        return preferred[key]

    def all(self) -> list[ResourceType]:
        return list(self._types.values())

    def group_resources(self) -> list[tuple[str, str]]:
        """Every stored group resource once (namespace cleanup walks these)."""
        seen: dict[tuple[str, str], None] = {}
        for resource in self._types.values():
            seen.setdefault(resource.group_resource, None)
        return list(seen)

    def groups(self) -> list[str]:
        """Groups in discovery order: core first, built-ins in table order, then custom groups."""
        present = {group for group, _version, _plural in self._types}
        return [group for group in self._group_order if group in present]

    def versions(self, group: str) -> list[str]:
        found = {version for g, version, _plural in self._types if g == group}
        return sorted(found, key=lambda version: self.version_rank(group, version))

    def resources(self, group: str, version: str) -> list[ResourceType]:
        return [rt for (g, v, _p), rt in self._types.items() if g == group and v == version]

    def version_rank(self, group: str, version: str) -> tuple[int, int, int, str]:
        """Kubernetes version priority: GA > beta > alpha, higher numbers first; preferred pins win."""
        if PREFERRED_VERSIONS.get(group) == version:
            return (-1, 0, 0, version)
        return kube_version_priority(version)

    def replace_custom(self, crd_name: str, resources: Iterable[ResourceType]) -> None:
        """Install (or re-install) the resource types of one CRD, dropping its previous ones."""
        with self._lock:
            self._preferred = {}
            for key in [key for key, rt in self._types.items() if rt.crd_name == crd_name]:
                rt = self._types.pop(key)
                self._by_kind.pop((rt.group, rt.version, rt.kind), None)
            for resource in resources:
                self._add(replace(resource, builtin=False, crd_name=crd_name))
            self._preferred = {}  # again: a reader may have cached a half-replaced answer meanwhile
            self.generation += 1

    def remove_custom(self, crd_name: str) -> None:
        self.replace_custom(crd_name, ())


@functools.lru_cache(maxsize=1024)
def kube_version_priority(version: str) -> tuple[int, int, int, str]:
    """Sort key implementing Kubernetes' version ordering (v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > other)."""
    import re

    match = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not match:
        return (3, 0, 0, version)
    major = int(match.group(1))
    stage = {None: 0, "beta": 1, "alpha": 2}[match.group(2)]
    minor = int(match.group(3) or 0)
    return (stage, -major, -minor, version)
