"""Go's ``path/filepath`` (Unix flavour): where Chainsaw's behaviour depends on their exact semantics."""

from __future__ import annotations

import os
import posixpath


def join(*parts: str) -> str:
    """``filepath.Join``: join the non-empty parts with ``/`` and clean the result (an absolute later
    part does not discard the earlier ones, unlike ``os.path.join``)."""
    kept = [part for part in parts if part]
    return clean("/".join(kept)) if kept else ""


def clean(path: str) -> str:
    """``filepath.Clean``: ``normpath`` without its special case for a leading ``//``."""
    if not path:
        return "."
    cleaned = posixpath.normpath(path)
    return "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned


def ext(path: str) -> str:
    """``filepath.Ext``: the suffix from the last dot of the last element (``.chainsaw`` -> ``.chainsaw``)."""
    base = path[path.rfind("/") + 1:]
    dot = base.rfind(".")
    return base[dot:] if dot >= 0 else ""


def base(path: str) -> str:
    """``filepath.Base``: the last element, trailing slashes removed; ``.`` for an empty path."""
    if not path:
        return "."
    stripped = path.rstrip("/")
    if not stripped:
        return "/"
    return stripped[stripped.rfind("/") + 1:]


class RelError(ValueError):
    """``filepath.Rel`` cannot make one path relative to the other."""


def directory(path: str) -> str:
    """``filepath.Dir``: everything but the last element, cleaned (``.`` for a bare file name)."""
    return clean(path[: path.rfind("/") + 1])


def absolute(path: str) -> str:
    """``filepath.Abs``: the path joined to the working directory when relative, cleaned."""
    return clean(path if path.startswith("/") else join(os.getcwd(), path))


def relative(base_path: str, target_path: str) -> str:
    """``filepath.Rel``: ``target_path`` relative to ``base_path``, lexically (no file system access)."""
    base, target = clean(base_path), clean(target_path)
    if target == base:
        return "."
    if base == ".":
        base = ""
    if base.startswith("/") != target.startswith("/"):
        raise RelError(f"Rel: can't make {target_path} relative to {base_path}")
    base_parts = base.split("/") if base else []
    target_parts = target.split("/")
    common = 0
    while (common < len(base_parts) and common < len(target_parts)
           and base_parts[common] == target_parts[common]):
        common += 1
    if common < len(base_parts) and base_parts[common] == "..":
        raise RelError(f"Rel: can't make {target_path} relative to {base_path}")
    return "/".join([".."] * (len(base_parts) - common) + target_parts[common:])
