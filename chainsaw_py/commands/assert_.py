"""``chainsaw-py assert``: evaluate assertion files once against a cluster (reference §5.1; Chainsaw's
``pkg/commands/assert``).

``assert [FILE] [-f FILE|-] [--namespace NS] [--timeout D]`` polls each assertion (resource mode or
bindings-only) until it holds or the timeout passes, in ``--namespace`` (default ``default``), against
the kubeconfig's cluster (``--kube-*`` overrides apply). ``-r/--resource FILE`` asserts against the
documents of a local file instead, with a 1 s timeout. Prints ``Assertion(s) PASSED``, or fails with
``assertion failed`` followed by the error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from chainsaw_py.commands.test import KUBE_FLAGS

DEFAULT_TIMEOUT = "30s"
LOCAL_TIMEOUT = 1.0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("assert", help="Evaluate assertion", description="Evaluate assertion")
    add = parser.add_argument
    add("path", nargs="?", metavar="FILE", help="Path to the file to assert")
    add("-f", "--file", dest="file", help="Path to the file to assert or '-' to read from stdin")
    add("-r", "--resource", dest="resource", help="Path to the file containing the resource")
    add("--timeout", default=DEFAULT_TIMEOUT, type=_duration, metavar="DURATION",
        help=f"The assert timeout to use (default {DEFAULT_TIMEOUT})")
    add("--namespace", default="default", help='Namespace to use (default "default")')
    add("--no-color", action="store_true", help="Removes output colors")
    add("--clustered", action="store_true",
        help="Defines if the resource is clustered (only applies when resource is loaded from a file)")
    for flag, _, help_text in KUBE_FLAGS:
        add(f"--kube-{flag}", dest=f"kube_{flag.replace('-', '_')}", help=help_text)
    add("--kube-as-group", dest="kube_as_group", action="append", default=[],
        help="Group to impersonate for the operation, this flag can be repeated to specify multiple groups.")
    add("--kube-disable-compression", action="store_true", help="If true, opt-out of response compression")
    add("--kube-insecure-skip-tls-verify", action="store_true",
        help="If true, the server's certificate will not be checked for validity")
    add("-n", "--kube-namespace", dest="kube_namespace", help="If present, the namespace scope for this CLI request")
    parser.set_defaults(handler=run)


def _duration(text: str) -> float:
    from chainsaw_py.golang.durations import DurationError, parse_duration

    try:
        return parse_duration(text)
    except DurationError as err:
        raise argparse.ArgumentTypeError(str(err)) from err


def kube_overrides(args: argparse.Namespace) -> dict[str, Any]:
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


def run(args: argparse.Namespace) -> int:
    from chainsaw_py.errors import ChainsawError

    path = args.file or args.path
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
    from chainsaw_py.yamldocs import load_documents

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise ChainsawError(f"failed to load file '{path}': {err.strerror or err}") from err
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


def _cluster(args: argparse.Namespace) -> tuple[Any, float]:
    if args.resource:
        from chainsaw_py.client.local import LocalCluster

        return LocalCluster(_load(args.resource, args.resource)), LOCAL_TIMEOUT
    from chainsaw_py.client import connect

    overrides = kube_overrides(args)
    return connect(None, overrides.get("context"), overrides), float(args.timeout)


def _assert(assertion: dict[str, Any], cluster: Any, namespace: str, timeout: float) -> None:
    from chainsaw_py.api import assert_resource

    assert_resource(assertion, cluster, namespace=namespace, timeout=timeout or None)
