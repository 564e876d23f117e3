"""Masking the Secrets a program may print without the runner reading them (``kubectl get secret`` in a
script, a pod's logs echoing a mounted Secret): before the output of a script, a command or a kubectl-like
helper is logged, checked or bound, the Secrets of the namespaces it ran against are read through the
run's client, which registers their values with the run's masker (``util.masking``).

The namespaces are the operation's namespace, the ``$NAMESPACE`` given to the program and those named
after ``-n``/``--namespace`` in its arguments. A Secret elsewhere that the run never reads is not masked
(see docs/runner.md). Listing is best effort: a refusal (RBAC) or an error leaves the output as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from chainsaw_py.errors import ChainsawError
from chainsaw_py.operations.base import OperationContext
from chainsaw_py.util.masking import collecting

_NAMESPACE_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
MAX_NAMESPACES = 8
"""At most this many namespaces are read per program run (each costs one LIST request)."""


def register_namespace_secrets(ctx: OperationContext, environment_namespace: str | None,
                               argv: Iterable[str]) -> None:
    """Read the Secrets of the namespaces a program ran against, so that the masker knows their values."""
    if ctx.cluster is None or not collecting():
        return
    client = ctx.cluster.client
    for namespace in namespaces_of(ctx.namespace, environment_namespace, argv)[:MAX_NAMESPACES]:
        try:
            client.list("v1", "Secret", namespace)  # the client registers what it reads
        except (ChainsawError, OSError):
            continue


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
