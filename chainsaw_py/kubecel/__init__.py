"""The Kubernetes CEL libraries (``k8s.io/apiserver/pkg/cel/library``) as functions for the ``cel`` package, in
the bottom layer so that Chainsaw's CEL (``expressions``) and the embedded API server (CRD
``x-kubernetes-validations``, ValidatingAdmissionPolicy, webhook ``matchConditions``) share one implementation.

- ``library`` — Quantity, Regex, Lists, URLs, IP, CIDR and Format.
- ``semver`` — Semver.
- ``authz`` — Authz (needs an authorizer bound with ``authz.bound``; the API server has one, Chainsaw does not).
- ``checkpoints`` — source rewrites both evaluators compile with: a (costed) checkpoint in every macro
  iteration, Go's ``duration()`` argument check.
- ``extensions`` — linear-time versions of the ``cel`` package's quadratic or per-character functions.

The ``cel`` package cannot carry Python objects through an evaluation, so library values travel as small tagged
maps (``{"__quantity__": "1536Mi"}``); methods are plain functions taking that map first (CEL turns
``q.isLessThan(x)`` into ``isLessThan(q, x)``). Functions raise ``LibraryError``. Imports only ``golang``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chainsaw_py.kubecel import authz, library, semver
from chainsaw_py.kubecel.errors import LibraryError

__all__ = ["LibraryError", "as_string", "authz", "authz_functions", "functions"]


def _either(on_semver: Callable[[Any, Any], Any], on_quantity: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``compareTo``, ``isLessThan`` and ``isGreaterThan`` are overloaded on quantities and semvers."""
    def call(left: Any, right: Any) -> Any:
        return on_semver(left, right) if semver.is_semver_value(left) else on_quantity(left, right)
    return call


def functions() -> dict[str, Callable[..., Any]]:
    """Every library but Authz."""
    table = library.functions()
    table.update(semver.functions())
    table["compareTo"] = _either(semver.compare, table["compareTo"])
    table["isLessThan"] = _either(lambda a, b: semver.compare(a, b) < 0, table["isLessThan"])
    table["isGreaterThan"] = _either(lambda a, b: semver.compare(a, b) > 0, table["isGreaterThan"])
    return table


def authz_functions() -> dict[str, Callable[..., Any]]:
    return authz.functions()


def as_string(value: dict[str, Any]) -> str | None:
    """The string form of a tagged library value, None for an ordinary map."""
    if len(value) == 1 and semver.TAG in value:
        return str(value[semver.TAG])
    return library.as_string(value)
