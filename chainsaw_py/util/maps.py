"""Chainsaw's ``maps.Merge``: the deep merge used for templates, resource references, namespace templates and
values files."""

from __future__ import annotations

from typing import Any


def merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Maps merge key by key, recursively; anything else in ``patch`` replaces the base value."""
    out = dict(base)
    for key, patched in patch.items():
        current = out.get(key)
        out[key] = merge(current, patched) if isinstance(patched, dict) and isinstance(current, dict) else patched
    return out
