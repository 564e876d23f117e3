"""The per-kind REST strategy (defaulting, validation, status handling) and generic ObjectMeta validation.

Each kind's behaviour mirrors the apiserver's ``rest.RESTCreateStrategy`` / ``RESTUpdateStrategy``: a
:class:`Strategy` says whether ``metadata.generation`` tracks spec changes, fills defaults, validates
(raising 422 through :class:`FieldErrors`) and decides graceful deletion. Strategies get a
:class:`StrategyContext` for what they need from the server (namespaces, allocators, the clock).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from chainsaw_py.embedded.apierrors import FieldErrors
from chainsaw_py.embedded.resources import ResourceType
from chainsaw_py.util.labels import (
    dns1123_subdomain_errors,
    label_value_errors,
    qualified_name_errors,
    regex_error,
)

NameRule = Callable[[str], list[str]]

_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL_RE = re.compile(f"^{_DNS1123_LABEL_FMT}$")
_DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_DNS1035_LABEL_RE = re.compile(f"^{_DNS1035_LABEL_FMT}$")


def dns1123_label_errors(value: str) -> list[str]:
    errors: list[str] = []
    if len(value) > 63:
        errors.append("must be no more than 63 characters")
    if not _DNS1123_LABEL_RE.match(value):
        errors.append(regex_error("a lowercase RFC 1123 label must consist of lower case alphanumeric characters "
                                  "or '-', and must start and end with an alphanumeric character",
                                  _DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return errors


def dns1035_label_errors(value: str) -> list[str]:
    errors: list[str] = []
    if len(value) > 63:
        errors.append("must be no more than 63 characters")
    if not _DNS1035_LABEL_RE.match(value):
        errors.append(regex_error("a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
                                  "start with an alphabetic character, and end with an alphanumeric character",
                                  _DNS1035_LABEL_FMT, "my-name", "abc-123"))
    return errors


def path_segment_errors(value: str) -> list[str]:
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{char}'" for char in ("/", "%") if char in value]


class StrategyContext(Protocol):
    """What strategies may ask of the server."""

    def now(self) -> str: ...

    def get_object(self, group: str, plural: str, namespace: str, name: str) -> dict[str, Any] | None: ...

    def list_objects(self, group: str, plural: str) -> list[dict[str, Any]]: ...

    def allocate_cluster_ip(self) -> str: ...

    def reserve_cluster_ip(self, ip: str) -> bool: ...

    def allocate_node_port(self) -> int: ...

    def reserve_node_port(self, port: int) -> bool: ...

    def release_service(self, service: dict[str, Any]) -> None: ...

    def random_suffix(self, length: int = 5) -> str: ...


@dataclass
class Strategy:
    """Default behaviour of a kind; subclasses override what differs."""

    tracks_generation: bool = False
    allow_create_on_update: bool = False
    return_deleted_object: bool = False
    name_rule: NameRule = dns1123_subdomain_errors

    def defaults(self, obj: dict[str, Any], ctx: StrategyContext) -> None:
        """Fill defaulted fields (runs on create and update, like the scheme defaulters)."""

    def prepare_create(self, obj: dict[str, Any], rt: ResourceType, ctx: StrategyContext) -> None:
        """Reset what clients may not set on create (status for kinds with a status subresource)."""
        if rt.has_status():
            obj.pop("status", None)
            if rt.builtin:
                obj["status"] = {}   # Go always encodes a status struct, even an empty one
            self.initial_status(obj, ctx)

    def initial_status(self, obj: dict[str, Any], ctx: StrategyContext) -> None:
        """The status a freshly created object starts with."""

    def prepare_update(self, new: dict[str, Any], old: dict[str, Any], rt: ResourceType) -> None:
        """Main-resource updates keep the old status when the kind has a status subresource."""
        if rt.has_status():
            if "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)

    def validate(self, obj: dict[str, Any], errors: FieldErrors, ctx: StrategyContext) -> None:
        """Kind-specific validation of a new object (create and update)."""

    def validate_update(self, new: dict[str, Any], old: dict[str, Any], errors: FieldErrors) -> None:
        """Kind-specific checks comparing to the previous object (immutability)."""

    def spec_changed(self, new: dict[str, Any], old: dict[str, Any]) -> bool:
        ignored = ("metadata", "status")
        return ({k: v for k, v in new.items() if k not in ignored}
                != {k: v for k, v in old.items() if k not in ignored})

    def grace_period(self, obj: dict[str, Any], requested: int | None) -> int:
        """Seconds of graceful deletion (0 = delete at once)."""
        return 0

    def blocks_deletion(self, obj: dict[str, Any]) -> bool:
        """True while something other than metadata.finalizers keeps a deleted object (namespace finalizers)."""
        return False

    def on_delete_request(self, obj: dict[str, Any]) -> None:
        """Adjust an object that has just been marked for deletion (e.g. a namespace's Terminating phase)."""

    def selectable_fields(self, obj: dict[str, Any]) -> dict[str, str]:
        meta = obj.get("metadata", {})
        return {"metadata.name": meta.get("name", ""), "metadata.namespace": meta.get("namespace", "")}

    def release(self, obj: dict[str, Any], ctx: StrategyContext) -> None:
        """Release what the object held (service IPs, ...): after deletion, or when a create that prepared it
        fails or is a dry run."""


# --- ObjectMeta validation (k8s.io/apimachinery/pkg/api/validation/objectmeta.go) ------------------------

TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024


def validate_object_meta(meta: dict[str, Any], namespaced: bool, name_rule: NameRule, errors: FieldErrors) -> None:
    name = meta.get("name", "")
    if not name:
        errors.required("metadata.name", "name or generateName is required")
    else:
        for problem in name_rule(name):
            errors.invalid("metadata.name", name, problem)
    if namespaced and not meta.get("namespace"):
        errors.required("metadata.namespace")
    validate_labels(meta.get("labels") or {}, "metadata.labels", errors)
    validate_annotations(meta.get("annotations") or {}, "metadata.annotations", errors)
    _validate_finalizers(meta.get("finalizers") or [], errors)
    _validate_owner_references(meta.get("ownerReferences") or [], errors)


def validate_labels(labels: dict[str, Any], path: str, errors: FieldErrors) -> None:
    for key, value in labels.items():
        for problem in qualified_name_errors(key):
            errors.invalid(path, key, problem)
        for problem in label_value_errors(str(value)):
            errors.invalid(path, value, problem)


def validate_annotations(annotations: dict[str, Any], path: str, errors: FieldErrors) -> None:
    total = 0
    for key, value in annotations.items():
        for problem in qualified_name_errors(key.lower()):
            errors.invalid(path, key, problem)
        total += len(key) + len(str(value))
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        errors.too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT)


