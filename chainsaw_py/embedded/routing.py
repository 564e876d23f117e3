"""URL paths of the Kubernetes REST API, parsed into a :class:`ResourcePath`.

``/api/v1/namespaces/ns/pods/name/log`` -> group "", version v1, namespace ns, plural pods, name, subresource log.
Also the deprecated ``/watch/`` prefix and namespace subresources (``/api/v1/namespaces/x/status``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

_NAMESPACE_SUBRESOURCES = ("status", "finalize")


@dataclass(frozen=True)
class ResourcePath:
    group: str
    version: str
    plural: str
    namespace: str | None = None      # None = all namespaces / cluster-scoped
    name: str = ""
    subresource: str = ""
    legacy_watch: bool = False


@dataclass(frozen=True)
class GroupVersionPath:
    """``/api/v1`` or ``/apis/<g>/<v>`` itself (a resource list) or ``/apis/<g>`` (a group)."""

    group: str
    version: str = ""


def parse_path(path: str, is_resource: Callable[[str, str, str], bool]) -> ResourcePath | GroupVersionPath | None:
    """Parse an API path; ``is_resource(group, version, plural)`` disambiguates namespace subresources."""
    segments = [segment for segment in path.split("/") if segment]
    if not segments:
        return None
    if segments[0] == "api":
        if len(segments) < 2:
            return None
        group, version, rest = "", segments[1], segments[2:]
    elif segments[0] == "apis":
        if len(segments) < 2:
            return None
        if len(segments) == 2:
            return GroupVersionPath(segments[1])
        group, version, rest = segments[1], segments[2], segments[3:]
    else:
        return None
    if not rest:
        return GroupVersionPath(group, version)
    return _resource_path(group, version, rest, is_resource)


def _resource_path(group: str, version: str, rest: list[str],
                   is_resource: Callable[[str, str, str], bool]) -> ResourcePath | None:
    legacy_watch = False
    if rest[0] == "watch":
        legacy_watch, rest = True, rest[1:]
        if not rest:
            return None
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace, plural = rest[1], rest[2]
        namespace_subresource = plural in _NAMESPACE_SUBRESOURCES and not is_resource(group, version, plural)
        if not namespace_subresource:
            if len(rest) > 5 and not (rest[4] == "proxy" and not legacy_watch):
                return None
            return ResourcePath(group, version, plural, namespace, rest[3] if len(rest) > 3 else "",
                                rest[4] if len(rest) > 4 else "", legacy_watch)
        if len(rest) > 3:
            return None
        return ResourcePath(group, version, "namespaces", None, namespace, plural, legacy_watch)
    if len(rest) > 3 and rest[2] != "proxy":
        return None
    return ResourcePath(group, version, rest[0], None, rest[1] if len(rest) > 1 else "",
                        rest[2] if len(rest) > 2 else "", legacy_watch)
