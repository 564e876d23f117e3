"""Admission control like kube-apiserver's: one chain of plugins run on create, update, delete and connect.

The chain (``AdmissionChain``) runs every plugin's ``mutate`` (in order), then the API server validates the
object against its schema and strategy, then every plugin's ``validate``. ``ApiServer`` calls the chain from one
place per verb; plugins implement :class:`AdmissionPlugin`; ``defaults.install_default_plugins`` builds
kube-apiserver's chain.
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

__all__ = ["CONNECT", "CREATE", "DELETE", "UPDATE", "AdmissionAttributes", "AdmissionChain", "AdmissionPlugin"]

