"""The admission chain the embedded cluster runs, in kube-apiserver's plugin order."""

from __future__ import annotations

from chainsaw_py.embedded.admission.celeval import Authorizer
from chainsaw_py.embedded.admission.chain import AdmissionChain
from chainsaw_py.embedded.admission.defaultclasses import DefaultClasses
from chainsaw_py.embedded.admission.limitranges import LimitRanger
from chainsaw_py.embedded.admission.podsecurity import PodSecurity
from chainsaw_py.embedded.admission.policies import ValidatingAdmissionPolicies
from chainsaw_py.embedded.admission.quota import ResourceQuotaAdmission
from chainsaw_py.embedded.admission.webhooks import MutatingWebhooks, ValidatingWebhooks
from chainsaw_py.embedded.resources import ResourceRegistry
from chainsaw_py.embedded.store import Store


def install_default_plugins(chain: AdmissionChain, store: Store, registry: ResourceRegistry,
                            authorizer: Authorizer | None = None) -> None:
    """LimitRanger, DefaultStorageClass and DefaultIngressClass, mutating webhooks, then (after schema validation) PodSecurity, ValidatingAdmissionPolicy,
    validating webhooks and ResourceQuota. ``authorizer`` answers the CEL ``authorizer`` checks (None: all
    allowed, as with ``AlwaysAllow``)."""
    chain.add(LimitRanger(store, registry))
    chain.add(DefaultClasses(store))
    chain.add(MutatingWebhooks(store, registry, authorizer))
    chain.add(PodSecurity(store, registry))
    chain.add(ValidatingAdmissionPolicies(store, registry, authorizer))
    chain.add(ValidatingWebhooks(store, registry, authorizer))
    chain.add(ResourceQuotaAdmission(store, registry))
