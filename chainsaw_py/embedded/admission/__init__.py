"""Admission control like kube-apiserver's: one chain of plugins run on create, update, delete and connect.

The chain (``AdmissionChain``) runs every plugin's ``mutate`` (in order), then the API server validates the
object against its schema and strategy, then every plugin's ``validate``. ``ApiServer`` calls the chain from one
place per verb; plugins implement :class:`AdmissionPlugin`.
"""

from chainsaw_py.embedded.admission.chain import AdmissionChain
from chainsaw_py.embedded.admission.types import (
    CONNECT,
    CREATE,
    DELETE,
    UPDATE,
    AdmissionAttributes,
    AdmissionPlugin,
)
from chainsaw_py.embedded.resources import ResourceRegistry
from chainsaw_py.embedded.store import Store

__all__ = ["CONNECT", "CREATE", "DELETE", "UPDATE", "AdmissionAttributes", "AdmissionChain", "AdmissionPlugin",
           "install_default_plugins"]


def install_default_plugins(chain: AdmissionChain, store: Store, registry: ResourceRegistry) -> None:
    """kube-apiserver's order: LimitRanger, mutating webhooks, then (after schema validation)
    PodSecurity, ValidatingAdmissionPolicy, validating webhooks and ResourceQuota."""
    from chainsaw_py.embedded.admission.limitranges import LimitRanger
    from chainsaw_py.embedded.admission.podsecurity import PodSecurity
    from chainsaw_py.embedded.admission.policies import ValidatingAdmissionPolicies
    from chainsaw_py.embedded.admission.quota import ResourceQuotaAdmission
    from chainsaw_py.embedded.admission.webhooks import MutatingWebhooks, ValidatingWebhooks

    chain.add(LimitRanger(store, registry))
    chain.add(MutatingWebhooks(store, registry))
    chain.add(PodSecurity(store, registry))
    chain.add(ValidatingAdmissionPolicies(store, registry))
    chain.add(ValidatingWebhooks(store, registry))
    chain.add(ResourceQuotaAdmission(store, registry))
