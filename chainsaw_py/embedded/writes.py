"""What the API server's write paths exchange, and the narrow view of the server that server-side apply and
watch streams use (so that neither imports the server): patch content types, write/delete options, results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from chainsaw_py.embedded.resources import ResourceType
from chainsaw_py.embedded.store import Store, StoredObject

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"


@dataclass
class WriteOptions:
    dry_run: bool = False
    field_validation: str = "Warn"
    field_manager: str = ""
    force: bool = False
    duplicate_fields: list[str] = field(default_factory=list)   # keys repeated in the request body
    agent_manager: str = ""        # the manager an unnamed write is recorded under (the User-Agent's product)
    applying: bool = False         # server-side apply records its own managedFields

    @property
    def update_manager(self) -> str:
        return "" if self.applying else (self.field_manager or self.agent_manager)


@dataclass
class DeleteOptions:
    propagation: str | None = None
    grace_period: int | None = None
    uid: str | None = None
    resource_version: str | None = None
    dry_run: bool = False

    @classmethod
    def from_body(cls, body: dict[str, Any] | None, **query: Any) -> DeleteOptions:
        body = body or {}
        preconditions = body.get("preconditions") or {}
        propagation = query.get("propagation") or body.get("propagationPolicy")
        orphan = body.get("orphanDependents", query.get("orphan"))
        if propagation is None and orphan is not None:
            propagation = "Orphan" if orphan else "Background"
        grace = query.get("grace_period")
        if grace is None:
            grace = body.get("gracePeriodSeconds")
        dry_run = bool(query.get("dry_run")) or "All" in (body.get("dryRun") or [])
        return cls(propagation, None if grace is None else int(grace), preconditions.get("uid"),
                   preconditions.get("resourceVersion"), dry_run)


@dataclass
class Result:
    """A write's outcome: the object to return, the HTTP code and any warnings."""

    obj: dict[str, Any]
    code: int = 200
    warnings: list[str] = field(default_factory=list)
    stored: StoredObject | None = None
    encoded: bytes | None = None      # ``stored``'s JSON as committed, when the write already made it


@dataclass
class ListResult:
    items: list[StoredObject]
    resource_version: int
    continue_token: str = ""
    remaining: int | None = None


class ObjectServer(Protocol):
    """The part of :class:`~chainsaw_py.embedded.apiserver.ApiServer` that apply and watch rely on."""

    store: Store

    def now(self) -> str: ...

    def present(self, rt: ResourceType, stored: StoredObject) -> StoredObject: ...

    def present_all(self, rt: ResourceType, items: list[StoredObject]) -> list[StoredObject]: ...

    def create(self, rt: ResourceType, namespace: str, body: Any, options: WriteOptions | None = None) -> Result: ...

    def commit_prepared(self, rt: ResourceType, candidate: Any, current: StoredObject, options: WriteOptions,
                        subresource: str, name: str, namespace: str) -> Result: ...