def _validate_finalizers(finalizers: list[Any], errors: FieldErrors) -> None:
    seen: set[str] = set()
    for index, finalizer in enumerate(finalizers):
        for problem in qualified_name_errors(str(finalizer)):
            errors.invalid(f"metadata.finalizers[{index}]", finalizer, problem)
        if finalizer in seen:
            errors.duplicate(f"metadata.finalizers[{index}]", finalizer)
        seen.add(str(finalizer))


def _validate_owner_references(references: list[Any], errors: FieldErrors) -> None:
    controllers = 0
    for index, reference in enumerate(references):
        path = f"metadata.ownerReferences[{index}]"
        for field_name in ("apiVersion", "kind", "name", "uid"):
            if not reference.get(field_name):
                detail = {"apiVersion": "version must not be empty", "kind": "kind must not be empty",
                          "name": "name must not be empty", "uid": "uid must not be empty"}[field_name]
                errors.invalid(f"{path}.{field_name}", reference.get(field_name, ""), detail)
        if reference.get("controller"):
            controllers += 1
    if controllers > 1:
        errors.invalid("metadata.ownerReferences", references,
                       "Only one reference can have Controller set to true")


def validate_meta_update(new: dict[str, Any], old: dict[str, Any], errors: FieldErrors) -> None:
    for field_name in ("name", "namespace"):
        if new.get(field_name, "") != old.get(field_name, ""):
            errors.invalid(f"metadata.{field_name}", new.get(field_name, ""), "field is immutable")
    if old.get("deletionTimestamp"):
        added = set(new.get("finalizers") or []) - set(old.get("finalizers") or [])
        if added:
            listed = ", ".join(f'"{item}"' for item in sorted(added))
            errors.forbidden("metadata.finalizers", "no new finalizers can be added if the object is being deleted, "
                             f"found new finalizers []string{{{listed}}}")
