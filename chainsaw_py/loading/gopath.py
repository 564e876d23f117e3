"""Go's ``path/filepath`` helpers where Chainsaw's behaviour depends on their exact semantics."""

from __future__ import annotations

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
