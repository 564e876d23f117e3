"""``chainsaw-py assert``: evaluate assertion files once against a cluster (Chainsaw's
``pkg/commands/assert``).

``assert [FILE] [-f FILE|-] [--namespace NS] [--timeout D]`` polls each assertion (resource mode or
bindings-only) until it holds or the timeout passes, in ``--namespace`` (default ``default``), against
the kubeconfig's cluster (``--kube-*`` overrides apply). ``-r/--resource FILE`` asserts against the
documents of a local file instead, with a 1 s timeout. Prints ``Assertion(s) PASSED``, or fails with
``assertion failed`` followed by the error.
"""

from __future__ import annotations

import sys
from typing import Any

from chainsaw_py.commands.test import KUBE_FLAGS, add_kube_flags
from chainsaw_py.commands.tree import Arguments, Command, range_args

DEFAULT_TIMEOUT = "30s"
LOCAL_TIMEOUT = 1.0


def command() -> Command:
    assert_ = Command("assert [flags] [FILE]", "Evaluate assertion", run=run, args=range_args(0, 1))
    flag = assert_.flag
    flag("file", "string", "Path to the file to assert or '-' to read from stdin", shorthand="f")
    flag("resource", "string", "Path to the file containing the resource", shorthand="r")
    flag("timeout", "duration", "The assert timeout to use", value=DEFAULT_TIMEOUT)
    flag("namespace", "string", "Namespace to use", value="default")
    flag("no-color", "bool", "Removes output colors", value=False)
    flag("clustered", "bool",
         "Defines if the resource is clustered (only applies when resource is loaded from a file)", value=False)
    add_kube_flags(assert_)
    return assert_


def kube_overrides(args: Arguments) -> dict[str, Any]:
    overrides: dict[str, Any] = {key: getattr(args, f"kube_{key}") for _, key, _ in KUBE_FLAGS
                                 if getattr(args, f"kube_{key}")}
    if args.kube_as_group:
        overrides["as_group"] = args.kube_as_group
    for key in ("disable_compression", "insecure_skip_tls_verify"):
        if getattr(args, f"kube_{key}"):
            overrides[key] = True
    if args.kube_namespace:
        overrides["namespace"] = args.kube_namespace
    return overrides


def run(args: Arguments) -> int:
    from chainsaw_py.errors import ChainsawError

    path = args.file or (args.args[0] if args.args else "")
    if not path:
        raise ChainsawError("either a file path as an argument or the --file flag must be provided")
    assertions = _load(path, "stdin" if path == "-" else path)
    cluster, timeout = _cluster(args)
    try:
        for assertion in assertions:
            _assert(assertion, cluster, args.namespace, timeout)
    finally:
        close = getattr(cluster, "close", None)
        if close is not None:
            close()
    print("Assertion(s) PASSED")
    return 0


def _load(path: str, label: str) -> list[dict[str, Any]]:
    from chainsaw_py.errors import ChainsawError, LoadError
    from chainsaw_py.util import files
    from chainsaw_py.yamldocs import load_documents

    try:
        text = sys.stdin.read() if path == "-" else files.read_text(path)
    except (OSError, UnicodeDecodeError) as err:
        raise ChainsawError(f"failed to load file '{path}': {err}") from None
    try:
        documents = load_documents(text, label)
    except LoadError as err:
        raise ChainsawError(f"failed to load file '{path}': {err}") from err
    resources: list[dict[str, Any]] = []
    for document in documents:
        if document is None:
            continue
        if not isinstance(document, dict):
            raise ChainsawError(f"failed to load file '{path}': expected an object, got {type(document).__name__}")
        items = document.get("items")
        if isinstance(items, list):
            resources.extend(item for item in items if isinstance(item, dict))
        else:
            resources.append(document)
    return resources


def _cluster(args: Arguments) -> tuple[Any, float]:
    if args.resource:
        from chainsaw_py.client.local import LocalCluster

        return LocalCluster(_load(args.resource, args.resource)), LOCAL_TIMEOUT
    from chainsaw_py.client import connect
    from chainsaw_py.golang.durations import parse_duration

    overrides = kube_overrides(args)
    return connect(None, overrides.get("context"), overrides), parse_duration(args.timeout)


def _assert(assertion: dict[str, Any], cluster: Any, namespace: str, timeout: float) -> None:
    from chainsaw_py.api import assert_resource

    assert_resource(assertion, cluster, namespace=namespace, timeout=timeout or None)
