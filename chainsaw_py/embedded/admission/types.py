"""The admission request as plugins see it, and the plugin interface."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from chainsaw_py.embedded.auth.identity import UserInfo
from chainsaw_py.embedded.resources import ResourceType

CREATE, UPDATE, DELETE, CONNECT = "CREATE", "UPDATE", "DELETE", "CONNECT"


@dataclass
class AdmissionAttributes:
    """One request under admission (``admission.Attributes``). Mutating plugins replace ``obj``."""

    operation: str
    rt: ResourceType
    namespace: str
    name: str
    obj: dict[str, Any] | None
    old: dict[str, Any] | None
    user: UserInfo
    subresource: str = ""
    dry_run: bool = False
    options: dict[str, Any] = field(default_factory=dict)    # CreateOptions / UpdateOptions / DeleteOptions
    warnings: list[str] = field(default_factory=list)
    audit_annotations: dict[str, str] = field(default_factory=dict)

    @property
    def request_namespace(self) -> str:
        """The namespace matching rules see: a Namespace object's own name for namespaces."""
        if self.rt.group == "" and self.rt.plural == "namespaces":
            return self.name
        return self.namespace


class AdmissionPlugin(Protocol):
    """One admission plugin. ``active()`` is a cheap test that lets the chain skip idle plugins."""

    name: str

    def active(self) -> bool: ...

    def mutate(self, attrs: AdmissionAttributes) -> None: ...

    def validate(self, attrs: AdmissionAttributes) -> None: ...
