"""Go's ``path/filepath`` functions the authoring commands need beyond ``chainsaw_py.loading.gopath``."""

from __future__ import annotations

from chainsaw_py.errors import ChainsawError
from chainsaw_py.loading import gopath


def go_dir(path: str) -> str:
    """``filepath.Dir``: everything but the last element, cleaned (``.`` for a bare file name)."""
    return gopath.clean(path[: path.rfind("/") + 1])


def go_abs(path: str) -> str:
    """``filepath.Abs``: the path joined to the working directory when relative, cleaned."""
    import os

    return gopath.clean(path if path.startswith("/") else gopath.join(os.getcwd(), path))


def go_rel(base_path: str, target_path: str) -> str:
    """``filepath.Rel``: ``target_path`` relative to ``base_path``, lexically (no file system access)."""
    base, target = gopath.clean(base_path), gopath.clean(target_path)
    if target == base:
        return "."
    if base == ".":
        base = ""
    if base.startswith("/") != target.startswith("/"):
        raise ChainsawError(f"Rel: can't make {target_path} relative to {base_path}")
    base_parts = base.split("/") if base else []
    target_parts = target.split("/")
    common = 0
    while (common < len(base_parts) and common < len(target_parts)
           and base_parts[common] == target_parts[common]):
        common += 1
    if common < len(base_parts) and base_parts[common] == "..":
        raise ChainsawError(f"Rel: can't make {target_path} relative to {base_path}")
    return "/".join([".."] * (len(base_parts) - common) + target_parts[common:])
