"""Chainsaw's assert/error failure messages (``pkg/engine/operations/errors/resource.go``, ``.../error``).

:func:`resource_error_message` renders one candidate's failure block::

    ---------------------------------
    apps/v1/Deployment/my-ns/my-app
    ---------------------------------
    * spec.replicas: Invalid value: 2: Expected value: 3

    --- expected
    +++ actual
    @@ -1,5 +1,5 @@
    ...

The header is the *actual* resource's ``apiVersion/kind/[namespace/]name`` (``*`` for an empty name), framed
by dashes as long as the header. The field errors are sorted. The expected side of the diff is templated
again (``template=True``) with ``@`` = the expected resource itself; when that fails the block gets a
``* ERROR: failed to compute expected template: ...`` line and the raw expected side is diffed. When a side
cannot be marshalled, ``* <error>`` replaces the diff. Secrets are redacted (:mod:`chainsaw_py.checks.redact`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from chainsaw_py.checks.diff import pretty_diff
from chainsaw_py.checks.errors import FieldError
from chainsaw_py.checks.redact import is_secret, redact_field_error, redact_secret_pair
from chainsaw_py.golang.fmt import GoFormatError

if TYPE_CHECKING:
    from chainsaw_py.expressions import Bindings

__all__ = [
    "EXPECTATION_MATCHED",
    "resource_error_message",
    "resource_key",
    "resource_matched_message",
]

EXPECTATION_MATCHED = "expectation matched"
"""The error operation's failure for a non-resource expectation that matched."""


def _metadata(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = resource.get("metadata")
    return metadata if isinstance(metadata, Mapping) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def resource_key(resource: Mapping[str, Any]) -> str:
    """Chainsaw's ``client.Name(client.Key(obj))``: ``namespace/name``, ``name``, ``*`` when the name is empty."""
    metadata = _metadata(resource)
    name = _text(metadata.get("name")) or "*"
    namespace = _text(metadata.get("namespace"))
    return f"{namespace}/{name}" if namespace else name


def _resource_id(resource: Mapping[str, Any]) -> str:
    return f"{_text(resource.get('apiVersion'))}/{_text(resource.get('kind'))}/{resource_key(resource)}"


def resource_matched_message(actual: Mapping[str, Any]) -> str:
    """The error operation's failure for a candidate that matches: ``v1/Pod/ns/name - resource matches expectation``."""
    return f"{_resource_id(actual)} - resource matches expectation"


def resource_error_message(
    expected: Mapping[str, Any],
    actual: Mapping[str, Any],
    errors: Sequence[FieldError],
    bindings: Bindings | None = None,
    compiler: str | None = "jp",
    template: bool = True,
) -> str:
    """One candidate's failure block: header, sorted ``* `` error lines, then the unified YAML diff."""
    header = _resource_id(actual)
    separator = "-" * len(header.encode("utf-8"))
    lines = [separator, header, separator]
    lines.extend(sorted(f"* {redact_field_error(error, actual)}" for error in errors))
    expected_side: Mapping[str, Any] = expected
    if template:
        templated, failure = _templated(expected, bindings, compiler)
        if failure is not None:
            lines.append(f"* ERROR: failed to compute expected template: {failure}")
        else:
            expected_side = templated
    if is_secret(actual):
        expected_side, actual = redact_secret_pair(expected_side, actual)
    try:
        diff = pretty_diff(expected_side, actual)
    except GoFormatError as error:
        lines.append(f"* {error}")
    else:
        lines.extend(["", diff])
    return "\n".join(lines)


def _templated(expected: Mapping[str, Any], bindings: Bindings | None,
               compiler: str | None) -> tuple[Mapping[str, Any], str | None]:
    from chainsaw_py.expressions import Bindings, ExpressionError, template

    scope = bindings if bindings is not None else Bindings()
    try:
        result = template(dict(expected), dict(expected), scope, compiler or "jp")
    except ExpressionError as error:
        return expected, str(error)
    if not isinstance(result, Mapping):
        return expected, None
    return result, None
