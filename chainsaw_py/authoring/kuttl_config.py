"""kuttl ``TestSuite`` -> Chainsaw v1alpha1 ``Configuration``, as ``chainsaw migrate kuttl config`` converts it.

The suite's metadata is kept (named ``configuration`` when it has no name); the suite ``timeout`` (seconds)
becomes every default timeout; ``skipDelete``, ``parallel``, ``reportFormat``, ``reportName`` and ``namespace``
are copied. The result is shaped as Go marshals the v1alpha1 struct: the six timeouts and ``template`` are
always written, and ``template`` is ``false`` (kuttl does not template resources, and neither does the
migrated configuration).

One deliberate difference: without a suite timeout upstream writes ``0s`` timeouts, which would make every
operation time out at once; chainsaw_py writes kuttl's documented default of 30 seconds instead.
"""

from __future__ import annotations

from typing import Any

from chainsaw_py.authoring.kuttl_types import KuttlDecodeError, decode_test_suite
from chainsaw_py.authoring.manifests import api_version
from chainsaw_py.errors import ChainsawError
from chainsaw_py.golang.durations import format_duration_ns

CONFIGURATION_API_VERSION = "chainsaw.kyverno.io/v1alpha1"
DEFAULT_NAME = "configuration"
KUTTL_DEFAULT_TIMEOUT_SECONDS = 30
_TIMEOUTS = ("apply", "assert", "cleanup", "delete", "error", "exec")


def convert_suite(resource: dict[str, Any], path: str) -> dict[str, Any]:
    """The v1alpha1 Configuration (as Go's JSON) for a kuttl TestSuite document read from ``path``."""
    if not api_version(resource).startswith("kuttl.dev/"):
        raise ChainsawError(f"unknown resource {api_version(resource)} / {resource.get('kind', '')}")
    if resource.get("kind") != "TestSuite":
        raise ChainsawError(f"unknown kuttl resource {resource.get('kind', '')}")
    try:
        suite = decode_test_suite(resource)
    except KuttlDecodeError as err:
        raise ChainsawError(f"failed to convert TestSuite ({path}): {err}") from None
    metadata = {key: value for key, value in suite.metadata.items() if value not in (None, "", 0, [], {})}
    metadata.setdefault("name", DEFAULT_NAME)
    timeout = format_duration_ns((suite.timeout or KUTTL_DEFAULT_TIMEOUT_SECONDS) * 1_000_000_000)
    spec: dict[str, Any] = {"timeouts": dict.fromkeys(_TIMEOUTS, timeout), "template": False}
    optional = {"skipDelete": suite.skip_delete, "reportFormat": suite.report_format,
                "reportName": suite.report_name, "namespace": suite.namespace}
    spec.update({key: value for key, value in optional.items() if value})
    if suite.parallel:
        spec["parallel"] = suite.parallel
    return {"apiVersion": CONFIGURATION_API_VERSION, "kind": "Configuration", "metadata": metadata, "spec": spec}
