"""Masking the Secrets a program may print without the runner reading them (``kubectl get secret -A`` in a
script, a pod's logs echoing a mounted Secret, an operator's Secret in a namespace the test never named):
before the output of a script, a command or a kubectl-like helper is logged, checked or bound, the run's
client brings what it knows of the cluster's Secrets up to date (``client.secrets``), which registers their
values with the run's masker (``util.masking``).

When listing Secrets cluster-wide is refused, the namespaces read are the operation's namespace, the
``$NAMESPACE`` given to the program and those named after ``-n``/``--namespace`` in its arguments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from chainsaw_py.operations.base import OperationContext
from chainsaw_py.util.masking import collecting

_NAMESPACE_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


def learn_secrets(ctx: OperationContext, environment_namespace: str | None = None,
                  argv: Iterable[str] = ()) -> None:
    """Make the masker know every Secret the output of a program (or a pod, or a proxied service) could
    hold."""
    if ctx.cluster is None or not collecting():
        return
    catalog = getattr(ctx.cluster.client, "secrets", None)  # a stand-in client of a test may have none
    if catalog is not None:
        catalog.refresh(namespaces_of(ctx.namespace, environment_namespace, argv))


def namespaces_of(namespace: str | None, environment_namespace: str | None, argv: Iterable[str]) -> list[str]:
    """The distinct namespaces, in order: the operation's, the program's ``$NAMESPACE``, its ``-n`` flags."""
    found = [namespace, environment_namespace, *_namespace_flags(list(argv))]
    return list(dict.fromkeys(name for name in found if name and _NAMESPACE_NAME.fullmatch(name)))


def _namespace_flags(argv: list[str]) -> list[str]:
    values: list[str] = []
    for index, word in enumerate(argv):
        if word in ("-n", "--namespace") and index + 1 < len(argv):
            values.append(argv[index + 1])
        elif word.startswith("--namespace="):
            values.append(word.partition("=")[2])
    return values
