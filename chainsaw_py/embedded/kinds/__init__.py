"""Per-kind strategies: which :class:`Strategy` governs a resource type."""

from __future__ import annotations

import threading

from chainsaw_py.embedded.kinds.admissionpolicy import (
    ValidatingAdmissionPolicyBindingStrategy,
    ValidatingAdmissionPolicyStrategy,
    WebhookConfigurationStrategy,
)
from chainsaw_py.embedded.kinds.apiext import (
    APIServiceStrategy,
    CustomResourceDefinitionStrategy,
    CustomResourceStrategy,
)
from chainsaw_py.embedded.kinds.base import Strategy, path_segment_errors
from chainsaw_py.embedded.kinds.certificates import CertificateSigningRequestStrategy
from chainsaw_py.embedded.kinds.core import (
    ConfigMapStrategy,
    EventStrategy,
    NamespaceStrategy,
    NodeStrategy,
    PersistentVolumeClaimStrategy,
    PersistentVolumeStrategy,
    PodStrategy,
    ResourceQuotaStrategy,
    SecretStrategy,
    ServiceStrategy,
)
from chainsaw_py.embedded.kinds.scheduling import PriorityClassStrategy
from chainsaw_py.embedded.kinds.workloads import (
    CronJobStrategy,
    HorizontalPodAutoscalerStrategy,
    JobStrategy,
    ReplicatedStrategy,
    ReplicationControllerStrategy,
    daemonset_strategy,
    deployment_strategy,
    statefulset_strategy,
)
from chainsaw_py.embedded.resources import ResourceType

# Built-in kinds whose metadata.generation follows spec changes (the rest never set it).
_GENERATION_KINDS = {
    ("networking.k8s.io", "Ingress"), ("networking.k8s.io", "NetworkPolicy"), ("networking.k8s.io", "IngressClass"),
    ("policy", "PodDisruptionBudget"), ("autoscaling", "HorizontalPodAutoscaler"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"), ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
}
_PATH_SEGMENT_GROUPS = {"rbac.authorization.k8s.io"}


def _builtin_strategies() -> dict[tuple[str, str], Strategy]:
    return {
        ("", "ConfigMap"): ConfigMapStrategy(),
        ("", "Secret"): SecretStrategy(),
        ("", "Namespace"): NamespaceStrategy(),
        ("", "Pod"): PodStrategy(),
        ("", "Service"): ServiceStrategy(),
        ("", "ResourceQuota"): ResourceQuotaStrategy(),
        ("", "Node"): NodeStrategy(),
        ("", "Event"): EventStrategy(),
        ("", "Endpoints"): Strategy(allow_create_on_update=True),
        ("", "PersistentVolumeClaim"): PersistentVolumeClaimStrategy(),
        ("", "PersistentVolume"): PersistentVolumeStrategy(),
        ("", "ReplicationController"): ReplicationControllerStrategy(),
        ("apps", "Deployment"): deployment_strategy(),
        ("apps", "ReplicaSet"): ReplicatedStrategy(),
        ("apps", "StatefulSet"): statefulset_strategy(),
        ("apps", "DaemonSet"): daemonset_strategy(),
        ("batch", "Job"): JobStrategy(),
        ("autoscaling", "HorizontalPodAutoscaler"): HorizontalPodAutoscalerStrategy(),
        ("batch", "CronJob"): CronJobStrategy(),
        ("certificates.k8s.io", "CertificateSigningRequest"): CertificateSigningRequestStrategy(),
        ("scheduling.k8s.io", "PriorityClass"): PriorityClassStrategy(),
        ("apiextensions.k8s.io", "CustomResourceDefinition"): CustomResourceDefinitionStrategy(),
        ("apiregistration.k8s.io", "APIService"): APIServiceStrategy(),
        ("coordination.k8s.io", "Lease"): Strategy(allow_create_on_update=True),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"): ValidatingAdmissionPolicyStrategy(),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"):
            ValidatingAdmissionPolicyBindingStrategy(),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"): WebhookConfigurationStrategy(),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"): WebhookConfigurationStrategy(),
    }


class StrategyRegistry:
    def __init__(self) -> None:
        self._builtin = _builtin_strategies()
        self._custom: dict[tuple[str, str, tuple[str, ...], bool], Strategy] = {}
        self._lock = threading.Lock()

    def for_type(self, rt: ResourceType) -> Strategy:
        if rt.builtin:
            strategy = self._builtin.get((rt.group, rt.kind))
            if strategy is None:
                strategy = self._generic(rt)
                self._builtin[(rt.group, rt.kind)] = strategy
            return strategy
        key = (rt.group, rt.kind, rt.selectable_fields, rt.has_status())
        with self._lock:
            strategy = self._custom.get(key)
            if strategy is None:
                strategy = self._custom[key] = CustomResourceStrategy(selectable=rt.selectable_fields,
                                                                      status_subresource=rt.has_status())
            return strategy

    @staticmethod
    def _generic(rt: ResourceType) -> Strategy:
        strategy = Strategy(tracks_generation=(rt.group, rt.kind) in _GENERATION_KINDS,
                            allow_create_on_update=rt.group in _PATH_SEGMENT_GROUPS)
        if rt.group in _PATH_SEGMENT_GROUPS:
            strategy.name_rule = path_segment_errors
        return strategy


__all__ = ["Strategy", "StrategyRegistry"]
