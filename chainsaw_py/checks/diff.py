"""The unified YAML diff of Chainsaw's assertion failures (chainsaw ``pkg/utils/diff/diff.go``).

The actual resource is first pruned to the keys the expected one mentions (``apiVersion``, ``kind``,
``metadata.name`` and ``metadata.ownerReferences`` are always kept), both sides are marshalled the way
``sigs.k8s.io/yaml`` does it (:mod:`chainsaw_py.golang.yaml`) and compared with a unified diff of three
context lines, as ``github.com/pmezard/go-difflib`` prints it (a port of Python's :mod:`difflib`).
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping
from typing import Any

from chainsaw_py.golang.yaml import marshal

__all__ = ["pretty_diff", "prune_actual", "unified_diff"]

_ROOT_KEPT = ("apiVersion", "kind")
_METADATA_KEPT = ("ownerReferences", "name")


def prune_actual(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``actual`` holding only what ``expected`` asserts on (chainsaw's ``pruneRoot``).

    A key is dropped when the expected side has no such key or holds ``null`` for it. Maps are pruned
    recursively; lists are kept whole. Where the expected side holds a non-map value for a key whose
    actual value is a map, the actual map is kept whole (Go would panic on this type assertion).
    """
    pruned = copy.deepcopy(dict(actual))
    _prune(expected, pruned, keep=_ROOT_KEPT, level="root")
    return pruned


def _prune(expected: Mapping[str, Any], actual: dict[str, Any], keep: tuple[str, ...], level: str) -> None:
    for key in list(actual):
        if key in keep:
            continue
        wanted = expected.get(key)
        if wanted is None:
            del actual[key]
            continue
        value = actual[key]
        if isinstance(value, dict) and isinstance(wanted, Mapping):
            child_keep = _METADATA_KEPT if level == "root" and key == "metadata" else ()
            _prune(wanted, value, keep=child_keep, level="nested")


def split_lines(text: str) -> list[str]:
    """go-difflib's ``SplitLines``: split after each newline; the last piece always gets one more newline."""
    lines = text.split("\n")
    pieces = [line + "\n" for line in lines[:-1]]
    pieces.append(lines[-1] + "\n")
    return pieces


def unified_diff(expected_text: str, actual_text: str) -> str:
    """go-difflib's ``GetUnifiedDiffString`` with ``FromFile: expected``, ``ToFile: actual``, 3 lines of context."""
    lines = difflib.unified_diff(split_lines(expected_text), split_lines(actual_text),
                                 fromfile="expected", tofile="actual", n=3, lineterm="\n")
    return "".join(lines)


def pretty_diff(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> str:
    """Chainsaw's ``PrettyDiff``: the unified diff of expected vs pruned actual, as YAML.

    Raises :class:`chainsaw_py.golang.fmt.GoFormatError` when a side cannot be marshalled.
    """
    pruned = prune_actual(expected, actual)
    return unified_diff(marshal(dict(expected)), marshal(pruned))
