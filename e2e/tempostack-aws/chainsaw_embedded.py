"""Embedded-cluster plugin of the tempostack-aws scenario: a simulated Tempo operator.

chainsaw_py loads this file only when it runs the folder on its embedded cluster (no kubeconfig in use);
upstream Chainsaw and runs against a real cluster never read it. It installs a TempoStack CRD and
controllers that stand in for the Tempo operator and for the Tempo containers:

- the operator reads the storage secret named in ``spec.storage.secret``, checks its keys as tempo-operator
  does (condition ``ConfigurationError``, reason ``InvalidStorageConfig``, the operator's messages), creates
  the objects the operator creates (service account, ConfigMap, deployments, statefulset, services, Jaeger
  UI ingress) and sets the status from the component pods (``Ready``, or ``Pending``/``Failed``);
- the Tempo containers are never run: for each pod the plugin resolves the S3 keys from the secret the pod
  references and lists the bucket with them at the local S3 (a real S3 call); a failure is logged in Tempo's
  words and the container crash-loops, so the stack never becomes Ready.

The job containers of the scenario's later steps (telemetrygen, the trace checks) are not run either: the
embedded job controller marks the jobs succeeded. See README.md, "Run it offline".
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

PACKAGE = "tempo_sim"
NOTICE = ("tempostack-aws: the Tempo operator and the Tempo containers are simulated by this folder's "
          "chainsaw_embedded.py plugin (real: the storage-secret checks and the S3 calls with the secret's keys); "
          "the job containers (telemetrygen, trace checks) are not run, the embedded job controller marks the "
          "jobs succeeded")


def load_package() -> ModuleType:
    """Import ``tempo_sim`` from this folder under a private name (also used by the tests)."""
    directory = Path(__file__).resolve().parent / PACKAGE
    module_name = f"_chainsaw_tempostack_aws_{PACKAGE}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, directory / "__init__.py",
                                                  submodule_search_locations=[str(directory)])
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {directory}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def register(registry: Any) -> None:
    load_package()
    from importlib import import_module

    package = f"_chainsaw_tempostack_aws_{PACKAGE}"
    crd = import_module(f"{package}.crd")
    operator = import_module(f"{package}.operator")
    registry.install_manifests(crd.custom_resource_definition())
    registry.add_controller(crd.API_VERSION, crd.KIND, operator.reconcile_stack, on_delete=operator.forget_stack,
                            owns=operator.OWNED_KINDS, name="tempo-operator-simulated")
    registry.add_controller("v1", "Secret", operator.reconcile_secret, on_delete=operator.reconcile_secret,
                            name="tempo-operator-simulated-secrets")
    registry.add_controller("v1", "Pod", operator.reconcile_pod, name="tempo-containers-simulated")
    registry.notice(NOTICE)
